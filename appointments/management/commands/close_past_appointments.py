from django.core.management.base import BaseCommand

from appointments import services


class Command(BaseCommand):
    help = (
        "Complete confirmed appointments whose end has passed and cancel pending "
        "ones whose start has passed (not confirmed in time). Idempotent: safe to "
        "run from cron as often as you like."
    )

    def handle(self, *args, **options):
        counts = services.close_past_appointments()
        self.stdout.write(
            f"Completed {counts['completed']}, cancelled {counts['cancelled']} "
            "(not confirmed in time)."
        )

from django.core.management.base import BaseCommand

from appointments import schedule


class Command(BaseCommand):
    help = (
        "Refresh each doctor's stored next free slot where time made it stale (the "
        "slot passed the minimum notice, or a hold ended). Run every minute from "
        "cron: the directory stays exact without it, but computes those doctors "
        "from their slots, which is slower. Idempotent."
    )

    def handle(self, *args, **options):
        refreshed = schedule.refresh_stale_next_free()
        self.stdout.write(
            f"Refreshed the next free slot of {refreshed} "
            f"doctor{'s' if refreshed != 1 else ''}."
        )

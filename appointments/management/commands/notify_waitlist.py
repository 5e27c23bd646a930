"""`manage.py notify_waitlist`: tell waiting patients about freed times (see
appointments.waitlist). Run it from cron every few minutes."""

from django.core.management.base import BaseCommand

from appointments.waitlist import notify_waitlist


class Command(BaseCommand):
    help = (
        "Tell patients on a doctor's waitlist about times freed since they joined, "
        "in the order they joined, WAITLIST_BATCH_SIZE per time per run, each "
        "person once per time. Safe to run from cron as often as you like."
    )

    def handle(self, *args, **options):
        told = notify_waitlist()
        self.stdout.write(
            self.style.SUCCESS(
                f"Told {told} waiting patient{'s' if told != 1 else ''}."
            )
        )

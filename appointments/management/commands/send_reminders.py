"""`manage.py send_reminders`: the 24-hour reminder of each confirmed visit, once
(see appointments.reminders). Run it from cron, every 10 minutes, say."""

from django.core.management.base import BaseCommand

from appointments.reminders import send_due_reminders


class Command(BaseCommand):
    help = (
        "Send each confirmed appointment's reminder (in-app and email) in the 24 "
        "hours before it starts, exactly once. Safe to run from cron as often as "
        "you like."
    )

    def handle(self, *args, **options):
        sent = send_due_reminders()
        self.stdout.write(
            self.style.SUCCESS(f"Sent {sent} reminder{'s' if sent != 1 else ''}.")
        )

"""`manage.py send_reminders`: each confirmed visit's reminders (REMINDER_OFFSETS
before it) and each long-pending booking's notice, once (see
appointments.reminders). Run it from cron, every 10 minutes, say."""

from django.core.management.base import BaseCommand

from appointments.reminders import send_due_reminders


class Command(BaseCommand):
    help = (
        "Send the due reminders of confirmed appointments (REMINDER_OFFSETS before "
        "each) and the notice of bookings still pending after PENDING_NOTICE_AFTER, "
        "in-app and by email, each exactly once. Safe to run from cron as often as "
        "you like."
    )

    def handle(self, *args, **options):
        sent = send_due_reminders()
        self.stdout.write(
            self.style.SUCCESS(f"Sent {sent} reminder{'s' if sent != 1 else ''}.")
        )

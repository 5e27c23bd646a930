from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

import accounts.demo
import appointments.demo
import doctors.demo
import notifications.demo
import reviews.demo


class Command(BaseCommand):
    help = (
        "Load demo data: staff, patients (one without an account), doctors, "
        "schedules, appointments (no-shows, desk bookings) and "
        "reviews. Idempotent: running it again changes nothing."
    )

    def handle(self, *args, **options):
        # Each app seeds its own part, in dependency order.
        seeders = [
            accounts.demo.seed,
            doctors.demo.seed,
            appointments.demo.seed,
            appointments.demo.seed_appointments,
            appointments.demo.seed_front_desk,
            reviews.demo.seed,
            notifications.demo.seed,  # last: it tells people of what the others made
        ]
        # Demo people have made-up addresses: whatever EMAIL_URL says, seeding
        # mails nobody (the inbox rows are still written).
        dummy_mail = override_settings(
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"
        )
        with dummy_mail, transaction.atomic():
            logins = []
            for seed in seeders:
                logins += seed(self.stdout) or []
        # Last, after everything the seeders said (the commit's tasks included),
        # so `make run` leaves them in sight above the server's few lines.
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready at {settings.SITE_URL}. Log in with:")
        )
        for role, email, password in logins:
            self.stdout.write(f"  {role:<10} {email:<32} {password}")
        self.stdout.flush()

from django.core.management.base import BaseCommand

from accounts.models import IdempotencyKey


class Command(BaseCommand):
    help = (
        "Delete API Idempotency-Keys older than 24 hours (they replay nothing any "
        "more). Each user's own expired keys also go whenever they send a new one; "
        "this sweeps everyone's. Safe to run from cron as often as you like."
    )

    def handle(self, *args, **options):
        deleted, _by_model = IdempotencyKey.objects.expired().delete()
        self.stdout.write(f"Deleted {deleted} expired idempotency keys.")

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from appointments import schedule
from doctors.models import DoctorProfile


class Command(BaseCommand):
    help = (
        "Generate slots from each approved doctor's weekly hours up to their booking "
        "horizon (run daily to extend the rolling horizon). Removes free slots that "
        "no longer fit; never touches booked or held ones. Idempotent: safe to run "
        "from cron as often as you like."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--doctor",
            help="Only this doctor: their profile's slug or id.",
        )

    def handle(self, *args, **options):
        doctors = DoctorProfile.objects.approved().order_by("pk")
        if options["doctor"]:
            key = options["doctor"]
            lookup = {"pk": int(key)} if key.isdigit() else {"slug": key}
            doctors = doctors.filter(**lookup)
            if not doctors.exists():
                raise CommandError(f"No approved doctor with slug or id “{key}”.")
        now = timezone.now()
        total = schedule.RegenerationResult()
        count = 0
        # One transaction per doctor: a long run never holds many locks at once.
        for doctor in doctors.iterator(chunk_size=200):
            result = schedule.regenerate_slots(doctor=doctor, now=now)
            total += result
            count += 1
            if options["verbosity"] > 1:
                self.stdout.write(
                    f"  {doctor.slug}: {result.created} created, "
                    f"{result.removed} removed"
                )
        message = (
            f"Slots for {count} doctor{'s' if count != 1 else ''}: "
            f"{total.created} created, {total.removed} removed"
        )
        if total.flagged:
            message += f", {total.flagged} booked or held flagged outside the hours"
        self.stdout.write(message + ".")

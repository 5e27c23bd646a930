"""The 24-hour reminder of each confirmed visit, sent exactly once.

Each reminder is claimed with a compare-and-set on `reminder_sent_at` in the
transaction that writes the notification, so however often and however
concurrently `send_due_reminders` runs, a visit is reminded exactly once, and a
failed run leaves nothing half-sent. `services.reschedule` clears
`reminder_sent_at`, so a moved visit is reminded again for its new time."""

import datetime as dt

from django.db import transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from notifications.models import Notification
from notifications.services import notify

from .models import Appointment

# How long before a visit the reminder goes out.
REMINDER_AHEAD = dt.timedelta(hours=24)


def send_due_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind the patient of every confirmed visit starting within REMINDER_AHEAD
    of `now` (default: the current time) that was not reminded yet, in-app and
    by email (per their preference). Returns how many reminders this call sent;
    reminders claimed by a concurrent call are not counted. Each reminder is its
    own transaction: a failure raises, keeping the ones sent before it."""
    now = now or timezone.now()
    return sum(
        send_reminder(appointment_id=pk, now=now) for pk in due_reminders(now=now)
    )


def due_reminders(*, now: dt.datetime) -> list[int]:
    """Ids of confirmed appointments starting within REMINDER_AHEAD, not reminded."""
    return list(
        Appointment.objects.filter(
            status=Appointment.Status.CONFIRMED,
            reminder_sent_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + REMINDER_AHEAD,
        )
        .order_by("starts_at")
        .values_list("pk", flat=True)
    )


def _when_for(user, moment: dt.datetime) -> str:
    return dateformat.format(moment.astimezone(user.zone), "D j M Y, H:i")


@transaction.atomic
def send_reminder(*, appointment_id: int, now: dt.datetime) -> bool:
    """Claim the appointment's reminder and notify its patient, in one transaction.

    Returns False when it was not ours to send: already reminded (by an earlier
    or a concurrent run: the compare-and-set matched no row) or no longer
    confirmed."""
    claimed = Appointment.objects.filter(
        pk=appointment_id,
        status=Appointment.Status.CONFIRMED,
        reminder_sent_at__isnull=True,
    ).update(reminder_sent_at=now)
    if not claimed:
        return False
    appointment = Appointment.objects.select_related("doctor__user", "patient").get(
        pk=appointment_id
    )
    patient = appointment.patient
    notify(
        recipient=patient,
        kind=Notification.Kind.APPOINTMENT_REMINDER,
        message=_("Reminder: your visit with %(doctor)s is on %(when)s.")
        % {
            "doctor": appointment.doctor.display_name,
            "when": _when_for(patient, appointment.starts_at),
        },
        link=appointment.get_absolute_url(),
        email_context={
            "appointment": appointment,
            "doctor": appointment.doctor,
            "patient": patient,
        },
    )
    return True

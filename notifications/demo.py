"""Demo inbox entries for `manage.py seed_demo` (last: it reads what the others made).

The other apps' demo data is written straight to the tables, not through their
services, so nobody has been notified of it. This gives the demo doctors an inbox
of their real followers and every demo appointment's patient and doctor the
notifications its status would have sent. Keyed on (recipient, kind, link,
message): a second run, or an entry a service already wrote, creates nothing."""

import datetime as dt

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext as _

from .context_processors import forget_unread
from .models import Notification

Kind = Notification.Kind
# Of each inbox, the newest few stay unread; older ones were read at creation.
UNREAD_PER_USER = 3
HOURS_APART = 7


def _add(recipient, kind, message, link, created_at, newest_first_rank) -> bool:
    notification, created = Notification.objects.get_or_create(
        recipient=recipient,
        kind=kind,
        link=link,
        message=message[:300],
    )
    if created:
        read_at = timezone.now() if newest_first_rank >= UNREAD_PER_USER else None
        # Spread the demo history over past days, newest first.
        created_at -= dt.timedelta(hours=HOURS_APART * newest_first_rank)
        Notification.objects.filter(pk=notification.pk).update(
            created_at=created_at, read_at=read_at
        )
        forget_unread([recipient.pk])
    return created


def _follows() -> list[tuple]:
    Follow = apps.get_model("doctors", "Follow")
    follows = (
        Follow.objects.filter(doctor__user__email__endswith="@example.com")
        .select_related("patient", "doctor__user")
        .order_by("doctor_id", "-created_at", "-id")
    )
    entries, rank, last_doctor = [], 0, None
    for follow in follows:
        rank = rank + 1 if follow.doctor_id == last_doctor else 0
        last_doctor = follow.doctor_id
        entries.append(
            (
                follow.doctor.user,
                Kind.FOLLOWED,
                _("%(name)s started following you.")
                % {"name": follow.patient.public_name},
                follow.doctor.get_absolute_url(),
                follow.created_at,
                rank,
            )
        )
    return entries


def _appointments() -> list[tuple]:
    if not apps.is_installed("appointments"):
        return []
    Appointment = apps.get_model("appointments", "Appointment")
    entries = []
    rows = Appointment.objects.filter(
        patient__email__endswith="@example.com"
    ).select_related("patient", "doctor__user")
    for appointment in rows.order_by("-created_at", "-id"):
        link = appointment.get_absolute_url()
        doctor = appointment.doctor.display_name
        entry = {
            "pending": (
                Kind.APPOINTMENT_BOOKED,
                appointment.doctor.user,
                _("%(patient)s asked for an appointment. Please confirm or decline.")
                % {"patient": appointment.patient.full_name},
            ),
            "confirmed": (
                Kind.APPOINTMENT_CONFIRMED,
                appointment.patient,
                _("%(doctor)s confirmed your appointment.") % {"doctor": doctor},
            ),
            "completed": (
                Kind.APPOINTMENT_COMPLETED,
                appointment.patient,
                _("How was your visit with %(doctor)s? Leave a review.")
                % {"doctor": doctor},
            ),
            "cancelled": (
                Kind.APPOINTMENT_CANCELLED,
                appointment.patient,
                _("Your appointment with %(doctor)s was cancelled.")
                % {"doctor": doctor},
            ),
        }.get(appointment.status)
        if entry is None:  # a no-show: nobody is told anything
            continue
        kind, recipient, message = entry
        entries.append((recipient, kind, message, link, appointment.updated_at))
    ranks: dict[int, int] = {}
    ranked = []
    for recipient, *rest in entries:
        ranks[recipient.pk] = ranks.get(recipient.pk, -1) + 1
        ranked.append((recipient, *rest, ranks[recipient.pk]))
    return ranked


def seed(stdout) -> list:
    created = sum(_add(*entry) for entry in _follows() + _appointments())
    stdout.write(f"Notifications: {created} inbox entries created.")
    return []

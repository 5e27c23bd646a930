"""Reminders before a visit, the "still pending" notice, and the reminder email's
one-click links (confirm attendance, cancel).

Before a confirmed visit the patient is reminded at each offset of
`settings.REMINDER_OFFSETS` (default "7d,24h"). A reminder is due once its
moment (the start minus the offset) has come, and only if the visit got its time
(`Appointment.time_set_at`: booked, or moved) before that moment: a visit booked
two days ahead gets no 7-day reminder, late. When several are due at once (the
command did not run for a while, or the booking was confirmed late), only the
nearest is sent and the others are settled with it, so nobody gets two at once.

A pending booking still not confirmed `settings.PENDING_NOTICE_AFTER` after it
got its time (default 24 h) and still ahead tells its patient once that it is
waiting for the doctor.

Each one is claimed by inserting its `SentReminder` rows (unique per appointment,
kind and offset) in the transaction that writes the notification: however often
and however concurrently `send_due_reminders` runs, each goes out exactly once,
and a failed run leaves nothing half-sent. `services.reschedule` deletes the
rows, so a moved visit is reminded again for its new time. A patient who switched
reminders off (notification settings) gets none (`notify` drops them).
"""

import datetime as dt
import hashlib
import re
from functools import cache
from http import HTTPStatus

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.errors import Refusal
from notifications.models import Notification
from notifications.services import notify

from . import caching, services
from .models import Appointment, AppointmentEvent, SentReminder, UsedLink
from .notices import format_for

Status = Appointment.Status
Kind = SentReminder.Kind

_DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str) -> dt.timedelta:
    """ "7d", "24h", "90m" as a timedelta. Raises ValueError."""
    match = _DURATION.match(text)
    if not match or int(match[1]) == 0:
        raise ValueError(f"not a duration like 7d, 24h or 90m: {text!r}")
    return dt.timedelta(**{_UNITS[match[2]]: int(match[1])})


@cache
def _offsets(text: str) -> tuple[dt.timedelta, ...]:
    try:
        offsets = {parse_duration(part) for part in text.split(",") if part.strip()}
    except ValueError as error:
        raise ImproperlyConfigured(f"REMINDER_OFFSETS: {error}") from None
    return tuple(sorted(offsets))


def reminder_offsets() -> tuple[dt.timedelta, ...]:
    """The configured offsets before a visit, smallest first (none: no reminders)."""
    return _offsets(settings.REMINDER_OFFSETS)


def pending_notice_after() -> dt.timedelta | None:
    """How long a booking may stay pending before its patient is told; None: off."""
    text = settings.PENDING_NOTICE_AFTER.strip()
    if text in ("", "0"):
        return None
    try:
        return parse_duration(text)
    except ValueError as error:
        raise ImproperlyConfigured(f"PENDING_NOTICE_AFTER: {error}") from None


# --- Sending ------------------------------------------------------------------------


def send_due_reminders(*, now: dt.datetime | None = None) -> int:
    """Send every due reminder before a visit and every due "still pending" notice
    at `now` (default: the current time), in-app and by email. Returns how many
    this call sent; those claimed by a concurrent call are not counted. Each is
    its own transaction: a failure raises, keeping the ones sent before it."""
    now = now or timezone.now()
    sent = 0
    for appointment_id, offsets in due_reminders(now=now).items():
        sent += send_reminder(appointment_id=appointment_id, offsets=offsets, now=now)
    for appointment_id in due_pending_notices(now=now):
        sent += send_pending_notice(appointment_id=appointment_id, now=now)
    return sent


def due_reminders(*, now: dt.datetime) -> dict[int, list[dt.timedelta]]:
    """{appointment id: its due, unsent offsets, smallest first} for confirmed
    visits still ahead."""
    due: dict[int, list[dt.timedelta]] = {}
    for offset in reminder_offsets():
        sent = SentReminder.objects.filter(
            appointment=OuterRef("pk"), kind=Kind.BEFORE_VISIT, offset=offset
        )
        rows = (
            Appointment.objects.filter(
                status=Status.CONFIRMED, starts_at__gt=now, starts_at__lte=now + offset
            )
            .exclude(Exists(sent))
            .values_list("pk", "starts_at", "time_set_at")
        )
        for pk, starts_at, time_set_at in rows:
            if time_set_at <= starts_at - offset:
                due.setdefault(pk, []).append(offset)
    return due


def due_pending_notices(*, now: dt.datetime) -> list[int]:
    """Ids of bookings pending for longer than PENDING_NOTICE_AFTER, still ahead,
    whose patient was not told yet."""
    after = pending_notice_after()
    if after is None:
        return []
    told = SentReminder.objects.filter(
        appointment=OuterRef("pk"), kind=Kind.STILL_PENDING, offset=after
    )
    return list(
        Appointment.objects.filter(
            status=Status.PENDING, starts_at__gt=now, time_set_at__lte=now - after
        )
        .exclude(Exists(told))
        .order_by("starts_at")
        .values_list("pk", flat=True)
    )


def _claim(appointment_id: int, kind: str, offsets: list[dt.timedelta]) -> bool:
    """Insert the SentReminder rows; False when another run holds any of them.

    On PostgreSQL a concurrent insert of the same row waits for the other
    transaction, then fails here once that one commits."""
    try:
        with transaction.atomic():
            SentReminder.objects.bulk_create(
                SentReminder(appointment_id=appointment_id, kind=kind, offset=offset)
                for offset in offsets
            )
    except IntegrityError:
        return False
    return True


@transaction.atomic
def send_reminder(
    *, appointment_id: int, offsets: list[dt.timedelta], now: dt.datetime
) -> bool:
    """Claim the appointment's due `offsets` and remind its patient once (the
    reminder of the nearest), in one transaction.

    Returns False when it was not ours to send: no longer confirmed, or claimed
    by an earlier or a concurrent run."""
    appointment = (
        Appointment.objects.select_related("doctor__user", "patient")
        .filter(pk=appointment_id, status=Status.CONFIRMED, starts_at__gt=now)
        .first()
    )
    if appointment is None or not _claim(appointment_id, Kind.BEFORE_VISIT, offsets):
        return False
    Appointment.objects.filter(pk=appointment_id).update(reminder_sent_at=now)
    patient = appointment.patient
    notify(
        recipient=patient,
        kind=Notification.Kind.APPOINTMENT_REMINDER,
        message=_("Reminder: your visit with %(doctor)s is on %(when)s.")
        % {
            "doctor": appointment.doctor.display_name,
            "when": format_for(patient, appointment.starts_at),
        },
        link=appointment.get_absolute_url(),
        email_context={
            "appointment": appointment,
            "doctor": appointment.doctor,
            "patient": patient,
            "attend_url": action_url(appointment, ATTEND),
            "cancel_url": action_url(appointment, CANCEL),
        },
    )
    return True


@transaction.atomic
def send_pending_notice(*, appointment_id: int, now: dt.datetime) -> bool:
    """Claim and send the "still waiting for the doctor" notice of a pending
    booking. Returns False when no longer pending or already claimed."""
    after = pending_notice_after()
    appointment = (
        Appointment.objects.select_related("doctor__user", "patient")
        .filter(pk=appointment_id, status=Status.PENDING, starts_at__gt=now)
        .first()
    )
    if (
        after is None
        or appointment is None
        or not _claim(appointment_id, Kind.STILL_PENDING, [after])
    ):
        return False
    patient = appointment.patient
    notify(
        recipient=patient,
        kind=Notification.Kind.APPOINTMENT_PENDING,
        message=_(
            "Your booking with %(doctor)s on %(when)s is still waiting for the "
            "doctor's confirmation."
        )
        % {
            "doctor": appointment.doctor.display_name,
            "when": format_for(patient, appointment.starts_at),
        },
        link=appointment.get_absolute_url(),
        email_context={
            "appointment": appointment,
            "doctor": appointment.doctor,
            "patient": patient,
        },
    )
    return True


# --- One-click links ----------------------------------------------------------------

ATTEND, CANCEL = "attend", "cancel"
_SALT = "appointments.reminders.action"


class LinkInvalid(Refusal):
    """The link is broken, for a visit that has moved or started, or was used."""

    status = HTTPStatus.NOT_FOUND
    code = "link_invalid"
    field = None
    default_message = gettext_lazy(
        "This link no longer works: it was used already, the visit has moved or "
        "started. Please sign in to see your appointment."
    )


def action_token(appointment: Appointment, action: str) -> str:
    """A signed token for `action` on the appointment at its current time: it is
    the credential (no login) until the visit starts, once."""
    return signing.dumps(
        {"a": appointment.pk, "do": action, "at": appointment.starts_at.isoformat()},
        salt=_SALT,
    )


def action_url(appointment: Appointment, action: str) -> str:
    path = reverse(
        "appointments:reminder_action", args=[action_token(appointment, action)]
    )
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def read_token(
    token: str, *, now: dt.datetime | None = None
) -> tuple[Appointment, str]:
    """The appointment and action a token names, if it still works: signed by us,
    not used, for the visit's current time, which has not started. Raises
    LinkInvalid."""
    now = now or timezone.now()
    try:
        data = signing.loads(token, salt=_SALT)
        action, starts_at = data["do"], dt.datetime.fromisoformat(data["at"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid from None
    appointment = (
        Appointment.objects.select_related("doctor__user", "patient")
        .filter(pk=data.get("a"), starts_at=starts_at)
        .first()
    )
    if (
        action not in (ATTEND, CANCEL)
        or appointment is None
        or appointment.starts_at <= now
        or UsedLink.objects.filter(digest=_digest(token)).exists()
    ):
        raise LinkInvalid
    return appointment, action


def _use(token: str) -> None:
    """Spend the token in the caller's transaction; LinkInvalid if it was spent
    (by a concurrent click: the unique digest decides)."""
    try:
        with transaction.atomic():
            UsedLink.objects.create(digest=_digest(token))
    except IntegrityError:
        raise LinkInvalid from None


@transaction.atomic
def use_link(token: str, *, now: dt.datetime | None = None) -> Appointment:
    """Do what the token says, once: confirm attendance (recorded on the
    appointment and in its history) or cancel, as the patient, through
    `services.cancel` (its cutoff applies; a refusal leaves the link unspent).
    Raises LinkInvalid or the cancellation's TransitionRefused."""
    now = now or timezone.now()
    appointment, action = read_token(token, now=now)
    _use(token)
    if action == CANCEL:
        return services.cancel(
            user=appointment.patient,
            appointment_id=appointment.pk,
            reason=_("Cancelled from the reminder email."),
            now=now,
        )
    if not appointment.is_active:
        raise services.TransitionRefused(_("This appointment is no longer active."))
    Appointment.objects.filter(pk=appointment.pk).update(attendance_confirmed_at=now)
    caching.bump_appointment_on_commit(appointment)
    appointment.attendance_confirmed_at = now
    AppointmentEvent.objects.create(
        appointment=appointment,
        actor=appointment.patient,
        from_status=appointment.status,
        to_status=appointment.status,
        note=_("The patient confirmed they will come."),
    )
    return appointment

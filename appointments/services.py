"""Booking and the appointment lifecycle: every write to a slot or an appointment.

Locks are always taken in the same order — the doctor's profile row(s) by id,
then slot(s) by id, then the patient's user row, then the appointment — so no two
paths can deadlock, and every state change is a compare-and-set
(`filter(pk=..., status=old).update(...)`): 0 rows means someone else won. A write
that changes a slot ends by storing the doctor's next free slot
(`schedule.refresh_next_free`) under that first lock. Notifications are written
inside the same transaction; their emails go out only once it commits.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from doctors.models import DoctorProfile
from notifications.models import Notification
from notifications.services import notify

from . import ics
from .models import Appointment, AppointmentEvent, Slot, TimeOff
from .schedule import refresh_next_free

Status = Appointment.Status

HOLD_DURATION = dt.timedelta(minutes=5)
PATIENT_CANCEL_CUTOFF = dt.timedelta(hours=2)
MAX_ACTIVE_FUTURE_APPOINTMENTS = 10


# --- Exceptions ------------------------------------------------------------------


class BookingError(Exception):
    """Base of every refusal to book; `message` is shown to the patient as it is."""

    code = "refused"

    def __init__(self, message: str | None = None):
        self.message = message or self.default_message()
        super().__init__(self.message)

    def default_message(self) -> str:
        return _("This time cannot be booked.")


class SlotUnavailable(BookingError):
    """The slot is booked (or gone) — usually someone was a moment faster."""

    code = "slot_taken"

    def default_message(self) -> str:
        return _("That time was just taken. Please pick another.")


class BookingRefused(BookingError):
    """A booking rule says no; each subclass is one rule with its own message."""


class SlotHeld(BookingRefused):
    code = "slot_held"

    def default_message(self) -> str:
        return _(
            "Someone else is confirming this time right now. Please pick another, "
            "or try again in a few minutes."
        )


class SlotInPast(BookingRefused):
    code = "slot_in_past"

    def default_message(self) -> str:
        return _("That time has already passed. Please pick a later one.")


class NoticeTooShort(BookingRefused):
    code = "notice_too_short"


class BeyondHorizon(BookingRefused):
    code = "beyond_horizon"


class DoctorAway(BookingRefused):
    code = "doctor_away"

    def default_message(self) -> str:
        return _("The doctor is away at that time. Please pick another.")


class OwnSlot(BookingRefused):
    code = "own_slot"

    def default_message(self) -> str:
        return _("You cannot book an appointment with yourself.")


class Overlap(BookingRefused):
    code = "overlap"

    def default_message(self) -> str:
        return _("You already have an appointment at that time.")


class SameDoctorSameDay(BookingRefused):
    code = "same_doctor_same_day"

    def default_message(self) -> str:
        return _("You already have an appointment with this doctor on that day.")


class TooManyAppointments(BookingRefused):
    code = "too_many"

    def default_message(self) -> str:
        return _(
            "You already have %(count)d upcoming appointments, the most allowed. "
            "Cancel one to book another."
        ) % {"count": MAX_ACTIVE_FUTURE_APPOINTMENTS}


class TransitionRefused(Exception):
    """The appointment cannot move to that status, by that person, now."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


# --- Small helpers -----------------------------------------------------------------


def doctor_name(doctor) -> str:
    return _("Dr %(name)s") % {"name": doctor.user.full_name}


def format_for(user, moment: dt.datetime) -> str:
    """`moment` as "Tue 3 Dec 2026, 09:30" in `user`'s time zone (for messages)."""
    try:
        zone = zoneinfo.ZoneInfo(user.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return dateformat.format(moment.astimezone(zone), "D j M Y, H:i")


def _hours(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def _doctor_of_slot(slot_id) -> int | None:
    # A slot never changes doctor: read before any lock, to lock the doctor first.
    return Slot.objects.filter(pk=slot_id).values_list("doctor_id", flat=True).first()


def _lock_slot(slot_id) -> Slot | None:
    return (
        Slot.objects.select_for_update(of=("self",))
        .select_related("doctor__user")
        .filter(pk=slot_id)
        .first()
    )


def _lock_user(user: User) -> None:
    # Serialises one patient's bookings, so the per-patient rules (overlap, one
    # a day, ten at most) cannot be beaten by two requests at once.
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))


def check_booking_rules(
    *, slot: Slot, patient: User, now: dt.datetime, ignore: int | None = None
) -> None:
    """Raise the BookingError that refuses `patient` booking `slot` at `now`.

    Call with the slot row locked. `ignore` is an appointment of the patient left
    out of the per-patient rules (the one being rescheduled)."""
    doctor = slot.doctor
    if slot.is_booked or not doctor.is_approved:
        raise SlotUnavailable
    if slot.is_held_by_other(patient, now):
        raise SlotHeld
    if slot.starts_at <= now:
        raise SlotInPast
    if slot.starts_at < now + doctor.min_notice:
        raise NoticeTooShort(
            _("%(doctor)s takes bookings at least %(notice)s ahead.")
            % {"doctor": doctor_name(doctor), "notice": _hours(doctor.min_notice)}
        )
    if slot.starts_at >= now + doctor.booking_horizon:
        raise BeyondHorizon(
            _("%(doctor)s takes bookings up to %(days)d days ahead.")
            % {"doctor": doctor_name(doctor), "days": doctor.booking_horizon.days}
        )
    if TimeOff.objects.filter(
        doctor=doctor, starts_at__lt=slot.ends_at, ends_at__gt=slot.starts_at
    ).exists():
        raise DoctorAway
    if doctor.user_id == patient.pk:
        raise OwnSlot
    mine = Appointment.objects.active().filter(patient=patient).exclude(pk=ignore)
    if mine.filter(starts_at__lt=slot.ends_at, ends_at__gt=slot.starts_at).exists():
        raise Overlap
    zone = zoneinfo.ZoneInfo(doctor.timezone or "UTC")
    day = slot.starts_at.astimezone(zone).date()
    day_start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    if mine.filter(
        doctor=doctor, starts_at__gte=day_start, starts_at__lt=day_end
    ).exists():
        raise SameDoctorSameDay
    if mine.filter(starts_at__gt=now).count() >= MAX_ACTIVE_FUTURE_APPOINTMENTS:
        raise TooManyAppointments


def _event(appointment, *, actor, from_status: str, to_status: str, note: str = ""):
    AppointmentEvent.objects.create(
        appointment=appointment,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


def _ics_attachment(appointment: Appointment) -> list[tuple[str, str, str]]:
    return [(ics.filename(appointment), ics.build(appointment), "text/calendar")]


# --- Holds -------------------------------------------------------------------------


@transaction.atomic
def hold(*, patient: User, slot_id: int, now: dt.datetime | None = None) -> Slot:
    """Reserve the slot for `patient` for HOLD_DURATION while they confirm.

    Every booking rule is checked now, so the patient hears "no" before typing a
    reason. The patient's other holds are released (one hold at a time). Others
    see the slot as unavailable until the hold expires or is released.
    Raises BookingError (SlotUnavailable or a BookingRefused)."""
    now = now or timezone.now()
    doctor_id = _doctor_of_slot(slot_id)
    # The doctors of the patient's other holds are locked too (they get a slot
    # back). A hold made meanwhile with yet another doctor is left to expire.
    held_with = Slot.objects.filter(held_by=patient).values_list("doctor_id", flat=True)
    doctor_ids = DoctorProfile.objects.lock([doctor_id, *held_with])
    slot = _lock_slot(slot_id)
    if slot is None:
        raise SlotUnavailable
    _lock_user(patient)
    check_booking_rules(slot=slot, patient=patient, now=now)
    # The patient's other holds go. skip_locked: a slot another of this patient's
    # requests has locked right now is left to that request (waiting for it here,
    # while it waits for the patient lock held here, would deadlock).
    others = (
        Slot.objects.select_for_update(skip_locked=True)
        .filter(held_by=patient, doctor_id__in=doctor_ids)
        .exclude(pk=slot.pk)
        .values_list("pk", flat=True)
    )
    Slot.objects.filter(pk__in=list(others)).update(held_by=None, held_until=None)
    slot.held_by, slot.held_until = patient, now + HOLD_DURATION
    Slot.objects.filter(pk=slot.pk).update(held_by=patient, held_until=slot.held_until)
    refresh_next_free(doctor_ids, now=now)
    return slot


@transaction.atomic
def release_hold(*, patient: User, slot_id: int) -> bool:
    """Give back the patient's hold on the slot. Returns whether there was one."""
    doctor_ids = DoctorProfile.objects.lock([_doctor_of_slot(slot_id)])
    slot = _lock_slot(slot_id)
    if slot is None or slot.held_by_id != patient.pk:
        return False
    Slot.objects.filter(pk=slot.pk, held_by=patient).update(
        held_by=None, held_until=None
    )
    refresh_next_free(doctor_ids, now=timezone.now())
    return True


# --- Booking -----------------------------------------------------------------------


@transaction.atomic
def book(
    *, patient: User, slot_id: int, reason: str, now: dt.datetime | None = None
) -> Appointment:
    """Book the slot for `patient`: the one way an appointment comes to exist.

    Locks the slot row, re-checks every rule inside the lock (an expired hold, or
    the patient's own, is fine), creates the appointment — pending, or confirmed
    when the doctor auto-confirms — marks the slot booked, clears the hold, writes
    the first AppointmentEvent and notifies. The partial unique constraint is the
    last guard: its IntegrityError becomes SlotUnavailable too.
    Raises SlotUnavailable or a BookingRefused."""
    now = now or timezone.now()
    DoctorProfile.objects.lock([_doctor_of_slot(slot_id)])
    slot = _lock_slot(slot_id)
    if slot is None:
        raise SlotUnavailable
    _lock_user(patient)
    check_booking_rules(slot=slot, patient=patient, now=now)
    doctor = slot.doctor
    status = Status.CONFIRMED if doctor.auto_confirm else Status.PENDING
    try:
        with transaction.atomic():  # a savepoint: the constraint may refuse
            appointment = Appointment.objects.create(
                slot=slot,
                doctor=doctor,
                patient=patient,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                reason=reason,
                status=status,
            )
    except IntegrityError:
        raise SlotUnavailable from None
    Slot.objects.filter(pk=slot.pk).update(
        is_booked=True, held_by=None, held_until=None
    )
    refresh_next_free([doctor.pk], now=now)
    _event(
        appointment,
        actor=patient,
        from_status="",
        to_status=status,
        note=_("Booked; confirmed automatically") if doctor.auto_confirm else "",
    )
    context = {"appointment": appointment, "doctor": doctor, "patient": patient}
    link = appointment.get_absolute_url()
    notify(
        recipient=doctor.user,
        kind=Notification.Kind.APPOINTMENT_BOOKED,
        message=(
            _("%(patient)s booked %(when)s (confirmed automatically).")
            if doctor.auto_confirm
            else _("%(patient)s booked %(when)s. Please confirm or decline.")
        )
        % {
            "patient": patient.full_name,
            "when": format_for(doctor.user, slot.starts_at),
        },
        link=link,
        email_context=context,
    )
    if doctor.auto_confirm:
        notify(
            recipient=patient,
            kind=Notification.Kind.APPOINTMENT_CONFIRMED,
            message=_("Your appointment with %(doctor)s on %(when)s is confirmed.")
            % {
                "doctor": doctor_name(doctor),
                "when": format_for(patient, slot.starts_at),
            },
            link=link,
            email_context=context,
            attachments=_ics_attachment(appointment),
        )
    return appointment


# --- Lifecycle ---------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Conditions on one actor role for one transition."""

    needs_reason: bool = False  # a note saying why is required
    before_cutoff: bool = False  # only until PATIENT_CANCEL_CUTOFF before start
    after_start: bool = False  # only once the visit has started
    after_end: bool = False  # only once the visit has ended


# The one place that says who may move an appointment from what to what.
# Roles: the appointment's "patient", its "doctor", clinic "staff", and "system"
# (close_past_appointments).
TRANSITIONS: dict[tuple[str, str], dict[str, Rule]] = {
    (Status.PENDING, Status.CONFIRMED): {"doctor": Rule()},
    (Status.PENDING, Status.CANCELLED): {
        "patient": Rule(),
        "doctor": Rule(needs_reason=True),  # declining
        "staff": Rule(needs_reason=True),
        "system": Rule(needs_reason=True),
    },
    (Status.CONFIRMED, Status.CANCELLED): {
        "patient": Rule(before_cutoff=True),
        "doctor": Rule(needs_reason=True),
        "staff": Rule(needs_reason=True),
    },
    (Status.CONFIRMED, Status.COMPLETED): {
        "doctor": Rule(after_start=True),
        "system": Rule(after_end=True),
    },
}


def role_of(user: User | None, appointment: Appointment) -> str | None:
    """The role `user` acts in on `appointment` (None: nobody it knows)."""
    if user is None:
        return "system"
    if user.pk == appointment.patient_id:
        return "patient"
    if user.pk == appointment.doctor.user_id:
        return "doctor"
    if user.is_staff:
        return "staff"
    return None


def refusal(
    appointment: Appointment,
    *,
    user: User | None,
    to_status: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> str | None:
    """Why `user` may not move `appointment` to `to_status` now (None: allowed).

    Pages use it to show only the actions that would succeed."""
    now = now or timezone.now()
    rules = TRANSITIONS.get((appointment.status, to_status))
    if rules is None:
        return _("A %(from)s appointment cannot become %(to)s.") % {
            "from": Status(appointment.status).label.lower(),
            "to": Status(to_status).label.lower(),
        }
    rule = rules.get(role_of(user, appointment))
    if rule is None:
        return _("You cannot make this change to the appointment.")
    if rule.needs_reason and not note.strip():
        return _("Please give a reason.")
    if rule.before_cutoff and now > appointment.starts_at - PATIENT_CANCEL_CUTOFF:
        return _(
            "It is less than %(cutoff)s before the visit: please call the clinic."
        ) % {"cutoff": _hours(PATIENT_CANCEL_CUTOFF)}
    if rule.after_start and now < appointment.starts_at:
        return _("A visit can be completed only once it has started.")
    if rule.after_end and now < appointment.ends_at:
        return _("The visit has not ended yet.")
    return None


def allowed_actions(
    appointment: Appointment, *, user: User, now: dt.datetime | None = None
) -> set[str]:
    """What `user` could do to `appointment` now: a subset of "confirm", "cancel",
    "complete", "reschedule". Pages show only these buttons; the services still
    decide. Queries nothing (needs `doctor` loaded)."""
    now = now or timezone.now()
    targets = {
        "confirm": Status.CONFIRMED,
        "cancel": Status.CANCELLED,
        "complete": Status.COMPLETED,
    }
    actions = {
        name
        for name, to_status in targets.items()
        # "-": a reason is asked for on the next page, not needed to show a button.
        if refusal(appointment, user=user, to_status=to_status, note="-", now=now)
        is None
    }
    if (
        role_of(user, appointment) == "patient"
        and appointment.is_active
        and appointment.starts_at > now
        and (
            appointment.status == Status.PENDING
            or now <= appointment.starts_at - PATIENT_CANCEL_CUTOFF
        )
    ):
        actions.add("reschedule")
    return actions


def _lock_appointment(appointment_id: int) -> tuple[Slot, Appointment]:
    """Lock the doctor, the appointment's slot, then the appointment (the one lock
    order)."""
    slot_id, doctor_id = (
        Appointment.objects.filter(pk=appointment_id)
        .values_list("slot_id", "doctor_id")
        .first()
    ) or (None, None)
    if slot_id is None:
        raise TransitionRefused(_("That appointment does not exist."))
    DoctorProfile.objects.lock([doctor_id])
    slot = _lock_slot(slot_id)
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("doctor__user", "patient")
        .get(pk=appointment_id)
    )
    if appointment.slot_id != slot_id:  # rescheduled between the read and the lock
        raise TransitionRefused(_("This appointment just changed. Please try again."))
    return slot, appointment


def _transition(
    *,
    appointment_id: int,
    user: User | None,
    to_status: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    now = now or timezone.now()
    slot, appointment = _lock_appointment(appointment_id)
    reason = refusal(appointment, user=user, to_status=to_status, note=note, now=now)
    if reason:
        raise TransitionRefused(reason)
    from_status = appointment.status
    changes = {"status": to_status, "updated_at": timezone.now()}
    if to_status == Status.CANCELLED:
        changes.update(cancelled_by=user, cancellation_reason=note.strip())
    updated = Appointment.objects.filter(pk=appointment.pk, status=from_status).update(
        **changes
    )
    if not updated:
        raise TransitionRefused(_("This appointment just changed. Please try again."))
    for field, value in changes.items():
        setattr(appointment, field, value)
    if to_status == Status.CANCELLED and slot.starts_at > now:
        # Free the time for others, unless regeneration left it outside the hours.
        Slot.objects.filter(pk=slot.pk, outside_schedule=False).update(
            is_booked=False, held_by=None, held_until=None
        )
        refresh_next_free([appointment.doctor_id], now=now)
    _event(
        appointment,
        actor=user,
        from_status=from_status,
        to_status=to_status,
        note=note.strip(),
    )
    _notify_transition(appointment, user=user, from_status=from_status)
    return appointment


def _notify_transition(appointment: Appointment, *, user, from_status: str) -> None:
    """Who hears of a status change (the table in the notifications issue)."""
    doctor, patient = appointment.doctor, appointment.patient
    role = role_of(user, appointment)
    context = {
        "appointment": appointment,
        "doctor": doctor,
        "patient": patient,
        "reason": appointment.cancellation_reason,
        "actor_role": role,
    }
    link = appointment.get_absolute_url()
    names = {"doctor": doctor_name(doctor), "patient": patient.full_name}
    if appointment.status == Status.CONFIRMED:
        notify(
            recipient=patient,
            kind=Notification.Kind.APPOINTMENT_CONFIRMED,
            message=_("%(doctor)s confirmed your appointment on %(when)s.")
            % {**names, "when": format_for(patient, appointment.starts_at)},
            link=link,
            email_context=context,
            attachments=_ics_attachment(appointment),
        )
    elif appointment.status == Status.COMPLETED:
        notify(
            recipient=patient,
            kind=Notification.Kind.APPOINTMENT_COMPLETED,
            message=_("How was your visit with %(doctor)s? Leave a review.") % names,
            link=link,
            email_context=context,
        )
    elif appointment.status == Status.CANCELLED and role == "patient":
        notify(
            recipient=doctor.user,
            kind=Notification.Kind.APPOINTMENT_CANCELLED,
            message=_("%(patient)s cancelled the appointment on %(when)s.")
            % {**names, "when": format_for(doctor.user, appointment.starts_at)},
            link=link,
            email_context=context,
        )
    elif appointment.status == Status.CANCELLED:
        # By the doctor (declining or cancelling), by staff, or not confirmed in time.
        if role == "doctor" and from_status == Status.PENDING:
            text = _("%(doctor)s declined your appointment on %(when)s: %(reason)s")
        elif role == "doctor":
            text = _("%(doctor)s cancelled your appointment on %(when)s: %(reason)s")
        elif role == "staff":
            text = _(
                "The clinic cancelled your appointment with %(doctor)s "
                "on %(when)s: %(reason)s"
            )
        else:
            text = _(
                "Your appointment with %(doctor)s on %(when)s was cancelled: %(reason)s"
            )
        reason = appointment.cancellation_reason
        when = format_for(patient, appointment.starts_at)
        notify(
            recipient=patient,
            kind=Notification.Kind.APPOINTMENT_CANCELLED,
            message=(text % {**names, "when": when, "reason": reason})[:300],
            link=link,
            email_context=context,
        )
        if role == "staff":
            when = format_for(doctor.user, appointment.starts_at)
            text = _(
                "The clinic cancelled %(patient)s's appointment on %(when)s: %(reason)s"
            )
            notify(
                recipient=doctor.user,
                kind=Notification.Kind.APPOINTMENT_CANCELLED,
                message=(text % {**names, "when": when, "reason": reason})[:300],
                link=link,
                email_context=context,
            )


@transaction.atomic
def confirm(
    *, user: User, appointment_id: int, now: dt.datetime | None = None
) -> Appointment:
    """The appointment's doctor accepts a pending booking. Raises TransitionRefused."""
    return _transition(
        appointment_id=appointment_id, user=user, to_status=Status.CONFIRMED, now=now
    )


@transaction.atomic
def cancel(
    *,
    user: User,
    appointment_id: int,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    """Cancel (or, for a doctor and a pending booking, decline) the appointment.

    The patient may cancel a pending one any time, a confirmed one until
    PATIENT_CANCEL_CUTOFF before it starts; the doctor and staff any time, with a
    reason. A slot still in the future is freed for others.
    Raises TransitionRefused."""
    return _transition(
        appointment_id=appointment_id,
        user=user,
        to_status=Status.CANCELLED,
        note=reason,
        now=now,
    )


@transaction.atomic
def complete(
    *, user: User, appointment_id: int, now: dt.datetime | None = None
) -> Appointment:
    """The doctor marks a confirmed visit done once it has started.

    Raises TransitionRefused."""
    return _transition(
        appointment_id=appointment_id, user=user, to_status=Status.COMPLETED, now=now
    )


@transaction.atomic
def reschedule(
    *,
    patient: User,
    appointment_id: int,
    new_slot_id: int,
    now: dt.datetime | None = None,
) -> Appointment:
    """Move the patient's active appointment to another free slot of the same doctor.

    Both slots are locked in id order, then the patient, then the appointment.
    The new slot passes every booking rule (leaving this appointment out of the
    per-patient ones); the old slot is freed only once the new one is taken. The
    appointment goes back to pending unless the doctor auto-confirms; the doctor
    is told. Raises TransitionRefused, SlotUnavailable or a BookingRefused."""
    now = now or timezone.now()
    old_slot_id, doctor_id = (
        Appointment.objects.filter(pk=appointment_id, patient=patient)
        .values_list("slot_id", "doctor_id")
        .first()
    ) or (None, None)
    if old_slot_id is None:
        raise TransitionRefused(_("That appointment does not exist."))
    if int(new_slot_id) == old_slot_id:
        raise TransitionRefused(_("That is the time you already have."))
    DoctorProfile.objects.lock([doctor_id])
    slots = {pk: _lock_slot(pk) for pk in sorted([old_slot_id, int(new_slot_id)])}
    old_slot, new_slot = slots[old_slot_id], slots[int(new_slot_id)]
    if new_slot is None:
        raise SlotUnavailable
    _lock_user(patient)
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("doctor__user", "patient")
        .get(pk=appointment_id)
    )
    if appointment.slot_id != old_slot_id:
        raise TransitionRefused(_("This appointment just changed. Please try again."))
    if not appointment.is_active:
        raise TransitionRefused(
            _("A %(status)s appointment cannot be moved.")
            % {"status": Status(appointment.status).label.lower()}
        )
    if (
        appointment.status == Status.CONFIRMED
        and now > appointment.starts_at - PATIENT_CANCEL_CUTOFF
    ):
        raise TransitionRefused(
            _("It is less than %(cutoff)s before the visit: please call the clinic.")
            % {"cutoff": _hours(PATIENT_CANCEL_CUTOFF)}
        )
    if new_slot.doctor_id != appointment.doctor_id:
        raise TransitionRefused(_("Please pick a time with the same doctor."))
    check_booking_rules(slot=new_slot, patient=patient, now=now, ignore=appointment.pk)
    from_status = appointment.status
    to_status = Status.CONFIRMED if appointment.doctor.auto_confirm else Status.PENDING
    try:
        with transaction.atomic():
            updated = Appointment.objects.filter(
                pk=appointment.pk, status=from_status, slot_id=old_slot_id
            ).update(
                slot=new_slot,
                starts_at=new_slot.starts_at,
                ends_at=new_slot.ends_at,
                status=to_status,
                reminder_sent_at=None,
                updated_at=timezone.now(),
            )
    except IntegrityError:
        raise SlotUnavailable from None
    if not updated:
        raise TransitionRefused(_("This appointment just changed. Please try again."))
    Slot.objects.filter(pk=new_slot.pk).update(
        is_booked=True, held_by=None, held_until=None
    )
    if old_slot.starts_at > now:
        Slot.objects.filter(pk=old_slot.pk, outside_schedule=False).update(
            is_booked=False
        )
    refresh_next_free([doctor_id], now=now)
    old_start = appointment.starts_at
    appointment.refresh_from_db()
    doctor = appointment.doctor
    _event(
        appointment,
        actor=patient,
        from_status=from_status,
        to_status=to_status,
        note=_("Moved from %(old)s to %(new)s (UTC)")
        % {
            "old": dateformat.format(old_start.astimezone(dt.UTC), "D j M Y, H:i"),
            "new": dateformat.format(
                new_slot.starts_at.astimezone(dt.UTC), "D j M Y, H:i"
            ),
        },
    )
    notify(
        recipient=doctor.user,
        kind=Notification.Kind.APPOINTMENT_RESCHEDULED,
        message=_("%(patient)s moved their appointment from %(old)s to %(new)s.")
        % {
            "patient": patient.full_name,
            "old": format_for(doctor.user, old_start),
            "new": format_for(doctor.user, appointment.starts_at),
        },
        link=appointment.get_absolute_url(),
        email_context={
            "appointment": appointment,
            "doctor": doctor,
            "patient": patient,
            "old_starts_at": old_start,
        },
    )
    return appointment


def close_past_appointments(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Complete confirmed visits that have ended; cancel pending ones whose start
    passed ("not confirmed in time"). Each appointment in its own transaction, so
    one failure blocks no other. Idempotent.

    Returns {"completed": n, "cancelled": m}."""
    now = now or timezone.now()
    counts = {"completed": 0, "cancelled": 0}
    confirmed = Appointment.objects.filter(status=Status.CONFIRMED, ends_at__lte=now)
    for pk in confirmed.values_list("pk", flat=True):
        with transaction.atomic():
            try:
                _transition(
                    appointment_id=pk, user=None, to_status=Status.COMPLETED, now=now
                )
            except TransitionRefused:
                continue  # someone else moved it meanwhile
        counts["completed"] += 1
    pending = Appointment.objects.filter(status=Status.PENDING, starts_at__lte=now)
    for pk in pending.values_list("pk", flat=True):
        with transaction.atomic():
            try:
                _transition(
                    appointment_id=pk,
                    user=None,
                    to_status=Status.CANCELLED,
                    note=_("Not confirmed in time."),
                    now=now,
                )
            except TransitionRefused:
                continue
        counts["cancelled"] += 1
    return counts

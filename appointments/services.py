"""Booking and the appointment lifecycle: every write to a slot or an appointment.

Locks are always taken in the same order — the doctor's profile row(s) by id,
then slot(s) by id, then the patient's user row, then the appointment — so no two
paths can deadlock, and every state change is a compare-and-set
(`filter(pk=..., status=old).update(...)`): 0 rows means someone else won. A write
that changes a slot ends by storing the doctor's next free slot
(`schedule.refresh_next_free`) under that first lock. Notifications are written
inside the same transaction; their emails go out only once it commits.
"""

import dataclasses
import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from accounts.models import User
from doctors import cache as doctor_cache
from doctors.models import DoctorProfile

from . import caching, notices, schedule, selectors
from .models import Appointment, AppointmentEvent, SentReminder, Slot, TimeOff
from .notices import format_for
from .rules import (
    HOLD_DURATION,
    MAX_ACTIVE_FUTURE_APPOINTMENTS,
    PATIENT_CANCEL_CUTOFF,
    TRANSITIONS,
    ActionNotAllowed,
    AffectsAppointments,
    AppointmentNotFound,
    BeyondHorizon,
    BookingError,
    BookingRefused,
    DoctorAway,
    MessageRequired,
    NoticeTooShort,
    Overlap,
    OwnSlot,
    ReasonRequired,
    SameDoctorSameDay,
    SlotHeld,
    SlotInPast,
    SlotUnavailable,
    TooManyAppointments,
    TooManyNoShows,
    TransitionRefused,
    allowed_actions,
    check_booking_rules,
    check_transition,
    needs_reason,
    role_of,
    time_off_refusal,
)
from .schedule import refresh_next_free

# The rules module says no; callers reach its refusals and answers through the
# services they call.
__all__ = [
    "MAX_ACTIVE_FUTURE_APPOINTMENTS",
    "PATIENT_CANCEL_CUTOFF",
    "ActionNotAllowed",
    "AffectsAppointments",
    "AppointmentNotFound",
    "BeyondHorizon",
    "BookingError",
    "BookingRefused",
    "DoctorAway",
    "MessageRequired",
    "NoticeTooShort",
    "Overlap",
    "OwnSlot",
    "ReasonRequired",
    "SameDoctorSameDay",
    "SlotHeld",
    "SlotInPast",
    "SlotUnavailable",
    "TooManyAppointments",
    "TooManyNoShows",
    "TimeOffTaken",
    "TransitionRefused",
    "add_time_off",
    "allowed_actions",
    "book",
    "cancel",
    "close_past_appointments",
    "complete",
    "confirm",
    "decline",
    "format_for",
    "hold",
    "mark_no_show",
    "needs_reason",
    "release_hold",
    "reschedule",
    "role_of",
    "sick_day",
]

Status = Appointment.Status


def _lock_doctors_of(slots: Q) -> list[int]:
    """Lock the doctors of these slots, the first lock, and return their ids: one
    statement, the slots read in it but not locked (a slot never changes doctor)."""
    return DoctorProfile.objects.lock(Slot.objects.filter(slots).values("doctor_id"))


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


def _free_slot(slot: Slot, *, now: dt.datetime) -> None:
    """Give a slot whose appointment ended early (cancelled, moved) back: a future
    one is no longer booked. One regeneration left outside the hours stays out of
    offer (`outside_schedule`) until the hours cover it again."""
    if slot.starts_at > now:
        Slot.objects.filter(pk=slot.pk).update(
            is_booked=False, held_by=None, held_until=None, freed_at=now
        )


def _event(appointment, *, actor, from_status: str, to_status: str, note: str = ""):
    AppointmentEvent.objects.create(
        appointment=appointment,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


# --- Holds -------------------------------------------------------------------------


@transaction.atomic
def hold(*, patient: User, slot_id: int, now: dt.datetime | None = None) -> Slot:
    """Reserve the slot for `patient` for HOLD_DURATION while they confirm.

    Every booking rule is checked now, so the patient hears "no" before typing a
    reason. The patient's other holds are released (one hold at a time). Others
    see the slot as unavailable until the hold expires or is released.
    Raises BookingError (SlotUnavailable or a BookingRefused)."""
    now = now or timezone.now()
    # The slot's doctor and the doctors of the patient's other holds: they are
    # locked too (they get a slot back). A hold made meanwhile with yet another
    # doctor is left to expire.
    doctor_ids = _lock_doctors_of(Q(pk=slot_id) | Q(held_by=patient))
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
    doctor_ids = _lock_doctors_of(Q(pk=slot_id))
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
    *,
    patient: User,
    slot_id: int,
    reason: str,
    booked_by: User | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Book the slot for `patient`: the one way an appointment comes to exist.

    `booked_by`: clinic staff booking on the patient's behalf (a phone call); by
    default the patient books for themselves. Locks the slot row, re-checks every
    rule inside the lock (an expired hold, or the patient's own, is fine; the
    no-show limit stops only online booking), creates the appointment — pending,
    or confirmed when the doctor auto-confirms — marks the slot booked, clears the
    hold, writes the first AppointmentEvent and notifies. The partial unique
    constraint is the last guard: its IntegrityError becomes SlotUnavailable too.
    Raises SlotUnavailable or a BookingRefused."""
    now = now or timezone.now()
    booked_by = booked_by or patient
    by_staff = booked_by.pk != patient.pk
    if by_staff and not booked_by.is_staff:
        raise ActionNotAllowed
    _lock_doctors_of(Q(pk=slot_id))
    slot = _lock_slot(slot_id)
    if slot is None:
        raise SlotUnavailable
    _lock_user(patient)
    check_booking_rules(slot=slot, patient=patient, now=now, by_staff=by_staff)
    # Read before the hold is cleared below.
    held_here = slot.is_held_by(patient, now)
    doctor = slot.doctor
    status = Status.CONFIRMED if doctor.auto_confirm else Status.PENDING
    try:
        # No savepoint of its own: a refusal by the constraint leaves this
        # function (and its atomic block, which rolls back) at once.
        appointment = Appointment.objects.create(
            slot=slot,
            doctor=doctor,
            patient=patient,
            booked_by=booked_by,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            reason=reason,
            status=status,
            time_set_at=now,
        )
    except IntegrityError:
        raise SlotUnavailable from None
    Slot.objects.filter(pk=slot.pk).update(
        is_booked=True, held_by=None, held_until=None
    )
    if held_here:
        # A held slot is not free, so booking it moves no first free time; the
        # stored first hold end may now be early, which only brings a recount
        # forward (`next_free_is_current`). What shows the slot moves on.
        doctor_cache.bump_on_commit([doctor.pk])
    else:
        refresh_next_free([doctor.pk], now=now)
    notes = [_("Booked by the clinic") if by_staff else ""]
    if doctor.auto_confirm:
        notes.append(_("confirmed automatically"))
    _event(
        appointment,
        actor=booked_by,
        from_status="",
        to_status=status,
        note="; ".join(filter(None, notes)).capitalize(),
    )
    notices.booked(appointment)
    return appointment


# --- Lifecycle ---------------------------------------------------------------------


def _lock_appointment(
    appointment_id: int, *, slot_ids: tuple[int, ...] = (), lock_patient: bool = False
) -> tuple[dict[int, Slot | None], Appointment]:
    """Lock the doctor, the appointment's slot (and `slot_ids`, in id order), the
    patient when `lock_patient`, then the appointment: the one lock order.

    Returns the locked slots by id and the appointment. Raises
    AppointmentNotFound."""
    row = (
        Appointment.objects.filter(pk=appointment_id)
        .values_list("slot_id", "doctor_id", "patient_id")
        .first()
    )
    if row is None:
        raise AppointmentNotFound
    slot_id, doctor_id, patient_id = row
    DoctorProfile.objects.lock([doctor_id])
    slots = {pk: _lock_slot(pk) for pk in sorted({slot_id, *slot_ids})}
    if lock_patient:
        _lock_user(User(pk=patient_id))
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("doctor__user", "patient")
        .get(pk=appointment_id)
    )
    if appointment.slot_id != slot_id:  # rescheduled between the read and the lock
        raise TransitionRefused
    return slots, appointment


def _transition(
    *,
    appointment_id: int,
    user: User | None,
    action: str,
    note: str = "",
    now: dt.datetime | None = None,
    announce: bool = True,
) -> Appointment:
    """Move the appointment as `action` says in TRANSITIONS, under the locks, as a
    compare-and-set; free a future slot it gives up; record and notify (unless
    `announce` is off: the caller tells the people in its own words)."""
    now = now or timezone.now()
    slots, appointment = _lock_appointment(appointment_id)
    if role_of(user, appointment) is None:
        raise AppointmentNotFound
    check_transition(appointment, user=user, action=action, note=note, now=now)
    from_status = appointment.status
    to_status = TRANSITIONS[action, from_status].to_status
    changes = {
        "status": to_status,
        "updated_at": timezone.now(),
        # Under the appointment's row lock: read, raise, write cannot interleave.
        "calendar_sequence": appointment.calendar_sequence + 1,
    }
    if to_status == Status.CANCELLED:
        changes.update(cancelled_by=user, cancellation_reason=note.strip())
    updated = Appointment.objects.filter(pk=appointment.pk, status=from_status).update(
        **changes
    )
    if not updated:
        raise TransitionRefused
    caching.bump_appointment_on_commit(appointment)
    for field, value in changes.items():
        setattr(appointment, field, value)
    if to_status == Status.CANCELLED:
        _free_slot(slots[appointment.slot_id], now=now)
        refresh_next_free([appointment.doctor_id], now=now)
    _event(
        appointment,
        actor=user,
        from_status=from_status,
        to_status=to_status,
        note=note.strip(),
    )
    if announce:
        notices.transitioned(
            appointment, role=role_of(user, appointment), from_status=from_status
        )
    return appointment


@transaction.atomic
def confirm(
    *, user: User, appointment_id: int, now: dt.datetime | None = None
) -> Appointment:
    """The appointment's doctor accepts a pending booking. Raises TransitionRefused."""
    return _transition(
        appointment_id=appointment_id, user=user, action="confirm", now=now
    )


@transaction.atomic
def decline(
    *, user: User, appointment_id: int, reason: str, now: dt.datetime | None = None
) -> Appointment:
    """The appointment's doctor turns down a pending booking, saying why; the slot
    is free again. Raises TransitionRefused."""
    return _transition(
        appointment_id=appointment_id,
        user=user,
        action="decline",
        note=reason,
        now=now,
    )


@transaction.atomic
def cancel(
    *,
    user: User,
    appointment_id: int,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    """Cancel the appointment, as TRANSITIONS allows `user`'s role.

    The patient may cancel a pending one any time, a confirmed one until
    PATIENT_CANCEL_CUTOFF before it starts; the doctor and staff any time, with a
    reason. A slot still in the future is freed for others.
    Raises TransitionRefused."""
    return _transition(
        appointment_id=appointment_id,
        user=user,
        action="cancel",
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
        appointment_id=appointment_id, user=user, action="complete", now=now
    )


@transaction.atomic
def mark_no_show(
    *, user: User, appointment_id: int, now: dt.datetime | None = None
) -> Appointment:
    """The doctor or clinic staff record that the patient did not come to a
    confirmed visit, once it has started. It is then never completed, reviewed or
    asked about, and counts towards NO_SHOW_LIMIT. Raises TransitionRefused."""
    return _transition(
        appointment_id=appointment_id, user=user, action="no_show", now=now
    )


@transaction.atomic
def reschedule(
    *,
    user: User,
    appointment_id: int,
    new_slot_id: int,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    """Move an active appointment to another free slot of the same doctor.

    The patient moves their own (back to pending unless the doctor auto-confirms);
    the doctor moves theirs and clinic staff any, before it starts, optionally
    saying why (it stays confirmed when the doctor moves it, keeps its status when
    staff do). The doctor, both slots (in id order), the patient, then the
    appointment are locked. TRANSITIONS must allow the move; the new slot passes
    every booking rule for the patient (leaving this appointment out of the
    per-patient ones; the no-show limit only stops the patient); the old slot is
    freed only once the new one is taken; the reminder is due again; the other
    side is told. Raises AppointmentNotFound, TransitionRefused, SlotUnavailable
    or a BookingRefused."""
    now = now or timezone.now()
    new_slot_id = int(new_slot_id)
    slots, appointment = _lock_appointment(
        appointment_id, slot_ids=(new_slot_id,), lock_patient=True
    )
    role = role_of(user, appointment)
    if role is None:
        raise AppointmentNotFound
    old_slot, new_slot = slots[appointment.slot_id], slots[new_slot_id]
    if new_slot_id == old_slot.pk:
        raise TransitionRefused(_("That is the time it already has."))
    check_transition(appointment, user=user, action="reschedule", note=reason, now=now)
    if new_slot is None:
        raise SlotUnavailable
    if new_slot.doctor_id != appointment.doctor_id:
        raise TransitionRefused(_("Please pick a time with the same doctor."))
    patient = appointment.patient
    check_booking_rules(
        slot=new_slot,
        patient=patient,
        now=now,
        ignore=appointment.pk,
        by_staff=role != "patient",
    )
    from_status = appointment.status
    if role == "doctor" or appointment.doctor.auto_confirm:
        to_status = Status.CONFIRMED
    elif role == "staff":
        to_status = from_status
    else:
        to_status = Status.PENDING
    try:
        with transaction.atomic():
            updated = Appointment.objects.filter(
                pk=appointment.pk, status=from_status, slot_id=old_slot.pk
            ).update(
                slot=new_slot,
                starts_at=new_slot.starts_at,
                ends_at=new_slot.ends_at,
                status=to_status,
                reminder_sent_at=None,
                time_set_at=now,
                attendance_confirmed_at=None,
                updated_at=timezone.now(),
                calendar_sequence=appointment.calendar_sequence + 1,
            )
    except IntegrityError:
        raise SlotUnavailable from None
    if not updated:
        raise TransitionRefused
    caching.bump_appointment_on_commit(appointment)
    # Reminders (and the pending notice) are due again, for the new time.
    SentReminder.objects.filter(appointment_id=appointment.pk).delete()
    Slot.objects.filter(pk=new_slot.pk).update(
        is_booked=True, held_by=None, held_until=None
    )
    _free_slot(old_slot, now=now)
    refresh_next_free([appointment.doctor_id], now=now)
    old_start = appointment.starts_at
    appointment.refresh_from_db()
    moved = _("Moved from %(old)s to %(new)s (UTC)") % {
        "old": dateformat.format(old_start.astimezone(dt.UTC), "D j M Y, H:i"),
        "new": dateformat.format(new_slot.starts_at.astimezone(dt.UTC), "D j M Y, H:i"),
    }
    _event(
        appointment,
        actor=user,
        from_status=from_status,
        to_status=to_status,
        note=f"{moved}: {reason.strip()}" if reason.strip() else moved,
    )
    notices.rescheduled(
        appointment, role=role, old_starts_at=old_start, reason=reason.strip()
    )
    return appointment


# --- Time off over booked visits ----------------------------------------------------


@dataclass(frozen=True)
class TimeOffTaken:
    time_off: TimeOff
    regeneration: schedule.RegenerationResult
    cancelled: list[Appointment] = dataclasses.field(default_factory=list)
    kept: list[Appointment] = dataclasses.field(default_factory=list)


@transaction.atomic
def add_time_off(
    *,
    user: User,
    doctor: DoctorProfile,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
    on_booked: str | None = None,
    message: str = "",
    now: dt.datetime | None = None,
) -> TimeOffTaken:
    """The doctor (or clinic staff for them) takes time off: the one door for it.

    Booked visits it covers (pending or confirmed, not started yet) are never
    passed over in silence: without `on_booked` ("cancel" or "keep") it raises
    AffectsAppointments listing them. "cancel" cancels each with `message` (each
    patient is told, with a link to the doctor's next free times; MessageRequired
    without one), "keep" leaves them booked (flagged on the week). The doctor is
    locked first and kept locked until the time off is stored, so a booking made
    meanwhile either comes before (and is in the list) or after (and the time off
    refuses it). Raises ActionNotAllowed for anyone but the doctor and staff."""
    now = now or timezone.now()
    if user.pk != doctor.user_id and not user.is_staff:
        raise ActionNotAllowed
    DoctorProfile.objects.lock([doctor.pk])
    affected = selectors.booked_during(
        doctor, starts_at=starts_at, ends_at=ends_at, now=now
    )
    refusal = time_off_refusal(affected, on_booked=on_booked, message=message)
    if refusal:
        raise refusal
    cancelled = []
    if on_booked == "cancel":
        for appointment in affected:
            appointment = _transition(
                appointment_id=appointment.pk,
                user=user,
                action="cancel",
                note=message,
                now=now,
                announce=False,
            )
            notices.cancelled_for_time_off(appointment, role=role_of(user, appointment))
            cancelled.append(appointment)
    time_off, result = schedule.add_time_off(
        doctor=doctor,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        keep_booked=True,
        now=now,
    )
    return TimeOffTaken(
        time_off=time_off,
        regeneration=result,
        cancelled=cancelled,
        kept=affected if on_booked == "keep" else [],
    )


def sick_day(
    *, user: User, doctor: DoctorProfile, message: str, now: dt.datetime | None = None
) -> TimeOffTaken:
    """ "I'm sick today": time off from now to the end of the day at the practice,
    every visit left in it cancelled with `message` and its patient told.
    Raises MessageRequired when there are visits and no message."""
    now = now or timezone.now()
    tomorrow = now.astimezone(doctor.zone).date() + dt.timedelta(days=1)
    return add_time_off(
        user=user,
        doctor=doctor,
        starts_at=now,
        ends_at=selectors.local_midnight(tomorrow, doctor.zone),
        reason=_("Sick day"),
        on_booked="cancel",
        message=message,
        now=now,
    )


def close_past_appointments(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Complete confirmed visits that have ended; cancel pending ones whose start
    passed ("not confirmed in time"). Each appointment in its own transaction, so
    one failure blocks no other. Idempotent.

    Returns {"completed": n, "cancelled": m}."""
    now = now or timezone.now()
    counts = {"completed": 0, "cancelled": 0}
    due = {
        "completed": (
            "complete",
            "",
            Appointment.objects.filter(status=Status.CONFIRMED, ends_at__lte=now),
        ),
        "cancelled": (
            "cancel",
            _("Not confirmed in time."),
            Appointment.objects.filter(status=Status.PENDING, starts_at__lte=now),
        ),
    }
    for count, (action, note, appointments) in due.items():
        for pk in appointments.values_list("pk", flat=True):
            with transaction.atomic():
                try:
                    _transition(
                        appointment_id=pk, user=None, action=action, note=note, now=now
                    )
                except TransitionRefused:
                    continue  # someone else moved it meanwhile
            counts[count] += 1
    return counts

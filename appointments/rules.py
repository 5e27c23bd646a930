"""The booking rules and the lifecycle table: every "no" the appointments app says.

`check_booking_rules` decides whether a patient may book a slot (the services call
it under the slot's lock; the slot picker asks `PatientBookings` the same
per-patient questions for a whole week at once). `TRANSITIONS` decides who may
do what to an appointment, when: the services refuse from it and the pages show
only the buttons it allows. Each refusal is a `Refusal` carrying its HTTP status
and a stable code (`accounts.errors`).
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from http import HTTPStatus

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.errors import Refusal
from accounts.models import User

from .models import Appointment, Slot, TimeOff

Status = Appointment.Status

HOLD_DURATION = dt.timedelta(minutes=5)
PATIENT_CANCEL_CUTOFF = dt.timedelta(hours=2)
MAX_ACTIVE_FUTURE_APPOINTMENTS = 10
# No-shows older than this no longer count against NO_SHOW_LIMIT.
NO_SHOW_WINDOW = dt.timedelta(days=90)
# A local day is at most 25 hours long: appointments that started longer ago than
# that cannot share a day with a future slot.
LONGEST_DAY = dt.timedelta(hours=25)


def duration_text(delta: dt.timedelta) -> str:
    """ "2 hours", "90 minutes": a rule's time limit, for its message."""
    minutes = int(delta.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


# --- Booking refusals -------------------------------------------------------------


class BookingError(Refusal):
    """Base of every refusal to book a slot; about the `slot` the request names."""

    status = HTTPStatus.BAD_REQUEST
    code = "refused"
    field = "slot"
    default_message = gettext_lazy("This time cannot be booked.")


class SlotUnavailable(BookingError):
    """The slot is booked (or gone): usually someone was a moment faster."""

    status = HTTPStatus.CONFLICT
    code = "slot_taken"
    default_message = gettext_lazy("That time was just taken. Please pick another.")


class BookingRefused(BookingError):
    """A booking rule says no; each subclass is one rule with its own message."""


class SlotHeld(BookingRefused):
    status = HTTPStatus.CONFLICT
    code = "slot_held"
    default_message = gettext_lazy(
        "Someone else is confirming this time right now. Please pick another, "
        "or try again in a few minutes."
    )


class SlotInPast(BookingRefused):
    code = "slot_in_past"
    default_message = gettext_lazy(
        "That time has already passed. Please pick a later one."
    )


class NoticeTooShort(BookingRefused):
    code = "notice_too_short"


class BeyondHorizon(BookingRefused):
    code = "beyond_horizon"


class DoctorAway(BookingRefused):
    code = "doctor_away"
    default_message = gettext_lazy(
        "The doctor is away at that time. Please pick another."
    )


class OwnSlot(BookingRefused):
    code = "own_slot"
    default_message = gettext_lazy("You cannot book an appointment with yourself.")


class Overlap(BookingRefused):
    code = "overlap"
    default_message = gettext_lazy("You already have an appointment at that time.")


class SameDoctorSameDay(BookingRefused):
    code = "same_doctor_same_day"
    default_message = gettext_lazy(
        "You already have an appointment with this doctor on that day."
    )


class TooManyNoShows(BookingRefused):
    """Online booking is closed to the patient; the front desk can still book."""

    status = HTTPStatus.FORBIDDEN
    code = "no_show_limit"
    default_message = gettext_lazy(
        "You missed several recent appointments, so online booking is paused for "
        "you. Please call the clinic to book."
    )


class TooManyAppointments(BookingRefused):
    code = "too_many"

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or _(
                "You already have %(count)d upcoming appointments, the most allowed. "
                "Cancel one to book another."
            )
            % {"count": MAX_ACTIVE_FUTURE_APPOINTMENTS}
        )


# --- Transition refusals ----------------------------------------------------------


class TransitionRefused(Refusal):
    """The appointment cannot move that way, now: its state or the time says no."""

    status = HTTPStatus.CONFLICT
    code = "transition_refused"
    default_message = gettext_lazy("This appointment just changed. Please try again.")


class ActionNotAllowed(TransitionRefused):
    """The person's role on the appointment may not do this at all."""

    status = HTTPStatus.FORBIDDEN
    code = "permission_denied"
    default_message = gettext_lazy("You cannot make this change to the appointment.")


class ReasonRequired(TransitionRefused):
    status = HTTPStatus.BAD_REQUEST
    code = "required"
    field = "reason"
    default_message = gettext_lazy("Please give a reason.")


class AppointmentNotFound(TransitionRefused):
    status = HTTPStatus.NOT_FOUND
    code = "not_found"
    default_message = gettext_lazy("That appointment does not exist.")


# --- Time off over booked visits ---------------------------------------------------

ON_BOOKED_CHOICES = ("cancel", "keep")


class AffectsAppointments(Refusal):
    """Time off would cover booked visits and nobody said what becomes of them:
    never silently. Carries the visits, so the page and the API can list them."""

    status = HTTPStatus.CONFLICT
    code = "affects_appointments"
    field = "on_booked"

    def __init__(self, appointments: list[Appointment]):
        self.appointments = appointments
        super().__init__(
            ngettext(
                "%(n)d booked visit falls in this time off. Cancel it (the patient "
                "is told) or keep it.",
                "%(n)d booked visits fall in this time off. Cancel them (each "
                "patient is told) or keep them.",
                len(appointments),
            )
            % {"n": len(appointments)}
        )

    @property
    def extra(self) -> dict:
        """The visits, for the API's error body."""
        return {
            "affected": [
                {
                    "id": appointment.pk,
                    "starts_at": appointment.starts_at,
                    "ends_at": appointment.ends_at,
                    "status": appointment.status,
                    "patient": {
                        "id": appointment.patient_id,
                        "name": appointment.patient.full_name,
                    },
                }
                for appointment in self.appointments
            ]
        }


class MessageRequired(Refusal):
    """Cancelling visits for time off needs the message each patient will read."""

    status = HTTPStatus.BAD_REQUEST
    code = "required"
    field = "message"
    default_message = gettext_lazy(
        "Please write the patients a message: each of them will read it."
    )


def time_off_refusal(
    affected: list[Appointment], *, on_booked: str | None, message: str = ""
) -> Refusal | None:
    """Why time off covering `affected` (the doctor's pending or confirmed visits
    not started yet) may not be taken as asked, or None: booked visits need an
    answer (cancel or keep), and cancelling them needs a message."""
    if not affected:
        return None
    if on_booked not in ON_BOOKED_CHOICES:
        return AffectsAppointments(affected)
    if on_booked == "cancel" and not message.strip():
        return MessageRequired()
    return None


# --- Who may book what ------------------------------------------------------------


@dataclass(frozen=True)
class PatientBookings:
    """The patient's appointments that bear on a new booking: the per-patient
    rules (no overlap, one a day with a doctor, ten upcoming at most, the no-show
    limit), answered for any number of slots from one query."""

    now: dt.datetime
    # (doctor id, starts at, ends at) of each active appointment that has not
    # ended or started within the last day.
    appointments: tuple[tuple[int, dt.datetime, dt.datetime], ...]
    recent_no_shows: int = 0

    @classmethod
    def of(
        cls, patient: User, *, now: dt.datetime, ignore: int | None = None
    ) -> "PatientBookings":
        """`ignore`: an appointment left out (the one being rescheduled)."""
        active = Q(status__in=Appointment.ACTIVE_STATUSES) & (
            Q(ends_at__gt=now) | Q(starts_at__gt=now - LONGEST_DAY)
        )
        missed = Q(status=Status.NO_SHOW, starts_at__gte=now - NO_SHOW_WINDOW)
        rows = (
            Appointment.objects.filter(patient=patient)
            .filter(active | missed)
            .exclude(pk=ignore)
            .values_list("status", "doctor_id", "starts_at", "ends_at")
        )
        appointments, no_shows = [], 0
        for status, doctor_id, starts_at, ends_at in rows:
            if status == Status.NO_SHOW:
                no_shows += 1
            else:
                appointments.append((doctor_id, starts_at, ends_at))
        return cls(now=now, appointments=tuple(appointments), recent_no_shows=no_shows)

    @property
    def at_limit(self) -> bool:
        upcoming = sum(1 for _, starts, _ in self.appointments if starts > self.now)
        return upcoming >= MAX_ACTIVE_FUTURE_APPOINTMENTS

    @property
    def online_booking_paused(self) -> bool:
        limit = settings.NO_SHOW_LIMIT
        return bool(limit) and self.recent_no_shows >= limit

    def blanket_refusal(self, *, by_staff: bool = False) -> BookingRefused | None:
        """The refusal that holds for every slot, whatever its time: the no-show
        limit (not for the front desk) or the limit of upcoming visits."""
        if self.online_booking_paused and not by_staff:
            return TooManyNoShows()
        if self.at_limit:
            return TooManyAppointments()
        return None

    def refusal(
        self,
        *,
        doctor_id: int,
        zone: zoneinfo.ZoneInfo,
        starts_at: dt.datetime,
        ends_at: dt.datetime,
    ) -> BookingRefused | None:
        """Why this patient may not book [starts_at, ends_at) with the doctor whose
        practice is in `zone`, or None."""
        if any(s < ends_at and starts_at < e for _, s, e in self.appointments):
            return Overlap()
        day = starts_at.astimezone(zone).date()
        if any(
            d == doctor_id and s.astimezone(zone).date() == day
            for d, s, _ in self.appointments
        ):
            return SameDoctorSameDay()
        return None


def check_booking_rules(
    *,
    slot: Slot,
    patient: User,
    now: dt.datetime,
    ignore: int | None = None,
    by_staff: bool = False,
) -> None:
    """Raise the BookingError that refuses `patient` booking `slot` at `now`.

    Call with the slot row and the patient row locked. `ignore` is an appointment
    of the patient left out of the per-patient rules (the one being rescheduled);
    `by_staff`: the front desk books for the patient (the no-show limit stops only
    online booking)."""
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
            % {
                "doctor": doctor.display_name,
                "notice": duration_text(doctor.min_notice),
            }
        )
    if slot.starts_at >= now + doctor.booking_horizon:
        raise BeyondHorizon(
            _("%(doctor)s takes bookings up to %(days)d days ahead.")
            % {"doctor": doctor.display_name, "days": doctor.booking_horizon.days}
        )
    if TimeOff.objects.filter(
        doctor=doctor, starts_at__lt=slot.ends_at, ends_at__gt=slot.starts_at
    ).exists():
        raise DoctorAway
    if doctor.user_id == patient.pk:
        raise OwnSlot
    bookings = PatientBookings.of(patient, now=now, ignore=ignore)
    refusal = bookings.refusal(
        doctor_id=doctor.pk,
        zone=doctor.zone,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
    ) or bookings.blanket_refusal(by_staff=by_staff)
    if refusal:
        raise refusal


# --- The lifecycle ----------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Conditions on one actor role for one action."""

    needs_reason: bool = False  # a note saying why is required
    before_start: bool = False  # only until the visit starts
    before_cutoff: bool = False  # only until PATIENT_CANCEL_CUTOFF before start
    after_start: bool = False  # only once the visit has started
    after_end: bool = False  # only once the visit has ended


@dataclass(frozen=True)
class Transition:
    # None: the status the doctor's settings give a booking (pending, or
    # confirmed when the doctor auto-confirms), as for a new booking.
    to_status: str | None
    roles: dict[str, Rule]


# The one place that says who may do what to an appointment in which status, and
# when. Roles: the appointment's "patient", its "doctor", clinic "staff", and
# "system" (close_past_appointments). Pages show only the actions it allows.
TRANSITIONS: dict[tuple[str, str], Transition] = {
    ("confirm", Status.PENDING): Transition(Status.CONFIRMED, {"doctor": Rule()}),
    ("decline", Status.PENDING): Transition(
        Status.CANCELLED, {"doctor": Rule(needs_reason=True)}
    ),
    ("cancel", Status.PENDING): Transition(
        Status.CANCELLED,
        {
            "patient": Rule(),
            "doctor": Rule(needs_reason=True),  # the same as declining
            "staff": Rule(needs_reason=True),
            "system": Rule(needs_reason=True),
        },
    ),
    ("cancel", Status.CONFIRMED): Transition(
        Status.CANCELLED,
        {
            "patient": Rule(before_cutoff=True),
            "doctor": Rule(needs_reason=True),
            "staff": Rule(needs_reason=True),
        },
    ),
    ("complete", Status.CONFIRMED): Transition(
        Status.COMPLETED,
        {"doctor": Rule(after_start=True), "system": Rule(after_end=True)},
    ),
    # Nobody came: only once the visit has started, and never by the system (an
    # unmarked confirmed visit is completed by close_past_appointments).
    ("no_show", Status.CONFIRMED): Transition(
        Status.NO_SHOW,
        {"doctor": Rule(after_start=True), "staff": Rule(after_start=True)},
    ),
    ("reschedule", Status.PENDING): Transition(
        None,
        {
            "patient": Rule(before_start=True),
            "doctor": Rule(before_start=True),
            # The front desk says why: the patient and the doctor read it.
            "staff": Rule(before_start=True, needs_reason=True),
        },
    ),
    ("reschedule", Status.CONFIRMED): Transition(
        None,
        {
            "patient": Rule(before_cutoff=True),
            "doctor": Rule(before_start=True),
            # The front desk says why: the patient and the doctor read it.
            "staff": Rule(before_start=True, needs_reason=True),
        },
    ),
}
ACTIONS = tuple(dict.fromkeys(action for action, _ in TRANSITIONS))
ACTION_LABELS = {
    "confirm": gettext_lazy("confirmed"),
    "decline": gettext_lazy("declined"),
    "cancel": gettext_lazy("cancelled"),
    "complete": gettext_lazy("completed"),
    "no_show": gettext_lazy("marked as a no-show"),
    "reschedule": gettext_lazy("moved"),
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


def rule_for(appointment: Appointment, *, user: User | None, action: str) -> Rule:
    """The rule `user` meets for `action` on `appointment` in its status now.

    Raises ActionNotAllowed when their role may never do it, TransitionRefused when
    the appointment's status does not allow it."""
    role = role_of(user, appointment)
    if not any(
        role in transition.roles
        for (name, _), transition in TRANSITIONS.items()
        if name == action
    ):
        raise ActionNotAllowed
    transition = TRANSITIONS.get((action, appointment.status))
    if transition is None or role not in transition.roles:
        raise TransitionRefused(
            _("A %(status)s appointment cannot be %(done)s.")
            % {
                "status": Status(appointment.status).label.lower(),
                "done": ACTION_LABELS[action],
            }
        )
    return transition.roles[role]


def needs_reason(appointment: Appointment, *, user: User | None, action: str) -> bool:
    """Whether `user` must say why to do `action` (forms mark the field required)."""
    try:
        return rule_for(appointment, user=user, action=action).needs_reason
    except TransitionRefused:
        return False


def check_transition(
    appointment: Appointment,
    *,
    user: User | None,
    action: str,
    note: str = "",
    now: dt.datetime,
) -> None:
    """Raise the TransitionRefused that stops `user` doing `action` now."""
    rule = rule_for(appointment, user=user, action=action)
    starts_at = appointment.starts_at
    if rule.needs_reason and not note.strip():
        raise ReasonRequired
    if rule.before_start and now >= starts_at:
        raise TransitionRefused(_("The visit has already started."))
    if rule.before_cutoff and now > starts_at - PATIENT_CANCEL_CUTOFF:
        raise TransitionRefused(
            _("It is less than %(cutoff)s before the visit: please call the clinic.")
            % {"cutoff": duration_text(PATIENT_CANCEL_CUTOFF)}
        )
    if rule.after_start and now < starts_at:
        raise TransitionRefused(
            _("A visit can be %(done)s only once it has started.")
            % {"done": ACTION_LABELS[action]}
        )
    if rule.after_end and now < appointment.ends_at:
        raise TransitionRefused(_("The visit has not ended yet."))


def allowed_actions(
    appointment: Appointment, *, user: User, now: dt.datetime | None = None
) -> set[str]:
    """What `user` could do to `appointment` now, read from TRANSITIONS. Pages and
    the API show only these; the services still decide. Queries nothing (needs
    `doctor` loaded)."""
    now = now or timezone.now()
    allowed = set()
    for action in ACTIONS:
        try:
            # "-": a reason is asked for on the next page, not needed for a button.
            check_transition(appointment, user=user, action=action, note="-", now=now)
        except TransitionRefused:
            continue
        allowed.add(action)
    return allowed

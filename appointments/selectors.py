"""Reads for the appointment and schedule pages (and their API twins): a doctor's
own week grid and day, the public slot picker, the times an appointment can move to."""

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.utils import dateformat

from accounts.models import User
from doctors.models import DoctorProfile

from .models import Appointment, Slot, TimeOff
from .rules import OwnSlot, PatientBookings

DAYS_SHOWN = 7


def week_start(day: dt.date) -> dt.date:
    """The Monday of the week containing `day`."""
    return day - dt.timedelta(days=day.weekday())


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone)


# --- The doctor's appointments ----------------------------------------------------

DOCTOR_TABS = ("today", "upcoming", "past")


def practice_today(doctor: DoctorProfile, now: dt.datetime) -> dt.date:
    return now.astimezone(doctor.zone).date()


def doctor_day(doctor: DoctorProfile, day: dt.date) -> QuerySet[Appointment]:
    """The doctor's appointments (any status) starting on `day` at the practice,
    by start time. The page's "today" and the API's day are this one read."""
    zone = doctor.zone
    return Appointment.objects.filter(
        doctor=doctor,
        starts_at__gte=local_midnight(day, zone),
        starts_at__lt=local_midnight(day + dt.timedelta(days=1), zone),
    ).order_by("starts_at", "id")


def doctor_appointments(
    doctor: DoctorProfile, *, tab: str, now: dt.datetime
) -> QuerySet[Appointment]:
    """One tab of the doctor's appointments: "today" at the practice, "upcoming"
    (active, after today; pending first), "past" (before today, latest first)."""
    today = practice_today(doctor, now)
    if tab == "today":
        return doctor_day(doctor, today)
    zone = doctor.zone
    theirs = Appointment.objects.filter(doctor=doctor)
    if tab == "upcoming":
        return (
            theirs.active()
            .filter(starts_at__gte=local_midnight(today + dt.timedelta(days=1), zone))
            .annotate(
                pending_first=Case(
                    When(status=Appointment.Status.PENDING, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("pending_first", "starts_at", "id")
        )
    return theirs.filter(starts_at__lt=local_midnight(today, zone)).order_by(
        "-starts_at", "-id"
    )


def booked_during(
    doctor: DoctorProfile, *, starts_at: dt.datetime, ends_at: dt.datetime, now
) -> list[Appointment]:
    """The doctor's pending or confirmed visits that overlap [starts_at, ends_at)
    and have not started at `now` (a visit under way is the doctor's to finish):
    what time off over that period would affect. One query."""
    return list(
        Appointment.objects.active()
        .filter(
            doctor=doctor,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
            starts_at__gt=now,
        )
        .select_related("patient")
        .order_by("starts_at", "id")
    )


def no_show_counts(patient_ids) -> dict[int, int]:
    """How many visits each of these patients missed (marked no-show), ever: what
    the doctor and the desk see beside a name. One query for a whole page."""
    return dict(
        Appointment.objects.no_shows()
        .filter(patient_id__in=set(patient_ids))
        .values("patient_id")
        .annotate(n=Count("id"))
        .values_list("patient_id", "n")
    )


def age_on(born: dt.date | None, day: dt.date) -> int | None:
    """Full years from `born` to `day` (None when the birth date is unknown)."""
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def with_patient_facts(
    appointments: list[Appointment], *, today: dt.date
) -> list[Appointment]:
    """Give each appointment (with `patient` loaded) what the doctor sees beside
    the name: `patient_age` on `today` and `patient_no_shows`. One query."""
    counts = no_show_counts(a.patient_id for a in appointments)
    for appointment in appointments:
        appointment.patient_age = age_on(appointment.patient.date_of_birth, today)
        appointment.patient_no_shows = counts.get(appointment.patient_id, 0)
    return appointments


@dataclass
class AgendaEntry:
    """One line of the doctor's day: a visit, a free or held time, or time off."""

    kind: str  # "appointment", "free", "held" or "time_off"
    starts_at: dt.datetime
    ends_at: dt.datetime
    appointment: Appointment | None = None
    note: str = ""  # the time off's reason
    past: bool = False


@dataclass
class Agenda:
    day: dt.date
    entries: list[AgendaEntry]
    zone: ZoneInfo

    @property
    def previous_day(self) -> dt.date:
        return self.day - dt.timedelta(days=1)

    @property
    def next_day(self) -> dt.date:
        return self.day + dt.timedelta(days=1)

    @property
    def appointments(self) -> list[Appointment]:
        return [e.appointment for e in self.entries if e.appointment is not None]

    @property
    def time_off(self) -> list[AgendaEntry]:
        return [e for e in self.entries if e.kind == "time_off"]


def doctor_agenda(doctor: DoctorProfile, day: dt.date, *, now: dt.datetime) -> Agenda:
    """The doctor's `day` at the practice in time order: every appointment (with
    the patient, their age and past no-shows), the free and held times between
    them (on the schedule), and the time off that covers part of it. Four
    queries."""
    zone = doctor.zone
    start = local_midnight(day, zone)
    end = local_midnight(day + dt.timedelta(days=1), zone)
    appointments = list(doctor_day(doctor, day).select_related("patient"))
    for appointment in appointments:
        appointment.doctor = doctor  # for allowed_actions, without a join
    with_patient_facts(appointments, today=now.astimezone(zone).date())
    entries = [
        AgendaEntry(
            "appointment",
            a.starts_at,
            a.ends_at,
            appointment=a,
            past=a.ends_at <= now,
        )
        for a in appointments
    ]
    open_slots = (
        # A slot left outside the hours (in time off, after a cancellation) is
        # offered to nobody: not a free time.
        Slot.objects.filter(
            doctor=doctor,
            starts_at__gte=start,
            starts_at__lt=end,
            is_booked=False,
            outside_schedule=False,
        )
        .order_by("starts_at")
        .values_list("starts_at", "ends_at", "held_until")
    )
    for starts_at, ends_at, held_until in open_slots:
        held = held_until is not None and held_until > now
        entries.append(
            AgendaEntry(
                "held" if held else "free", starts_at, ends_at, past=ends_at <= now
            )
        )
    for starts_at, ends_at, reason in TimeOff.objects.filter(
        doctor=doctor, starts_at__lt=end, ends_at__gt=start
    ).values_list("starts_at", "ends_at", "reason"):
        entries.append(
            AgendaEntry(
                "time_off", starts_at, ends_at, note=reason, past=ends_at <= now
            )
        )
    # Time off first at an equal start: it explains what follows.
    entries.sort(key=lambda e: (e.starts_at, e.kind != "time_off"))
    return Agenda(day=day, entries=entries, zone=zone)


# --- The doctor's week grid -------------------------------------------------------


@dataclass
class SlotCell:
    """One slot on the doctor's grid with its state."""

    pk: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    state: str  # "free", "held" or "booked"
    held_until: dt.datetime | None
    outside_schedule: bool
    in_time_off: bool
    # The visit in a booked slot (not a cancelled one), with the patient's facts.
    appointment: Appointment | None = None


@dataclass
class TimeOffCell:
    pk: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str


@dataclass
class GridDay:
    date: dt.date
    slots: list[SlotCell] = field(default_factory=list)
    time_off: list[TimeOffCell] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = {"free": 0, "held": 0, "booked": 0}
        for slot in self.slots:
            counts[slot.state] += 1
        return counts


@dataclass
class WeekGrid:
    first_day: dt.date
    days: list[GridDay]
    zone: ZoneInfo

    @property
    def last_day(self) -> dt.date:
        return self.first_day + dt.timedelta(days=DAYS_SHOWN - 1)

    @property
    def previous_week(self) -> dt.date:
        return self.first_day - dt.timedelta(days=DAYS_SHOWN)

    @property
    def next_week(self) -> dt.date:
        return self.first_day + dt.timedelta(days=DAYS_SHOWN)

    @property
    def is_empty(self) -> bool:
        return not any(day.slots or day.time_off for day in self.days)


def doctor_week(
    *, doctor: DoctorProfile, first_day: dt.date, zone: ZoneInfo, now: dt.datetime
) -> WeekGrid:
    """Every slot of the doctor in the 7 days from `first_day` (local to `zone`),
    with its state (free, held by an unexpired hold, booked), whether it is flagged
    outside the hours, and whether it lies in time off; plus the time off periods
    of each day; each booked slot with its visit, the patient's age and past
    no-shows. Four queries."""
    start = local_midnight(first_day, zone)
    end = local_midnight(first_day + dt.timedelta(days=DAYS_SHOWN), zone)
    time_off = [
        TimeOffCell(pk, starts_at, ends_at, reason)
        for pk, starts_at, ends_at, reason in TimeOff.objects.filter(
            doctor=doctor, starts_at__lt=end, ends_at__gt=start
        ).values_list("pk", "starts_at", "ends_at", "reason")
    ]
    days = {
        first_day + dt.timedelta(days=n): GridDay(first_day + dt.timedelta(days=n))
        for n in range(DAYS_SHOWN)
    }
    for period in time_off:
        for day, grid_day in days.items():
            if period.starts_at < local_midnight(
                day + dt.timedelta(days=1), zone
            ) and period.ends_at > local_midnight(day, zone):
                grid_day.time_off.append(period)
    rows = Slot.objects.filter(
        doctor=doctor, starts_at__gte=start, starts_at__lt=end
    ).values_list(
        "pk", "starts_at", "ends_at", "is_booked", "held_until", "outside_schedule"
    )
    visits = list(
        Appointment.objects.filter(
            doctor=doctor, starts_at__gte=start, starts_at__lt=end
        )
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("patient")
    )
    for visit in visits:
        visit.doctor = doctor  # for allowed_actions, without a join
    with_patient_facts(visits, today=now.astimezone(doctor.zone).date())
    visit_in = {visit.slot_id: visit for visit in visits}
    for pk, starts_at, ends_at, booked, held_until, outside in rows:
        if booked:
            state = "booked"
        elif held_until is not None and held_until > now:
            state = "held"
        else:
            state = "free"
        in_time_off = any(
            p.starts_at < ends_at and starts_at < p.ends_at for p in time_off
        )
        days[starts_at.astimezone(zone).date()].slots.append(
            SlotCell(
                pk=pk,
                starts_at=starts_at,
                ends_at=ends_at,
                state=state,
                held_until=held_until if state == "held" else None,
                outside_schedule=outside,
                in_time_off=in_time_off,
                appointment=visit_in.get(pk) if booked else None,
            )
        )
    return WeekGrid(first_day=first_day, days=list(days.values()), zone=zone)


# --- The public slot picker -------------------------------------------------------


@dataclass
class FreeSlot:
    pk: int
    starts_at: dt.datetime  # in the picker's zone
    ends_at: dt.datetime
    # Why this viewer may not book it (their other visits), shown before the click.
    unavailable: str = ""
    # The same moment in the viewer's zone, when its clock reads otherwise.
    viewer_starts_at: dt.datetime | None = None

    # Formatted once here: a week can hold a hundred slots, and template date
    # filters on each were most of the picker's rendering time.
    @property
    def time_label(self) -> str:
        return self.starts_at.strftime("%H:%M")

    @property
    def iso(self) -> str:
        return self.starts_at.isoformat()

    @property
    def viewer_label(self) -> str:
        """The viewer's clock time ("08:30"; "Sun 23:30" on another day), "" when
        it reads the same."""
        when = self.viewer_starts_at
        if when is None:
            return ""
        if when.date() != self.starts_at.date():
            return dateformat.format(when, "D H:i")
        return when.strftime("%H:%M")


@dataclass
class PickerDay:
    date: dt.date
    slots: list[FreeSlot] = field(default_factory=list)

    @cached_property
    def long_label(self) -> str:
        """E.g. "Tuesday 3 December", in the active language."""
        return dateformat.format(self.date, "l j F")


@dataclass
class SlotPicker:
    first_day: dt.date
    days: list[PickerDay]
    previous_week: dt.date | None
    next_week: dt.date | None
    next_free: dt.datetime | None  # the first bookable time after this week
    # Why this viewer can book none of these times (their own profile, the limit).
    notice: str = ""

    @property
    def last_day(self) -> dt.date:
        return self.first_day + dt.timedelta(days=DAYS_SHOWN - 1)

    @property
    def is_empty(self) -> bool:
        return not any(day.slots for day in self.days)

    @property
    def has_unavailable(self) -> bool:
        return any(slot.unavailable for day in self.days for slot in day.slots)

    @property
    def free_days(self) -> list[PickerDay]:
        """The days that have free times: no empty day before the first time."""
        return [day for day in self.days if day.slots]

    @property
    def shows_viewer_time(self) -> bool:
        return any(slot.viewer_starts_at for day in self.days for slot in day.slots)


def mark_unbookable(
    slots: list[FreeSlot],
    *,
    doctor: DoctorProfile,
    viewer: User | None,
    now: dt.datetime,
    ignore: int | None = None,
    by_staff: bool = False,
) -> str:
    """Mark each of `slots` (the doctor's bookable ones) that `viewer` may not
    book with the booking rule's reason, as `check_booking_rules` would refuse it;
    return the refusal that holds for all of them ("" when none does). Nothing for
    a signed-out viewer. One query for a patient, none otherwise.

    `ignore`: the viewer's appointment being moved (left out of their rules);
    `by_staff`: the front desk books for `viewer` (no no-show limit)."""
    if viewer is None or not viewer.is_authenticated:
        return ""
    if viewer.pk == doctor.user_id:
        refusal = OwnSlot()
    else:
        bookings = PatientBookings.of(viewer, now=now, ignore=ignore)
        zone = doctor.zone
        for slot in slots:
            refused = bookings.refusal(
                doctor_id=doctor.pk,
                zone=zone,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
            )
            slot.unavailable = refused.message if refused else ""
        refusal = bookings.blanket_refusal(by_staff=by_staff)
        if refusal is None:
            return ""
    for slot in slots:
        slot.unavailable = refusal.message
    return refusal.message


def free_slots_by_day(
    *,
    doctor: DoctorProfile,
    first_day: dt.date | None,
    zone: ZoneInfo,
    now: dt.datetime,
    viewer: User | None = None,
    viewer_zone: ZoneInfo | None = None,
) -> SlotPicker:
    """The doctor's bookable slots for 7 days from `first_day` (default and
    earliest: today), grouped by day in `zone` (the practice's on the doctor's
    page); with `viewer_zone`, each time also in that zone where its clock reads
    otherwise. Past slots, slots
    inside the minimum notice, beyond the horizon, held by someone or booked are
    left out (`Slot.objects.bookable`); those `viewer` may not book because of
    their other visits are marked with the reason (`mark_unbookable`). When the
    week has none, also the next bookable time after it. One query (and one for a
    signed-in patient), two when the week is empty."""
    today = now.astimezone(zone).date()
    first_day = max(first_day or today, today)
    start = local_midnight(first_day, zone)
    end = local_midnight(first_day + dt.timedelta(days=DAYS_SHOWN), zone)
    bookable = Slot.objects.bookable(now).filter(doctor=doctor)
    days = {
        first_day + dt.timedelta(days=n): PickerDay(first_day + dt.timedelta(days=n))
        for n in range(DAYS_SHOWN)
    }
    rows = (
        bookable.filter(starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at")
        .values_list("pk", "starts_at", "ends_at")
    )
    for pk, starts_at, ends_at in rows:
        local = starts_at.astimezone(zone)
        free = FreeSlot(pk, local, ends_at.astimezone(zone))
        if viewer_zone is not None:
            theirs = starts_at.astimezone(viewer_zone)
            if theirs.replace(tzinfo=None) != local.replace(tzinfo=None):
                free.viewer_starts_at = theirs
        days[local.date()].slots.append(free)
    next_free = None
    if not any(day.slots for day in days.values()):
        next_free = (
            bookable.filter(starts_at__gte=end)
            .order_by("starts_at")
            .values_list("starts_at", flat=True)
            .first()
        )
    notice = mark_unbookable(
        [slot for day in days.values() for slot in day.slots],
        doctor=doctor,
        viewer=viewer,
        now=now,
    )
    last_bookable_day = (now + doctor.booking_horizon).astimezone(zone).date()
    next_week = first_day + dt.timedelta(days=DAYS_SHOWN)
    previous_week = first_day - dt.timedelta(days=DAYS_SHOWN)
    return SlotPicker(
        first_day=first_day,
        days=list(days.values()),
        previous_week=max(previous_week, today) if first_day > today else None,
        next_week=next_week if next_week <= last_bookable_day else None,
        next_free=next_free,
        notice=notice,
    )


def picker_unchanged_until(
    *, doctor: DoctorProfile, picker: SlotPicker, zone: ZoneInfo, now: dt.datetime
) -> dt.datetime:
    """When the clock alone, with no write, may first change what
    `free_slots_by_day` showed at `now`: a slot passes the notice, a hold ends,
    a slot comes within the horizon, the day (or the horizon's last day) turns.
    One query. Any write to the slots bumps the doctor's cached fragments first."""
    start = local_midnight(picker.first_day, zone)
    end = local_midnight(picker.first_day + dt.timedelta(days=DAYS_SHOWN), zone)
    today = now.astimezone(zone).date()
    last_day = (now + doctor.booking_horizon).astimezone(zone).date()
    moments = [
        local_midnight(today + dt.timedelta(days=1), zone),
        local_midnight(last_day + dt.timedelta(days=1), zone) - doctor.booking_horizon,
    ]
    if picker.next_free:
        moments.append(picker.next_free - doctor.min_notice)
    rows = Slot.objects.filter(
        doctor=doctor, is_booked=False, starts_at__gte=start, starts_at__lt=end
    ).values_list("starts_at", "held_until")
    for starts_at, held_until in rows:
        if starts_at - doctor.min_notice > now:
            moments.append(starts_at - doctor.min_notice)
        if starts_at - doctor.booking_horizon > now:
            moments.append(starts_at - doctor.booking_horizon)
        if held_until and held_until > now:
            moments.append(held_until)
    return min(moments)


# --- Moving an appointment --------------------------------------------------------

RESCHEDULE_CHOICES = 60


def reschedule_choices(
    appointment: Appointment, *, zone: ZoneInfo, now: dt.datetime
) -> list[PickerDay]:
    """The next free times of the appointment's doctor it could move to, grouped by
    day in the viewer's `zone`, each marked when the patient's other visits rule it
    out. Two queries."""
    doctor = appointment.doctor
    rows = (
        Slot.objects.bookable(now)
        .filter(doctor=doctor)
        .exclude(pk=appointment.slot_id)
        .order_by("starts_at")
        .values_list("pk", "starts_at", "ends_at")[:RESCHEDULE_CHOICES]
    )
    slots = [
        FreeSlot(pk, starts_at.astimezone(zone), ends_at.astimezone(zone))
        for pk, starts_at, ends_at in rows
    ]
    mark_unbookable(
        slots, doctor=doctor, viewer=appointment.patient, now=now, ignore=appointment.pk
    )
    days: dict[dt.date, PickerDay] = {}
    for slot in slots:
        day = slot.starts_at.date()
        days.setdefault(day, PickerDay(day)).slots.append(slot)
    return list(days.values())

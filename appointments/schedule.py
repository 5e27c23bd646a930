"""A doctor's schedule: weekly windows, booking settings, time off, and the slots
generated from them.

Every change here regenerates the doctor's slots in the same transaction, with the
doctor's row locked, so two changes (or a change and the daily `generate_slots`) for
one doctor never interleave. Booked and held slots are never deleted or moved:
regeneration flags them `outside_schedule` when they no longer fit.
"""

import bisect
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from doctors import cache as doctor_cache
from doctors.models import DoctorProfile

from .models import (
    Appointment,
    DateOverride,
    DateOverrideWindow,
    Slot,
    TimeOff,
    WeeklyAvailability,
)
from .rules import AffectsAppointments
from .selectors import booked_during

UTC = dt.UTC

Interval = tuple[dt.datetime, dt.datetime]


class TimeOffNotFound(Exception):
    """The time off does not exist or belongs to another doctor."""


@dataclass(frozen=True)
class Window:
    """One weekly window in the doctor's local wall-clock time."""

    weekday: int
    start_time: dt.time
    end_time: dt.time


@dataclass(frozen=True)
class RegenerationResult:
    created: int = 0
    removed: int = 0
    flagged: int = 0  # booked or held slots newly outside the hours
    unflagged: int = 0  # flagged slots that fit the hours again

    def __add__(self, other: "RegenerationResult") -> "RegenerationResult":
        return RegenerationResult(
            created=self.created + other.created,
            removed=self.removed + other.removed,
            flagged=self.flagged + other.flagged,
            unflagged=self.unflagged + other.unflagged,
        )


# --- Pure computation: no database -------------------------------------------------


def wall_instant(day: dt.date, wall: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a wall-clock time in `zone`, the one reading used for
    window edges and slot starts alike (so a slot generated inside a window also
    fits it when regeneration checks). A wall time the clocks skip reads as if
    they had not moved yet: on the night Berlin jumps from 02:00 to 03:00, 02:00
    is the jump itself and 02:30 is 03:30 summer time. A repeated wall time (fall
    back) is its first occurrence. This is PEP 495's fold=0."""
    return dt.datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def _overlaps_slot(
    slots: Sequence[Interval], starts: list[dt.datetime], start, end
) -> bool:
    """Whether [start, end) overlaps any of `slots` (sorted, `starts` their start
    instants). Slots are at most a few hours long, so only those starting within a
    day before `end` can reach it."""
    index = bisect.bisect_left(starts, end)
    horizon = start - dt.timedelta(days=1)
    for other_start, other_end in reversed(slots[:index]):
        if other_start < horizon:
            break
        if other_end > start:
            return True
    return False


def _overlaps_any(intervals: Sequence[Interval], start, end) -> bool:
    return any(a < end and start < b for a, b in intervals)


# A date's own windows ((start, end) wall times), replacing its weekday's.
Overrides = Mapping[dt.date, Sequence[tuple[dt.time, dt.time]]]


def _windows_by_day(
    windows: Iterable[Window], overrides: Overrides | None
) -> Callable[[dt.date], Sequence[Window]]:
    """A function giving the windows of one local date: the date override's when
    there is one, else the weekday's weekly windows."""
    by_weekday: dict[int, list[Window]] = {}
    for window in windows:
        by_weekday.setdefault(window.weekday, []).append(window)
    overrides = overrides or {}

    def windows_on(day: dt.date) -> Sequence[Window]:
        if day in overrides:
            return [
                Window(day.weekday(), start, end)
                for start, end in sorted(overrides[day])
            ]
        return by_weekday.get(day.weekday(), ())

    return windows_on


def working_intervals(
    *,
    windows: Iterable[Window],
    zone: ZoneInfo,
    first_day: dt.date,
    last_day: dt.date,
    overrides: Overrides | None = None,
) -> list[Interval]:
    """The working windows between two local dates (inclusive) as UTC intervals.

    On a date in `overrides`, its windows replace the weekday's."""
    windows_on = _windows_by_day(windows, overrides)
    intervals = []
    day = first_day
    while day <= last_day:
        for window in windows_on(day):
            intervals.append(
                (
                    wall_instant(day, window.start_time, zone),
                    wall_instant(day, window.end_time, zone),
                )
            )
        day += dt.timedelta(days=1)
    intervals.sort()
    return intervals


def desired_slots(
    *,
    windows: Iterable[Window],
    zone: ZoneInfo,
    first_day: dt.date,
    last_day: dt.date,
    slot_minutes: int,
    buffer_minutes: int,
    time_off: Sequence[Interval] = (),
    overrides: Overrides | None = None,
) -> list[Interval]:
    """The slots the weekly windows give between two local dates (inclusive).

    Starts are stepped in the doctor's wall-clock time from each window's start, so
    09:00 stays 09:00 across a DST change; consecutive starts are slot + buffer
    apart; a slot must end inside its window. Wall times are read by
    `wall_instant`: a window opening in the spring-forward gap opens at the time
    that reading gives. A slot running across the jump ends later on the wall
    clock than its length says, so a start that would fall inside it (or its
    buffer) is left out; in the repeated fall-back hour each wall time gives one
    slot, never two at one instant. Slots overlapping time off are left out. On
    a date in `overrides` (date overrides), its windows replace the weekday's
    (none: closed that day)."""
    length = dt.timedelta(minutes=slot_minutes)
    buffer = dt.timedelta(minutes=buffer_minutes)
    step = length + buffer
    windows_on = _windows_by_day(windows, overrides)
    time_off = sorted(time_off)
    seen: set[dt.datetime] = set()
    slots: list[Interval] = []
    day = first_day
    while day <= last_day:
        for window in windows_on(day):
            earliest = wall_instant(day, window.start_time, zone)
            window_end = wall_instant(day, window.end_time, zone)
            wall = dt.datetime.combine(day, window.start_time)
            wall_end = dt.datetime.combine(day, window.end_time)
            while wall + length <= wall_end:
                start = wall_instant(day, wall.time(), zone)
                wall += step
                end = start + length
                if start < earliest or end > window_end or start in seen:
                    continue
                if time_off and _overlaps_any(time_off, start, end):
                    continue
                seen.add(start)
                slots.append((start, end))
                earliest = end + buffer
        day += dt.timedelta(days=1)
    slots.sort()
    return slots


# --- Services ---------------------------------------------------------------------


def _windows_of(doctor: DoctorProfile) -> list[Window]:
    return [
        Window(weekday, start, end)
        for weekday, start, end in WeeklyAvailability.objects.filter(
            doctor=doctor
        ).values_list("weekday", "start_time", "end_time")
    ]


def _overrides_of(doctor: DoctorProfile, *, first_day: dt.date) -> Overrides:
    """The doctor's date overrides from `first_day` on: {date: [(start, end)]},
    an empty list for a closed day."""
    overrides: dict[dt.date, list[tuple[dt.time, dt.time]]] = {
        day: []
        for day in DateOverride.objects.filter(
            doctor=doctor, date__gte=first_day
        ).values_list("date", flat=True)
    }
    for day, start, end in DateOverrideWindow.objects.filter(
        override__doctor=doctor, override__date__gte=first_day
    ).values_list("override__date", "start_time", "end_time"):
        overrides[day].append((start, end))
    return overrides


@transaction.atomic
def regenerate_slots(
    *, doctor: DoctorProfile, now: dt.datetime | None = None
) -> RegenerationResult:
    """Bring the doctor's future slots in line with their windows, date overrides,
    settings and time off, up to the end of the local day their booking horizon reaches.

    One transaction with the doctor's row locked, so regenerations of one doctor
    run one after another. Idempotent. Slots that started before `now` are never
    touched. Future free slots that no longer fit are deleted; booked or held ones
    (and any with appointment history) are kept and flagged `outside_schedule`
    when they lie outside the working hours or in time off, unflagged when they fit
    again; no new slot is created that would overlap a kept one."""
    now = now or timezone.now()
    doctor = DoctorProfile.objects.select_for_update().get(pk=doctor.pk)
    zone = doctor.zone
    windows = _windows_of(doctor)
    first_day = now.astimezone(zone).date()
    generate_until_day = (now + doctor.booking_horizon).astimezone(zone).date()

    has_history = Exists(Appointment.objects.filter(slot=OuterRef("pk")))
    existing = list(
        # Slots last at most two hours: the starts_at bound lets the (doctor,
        # starts_at) index skip the past, however long the history.
        Slot.objects.filter(
            doctor=doctor, starts_at__gt=now - dt.timedelta(days=1), ends_at__gt=now
        )
        .annotate(has_history=has_history)
        .values_list(
            "pk",
            "starts_at",
            "ends_at",
            "is_booked",
            "held_until",
            "outside_schedule",
            "has_history",
        )
    )
    kept: list[tuple[int, dt.datetime, dt.datetime, bool]] = []
    removable: dict[dt.datetime, tuple[int, dt.datetime, bool]] = {}
    for pk, start, end, booked, held_until, flagged, history in existing:
        held = held_until is not None and held_until > now
        if booked or held or history or start < now:
            kept.append((pk, start, end, flagged))
        else:
            removable[start] = (pk, end, flagged)

    last_kept_day = max(
        (end.astimezone(zone).date() for _, _, end, _ in kept), default=first_day
    )
    time_off = list(
        TimeOff.objects.filter(doctor=doctor, ends_at__gt=now).values_list(
            "starts_at", "ends_at"
        )
    )
    overrides = _overrides_of(doctor, first_day=first_day)
    desired = desired_slots(
        windows=windows,
        zone=zone,
        first_day=first_day,
        last_day=generate_until_day,
        slot_minutes=doctor.slot_minutes,
        buffer_minutes=doctor.buffer_minutes,
        time_off=time_off,
        overrides=overrides,
    )

    # Kept slots: flag those outside the hours or in time off (future ones only).
    working = working_intervals(
        windows=windows,
        zone=zone,
        first_day=first_day,
        last_day=max(last_kept_day, generate_until_day),
        overrides=overrides,
    )
    to_flag, to_unflag = [], []
    for pk, start, end, flagged in kept:
        if start < now:
            continue
        fits = any(a <= start and end <= b for a, b in working) and not (
            _overlaps_any(time_off, start, end)
        )
        if fits and flagged:
            to_unflag.append(pk)
        elif not fits and not flagged:
            to_flag.append(pk)

    kept_intervals = sorted((start, end) for _, start, end, _ in kept)
    kept_starts = [start for start, _ in kept_intervals]
    to_create: list[Interval] = []
    wanted: set[tuple[dt.datetime, dt.datetime]] = set()
    for start, end in desired:
        if start < now:
            continue
        if kept_intervals and _overlaps_slot(kept_intervals, kept_starts, start, end):
            continue
        wanted.add((start, end))
        current = removable.get(start)
        if current is None or current[1] != end:
            to_create.append((start, end))
        elif current[2]:  # flagged while held; free now and fits: offer it again
            to_unflag.append(current[0])
    stale = [
        pk for start, (pk, end, _) in removable.items() if (start, end) not in wanted
    ]

    removed = flagged = 0
    if stale:
        # Compare-and-set: a slot booked or held since we read it stays.
        removed, _ = (
            Slot.objects.filter(pk__in=stale).free(now).filter(~has_history).delete()
        )
        if removed < len(stale):
            # Held or booked between our read and the delete: kept, so flagged,
            # and no new slot may overlap it (nor be counted as created).
            flagged += Slot.objects.filter(pk__in=stale, outside_schedule=False).update(
                outside_schedule=True
            )
            survivors = list(
                Slot.objects.filter(pk__in=stale).values_list("starts_at", "ends_at")
            )
            to_create = [
                (start, end)
                for start, end in to_create
                if not _overlaps_any(survivors, start, end)
            ]
    if to_create:
        _insert_slots(doctor.pk, to_create, now=now)
    if to_flag:
        flagged += Slot.objects.filter(pk__in=to_flag).update(outside_schedule=True)
    if to_unflag:
        Slot.objects.filter(pk__in=to_unflag).update(outside_schedule=False)
    refresh_next_free([doctor.pk], now=now)
    return RegenerationResult(
        created=len(to_create),
        removed=removed,
        flagged=flagged,
        unflagged=len(to_unflag),
    )


# --- The stored next free slot (DoctorProfile.next_free_at) ------------------------


def refresh_next_free(doctor_ids: Sequence[int], *, now: dt.datetime) -> None:
    """Store each doctor's first bookable slot at `now` and the first end of a hold
    that could make an earlier one bookable (see `DoctorProfile.next_free_at`).

    Call inside the transaction that changed the slots, with the doctors' rows
    locked (`DoctorProfile.objects.lock`). One UPDATE for all of them."""
    # No horizon here: the directory applies it when it reads the stored value,
    # which stays right as the horizon moves with time.
    ahead = Slot.objects.offered(now, outer_doctor=True)
    first_free = ahead.free(now).order_by("starts_at").values("starts_at")[:1]
    first_hold_end = ahead.held(now).order_by("held_until").values("held_until")[:1]
    DoctorProfile.objects.filter(pk__in=doctor_ids).update(
        next_free_at=Subquery(first_free),
        next_free_hold_ends_at=Subquery(first_hold_end),
        next_free_checked_at=now,
    )
    # Called after every slot change (the house rule): the doctors' slot
    # pickers and cards move on with it.
    doctor_cache.bump_on_commit(doctor_ids)


def refresh_stale_next_free(
    *, now: dt.datetime | None = None, batch_size: int = 500
) -> int:
    """Refresh every doctor whose stored next free slot went stale with time (it
    passed the notice, or a hold ended) or was never computed; returns how many.

    Run every minute (`refresh_next_free` command). The directory is exact
    without it, but computes stale doctors from their slots, which is slower.
    Batches of `batch_size`, each its own short transaction; a doctor locked by a
    booking right now is skipped, as that booking refreshes them itself."""
    now = now or timezone.now()
    refreshed = 0
    after = 0
    while True:
        with transaction.atomic():
            doctor_ids = list(
                DoctorProfile.objects.next_free_stale(now)
                .filter(pk__gt=after)
                .order_by("pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:batch_size]
            )
            if not doctor_ids:
                return refreshed
            refresh_next_free(doctor_ids, now=now)
        refreshed += len(doctor_ids)
        after = doctor_ids[-1]


def _insert_slots(doctor_id: int, slots: list[Interval], *, now: dt.datetime) -> None:
    """Insert free slots, skipping any (doctor, start) that exists already. They
    are freed at `now` (the waitlist tells patients who joined before).

    On PostgreSQL one INSERT ... SELECT unnest(...) of two arrays: building model
    instances for bulk_create was most of a 60-day regeneration's CPU time."""
    if connection.vendor == "postgresql":
        table = Slot._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} "  # our own table name, never input
                "(doctor_id, starts_at, ends_at, is_booked, outside_schedule, "
                "freed_at) "
                "SELECT %s, s, e, false, false, %s "
                "FROM unnest(%s::timestamptz[], %s::timestamptz[]) AS t(s, e) "
                "ON CONFLICT (doctor_id, starts_at) DO NOTHING",
                [doctor_id, now, [s for s, _ in slots], [e for _, e in slots]],
            )
        return
    Slot.objects.bulk_create(
        (
            Slot(doctor_id=doctor_id, starts_at=s, ends_at=e, freed_at=now)
            for s, e in slots
        ),
        batch_size=500,
        ignore_conflicts=True,
    )


def overlapping(windows: Sequence[Window]) -> dict[int, int]:
    """The rule for a week's windows: two windows on one day must not overlap
    (touching is fine: 09:00–12:00 and 12:00–14:00).

    Maps the index of each window that overlaps one listed before it (and not
    refused itself) to that one's index; empty when the windows are fine. The
    windows formset gives its refusals from this, the services assert it."""
    clashes: dict[int, int] = {}
    accepted: dict[int, list[int]] = {}
    for index, window in enumerate(windows):
        for other in accepted.get(window.weekday, ()):
            earlier = windows[other]
            if window.start_time < earlier.end_time and earlier.start_time < (
                window.end_time
            ):
                clashes[index] = other
                break
        else:
            accepted.setdefault(window.weekday, []).append(index)
    return clashes


def _check_windows(windows: Sequence[Window]) -> None:
    for window in windows:
        if window.end_time <= window.start_time:
            raise ValueError(f"{window} ends before it starts")
    for index, other in overlapping(windows).items():
        raise ValueError(f"{windows[index]} overlaps {windows[other]}")


def _store_windows(doctor: DoctorProfile, windows: Sequence[Window]) -> None:
    WeeklyAvailability.objects.filter(doctor=doctor).delete()
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(
            doctor=doctor,
            weekday=window.weekday,
            start_time=window.start_time,
            end_time=window.end_time,
        )
        for window in windows
    )


def _store_settings(
    doctor: DoctorProfile, *, zone_name: str | None, **booking_settings
) -> None:
    """Lock the doctor's row, write the booking settings (and the zone when given),
    and refresh `doctor` from it."""
    DoctorProfile.objects.select_for_update().filter(pk=doctor.pk).update(
        **booking_settings,
        **({"timezone": zone_name} if zone_name else {}),
        updated_at=timezone.now(),
    )
    doctor.refresh_from_db()


@transaction.atomic
def replace_weekly_windows(
    *,
    doctor: DoctorProfile,
    windows: Sequence[Window],
    now: dt.datetime | None = None,
) -> RegenerationResult:
    """Replace all of the doctor's weekly windows, then regenerate their slots.

    Precondition: windows end after they start and do not overlap on one day (the
    form checks this; a ValueError here is a programming error)."""
    _check_windows(windows)
    DoctorProfile.objects.lock([doctor.pk])
    _store_windows(doctor, windows)
    return regenerate_slots(doctor=doctor, now=now)


@transaction.atomic
def update_booking_settings(
    *,
    doctor: DoctorProfile,
    slot_minutes: int,
    buffer_minutes: int,
    min_notice: dt.timedelta,
    booking_horizon: dt.timedelta,
    auto_confirm: bool,
    zone_name: str | None = None,
    now: dt.datetime | None = None,
) -> RegenerationResult:
    """Save the doctor's booking settings, then regenerate their slots."""
    _store_settings(
        doctor,
        zone_name=zone_name,
        slot_minutes=slot_minutes,
        buffer_minutes=buffer_minutes,
        min_notice=min_notice,
        booking_horizon=booking_horizon,
        auto_confirm=auto_confirm,
    )
    return regenerate_slots(doctor=doctor, now=now)


@transaction.atomic
def save_schedule(
    *,
    doctor: DoctorProfile,
    windows: Sequence[Window],
    slot_minutes: int,
    buffer_minutes: int,
    min_notice: dt.timedelta,
    booking_horizon: dt.timedelta,
    auto_confirm: bool,
    zone_name: str | None = None,
    now: dt.datetime | None = None,
) -> RegenerationResult:
    """The availability page's save: windows and settings together, one
    transaction, one regeneration."""
    _check_windows(windows)
    _store_settings(
        doctor,
        zone_name=zone_name,
        slot_minutes=slot_minutes,
        buffer_minutes=buffer_minutes,
        min_notice=min_notice,
        booking_horizon=booking_horizon,
        auto_confirm=auto_confirm,
    )
    _store_windows(doctor, windows)
    return regenerate_slots(doctor=doctor, now=now)


@transaction.atomic
def add_time_off(
    *,
    doctor: DoctorProfile,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
    keep_booked: bool = False,
    now: dt.datetime | None = None,
) -> tuple[TimeOff, RegenerationResult]:
    """Record time off (aware datetimes) and regenerate: free slots in it go,
    booked or held ones stay, flagged. Raises ValueError if it ends before it
    starts (the form checks this first), and AffectsAppointments when it covers
    booked visits unless `keep_booked`: pages, the API and admin take time off
    through `services.add_time_off`, which asks what becomes of them."""
    if ends_at <= starts_at:
        raise ValueError("Time off must end after it starts.")
    now = now or timezone.now()
    DoctorProfile.objects.lock([doctor.pk])
    if not keep_booked:
        affected = booked_during(doctor, starts_at=starts_at, ends_at=ends_at, now=now)
        if affected:
            raise AffectsAppointments(affected)
    time_off = TimeOff.objects.create(
        doctor=doctor, starts_at=starts_at, ends_at=ends_at, reason=reason
    )
    return time_off, regenerate_slots(doctor=doctor, now=now)


@transaction.atomic
def remove_time_off(
    *, doctor: DoctorProfile, time_off_id: int, now: dt.datetime | None = None
) -> RegenerationResult:
    """Delete one of the doctor's time off periods and regenerate, so its slots
    come back. Raises TimeOffNotFound for an unknown id or another doctor's."""
    DoctorProfile.objects.lock([doctor.pk])
    deleted, _ = TimeOff.objects.filter(pk=time_off_id, doctor=doctor).delete()
    if not deleted:
        raise TimeOffNotFound
    return regenerate_slots(doctor=doctor, now=now)


# --- Date overrides ----------------------------------------------------------------


class DateOverrideNotFound(Exception):
    """The doctor has no override on that date."""


@transaction.atomic
def save_date_override(
    *,
    doctor: DoctorProfile,
    date: dt.date,
    windows: Sequence[tuple[dt.time, dt.time]],
    note: str = "",
    now: dt.datetime | None = None,
) -> tuple[DateOverride, RegenerationResult]:
    """Set the doctor's hours on one local date (replacing any override it had):
    `windows` replace the weekday's weekly windows on that date, none closes the
    day. The weekly pattern is untouched. Regenerates; booked and held slots
    stay, flagged when outside the new hours.

    Precondition: windows end after they start and do not overlap (the form
    checks this; a ValueError here is a programming error)."""
    _check_windows([Window(date.weekday(), start, end) for start, end in windows])
    DoctorProfile.objects.lock([doctor.pk])
    override, _ = DateOverride.objects.update_or_create(
        doctor=doctor, date=date, defaults={"note": note}
    )
    override.windows.all().delete()
    DateOverrideWindow.objects.bulk_create(
        DateOverrideWindow(override=override, start_time=start, end_time=end)
        for start, end in windows
    )
    return override, regenerate_slots(doctor=doctor, now=now)


@transaction.atomic
def remove_date_override(
    *, doctor: DoctorProfile, date: dt.date, now: dt.datetime | None = None
) -> RegenerationResult:
    """Drop the doctor's override on `date`: the weekly windows apply again.
    Raises DateOverrideNotFound."""
    DoctorProfile.objects.lock([doctor.pk])
    deleted, _ = DateOverride.objects.filter(doctor=doctor, date=date).delete()
    if not deleted:
        raise DateOverrideNotFound
    return regenerate_slots(doctor=doctor, now=now)

"""Slot generation from weekly windows: exact times, breaks, buffer, time off, DST,
idempotence, and never touching booked or held slots."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from accounts.tests.factories import UserFactory
from appointments import schedule
from appointments.models import Slot, TimeOff, WeeklyAvailability
from appointments.schedule import Window
from appointments.tests.factories import AppointmentFactory, SlotFactory
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY, TUESDAY, SUNDAY = 0, 1, 6


def at(zone, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


def make_doctor(zone="UTC", days=7, **fields):
    return DoctorProfileFactory(
        timezone=zone, booking_horizon=dt.timedelta(days=days), **fields
    )


def set_windows(doctor, *windows, now):
    return schedule.replace_weekly_windows(
        doctor=doctor,
        windows=[
            Window(day, dt.time(*start), dt.time(*end)) for day, start, end in windows
        ],
        now=now,
    )


def local_starts(doctor, zone) -> list[str]:
    return [
        s.starts_at.astimezone(zone).strftime("%a %d %H:%M")
        for s in Slot.objects.filter(doctor=doctor).order_by("starts_at")
    ]


# A Sunday noon in UTC: the week after is Mon 2026-01-05 ... Sun 2026-01-11.
JAN_NOW = at(UTC, 2026, 1, 4, 12, 0)


def test_a_weekly_window_gives_exact_slot_times():
    doctor = make_doctor(slot_minutes=30)
    result = set_windows(doctor, (MONDAY, (9, 0), (11, 0)), now=JAN_NOW)
    assert local_starts(doctor, UTC) == [
        "Mon 05 09:00",
        "Mon 05 09:30",
        "Mon 05 10:00",
        "Mon 05 10:30",
    ]
    assert result.created == 4
    slot = Slot.objects.order_by("starts_at").first()
    assert slot.ends_at - slot.starts_at == dt.timedelta(minutes=30)


def test_two_windows_on_one_day_leave_the_break_free():
    doctor = make_doctor(slot_minutes=60)
    set_windows(
        doctor, (MONDAY, (9, 0), (11, 0)), (MONDAY, (14, 0), (16, 0)), now=JAN_NOW
    )
    assert local_starts(doctor, UTC) == [
        "Mon 05 09:00",
        "Mon 05 10:00",
        "Mon 05 14:00",
        "Mon 05 15:00",
    ]


def test_a_slot_must_end_inside_its_window():
    doctor = make_doctor(slot_minutes=45)
    set_windows(doctor, (MONDAY, (9, 0), (10, 30)), now=JAN_NOW)
    assert local_starts(doctor, UTC) == ["Mon 05 09:00", "Mon 05 09:45"]


def test_buffer_spaces_consecutive_starts():
    doctor = make_doctor(slot_minutes=30, buffer_minutes=15)
    set_windows(doctor, (MONDAY, (9, 0), (11, 0)), now=JAN_NOW)
    assert local_starts(doctor, UTC) == [
        "Mon 05 09:00",
        "Mon 05 09:45",
        "Mon 05 10:30",
    ]


def test_windows_are_in_the_doctors_time_zone():
    doctor = make_doctor("America/New_York", slot_minutes=60)
    set_windows(doctor, (MONDAY, (9, 0), (10, 0)), now=JAN_NOW)
    slot = Slot.objects.get(doctor=doctor)
    assert slot.starts_at == at(UTC, 2026, 1, 5, 14, 0)  # 09:00 EST


def test_slots_cover_the_horizon_and_never_the_past():
    doctor = make_doctor(days=14, slot_minutes=60)
    now = at(UTC, 2026, 1, 5, 9, 30)  # Monday, mid-window
    set_windows(doctor, (MONDAY, (9, 0), (12, 0)), now=now)
    assert local_starts(doctor, UTC) == [
        "Mon 05 10:00",
        "Mon 05 11:00",
        "Mon 12 09:00",
        "Mon 12 10:00",
        "Mon 12 11:00",
        "Mon 19 09:00",  # the horizon's last local day is generated whole
        "Mon 19 10:00",
        "Mon 19 11:00",
    ]


def test_regeneration_is_idempotent():
    doctor = make_doctor(slot_minutes=30)
    set_windows(doctor, (MONDAY, (9, 0), (17, 0)), now=JAN_NOW)
    before = list(Slot.objects.values_list("pk", "starts_at", "ends_at"))
    again = schedule.regenerate_slots(doctor=doctor, now=JAN_NOW)
    assert again == schedule.RegenerationResult()
    assert list(Slot.objects.values_list("pk", "starts_at", "ends_at")) == before


def test_past_slots_are_never_touched():
    doctor = make_doctor(slot_minutes=60)
    past = SlotFactory(
        doctor=doctor,
        starts_at=at(UTC, 2026, 1, 2, 9),
        ends_at=at(UTC, 2026, 1, 2, 10),
    )
    set_windows(doctor, (MONDAY, (9, 0), (10, 0)), now=JAN_NOW)
    past.refresh_from_db()
    assert past.outside_schedule is False
    assert Slot.objects.filter(doctor=doctor).count() == 2


def test_extending_the_horizon_adds_only_the_new_days():
    doctor = make_doctor(days=7, slot_minutes=60)
    set_windows(doctor, (MONDAY, (9, 0), (10, 0)), now=JAN_NOW)
    result = schedule.regenerate_slots(
        doctor=doctor, now=JAN_NOW + dt.timedelta(days=7)
    )
    assert result.created == 1
    assert local_starts(doctor, UTC) == ["Mon 05 09:00", "Mon 12 09:00"]


# --- Time off ------------------------------------------------------------------------


def test_time_off_removes_its_slots_and_removing_it_brings_them_back():
    doctor = make_doctor(slot_minutes=60)
    set_windows(doctor, (MONDAY, (9, 0), (12, 0)), now=JAN_NOW)
    time_off, result = schedule.add_time_off(
        doctor=doctor,
        starts_at=at(UTC, 2026, 1, 5, 10, 30),
        ends_at=at(UTC, 2026, 1, 5, 23, 0),
        reason="Dentist",
        now=JAN_NOW,
    )
    assert result.removed == 2
    assert local_starts(doctor, UTC) == ["Mon 05 09:00"]
    result = schedule.remove_time_off(
        doctor=doctor, time_off_id=time_off.pk, now=JAN_NOW
    )
    assert result.created == 2
    assert local_starts(doctor, UTC) == ["Mon 05 09:00", "Mon 05 10:00", "Mon 05 11:00"]
    assert not TimeOff.objects.exists()


def test_removing_another_doctors_time_off_raises():
    doctor, other = make_doctor(), make_doctor()
    time_off, _ = schedule.add_time_off(
        doctor=other,
        starts_at=at(UTC, 2026, 1, 5),
        ends_at=at(UTC, 2026, 1, 6),
        now=JAN_NOW,
    )
    with pytest.raises(schedule.TimeOffNotFound):
        schedule.remove_time_off(doctor=doctor, time_off_id=time_off.pk, now=JAN_NOW)
    assert TimeOff.objects.filter(pk=time_off.pk).exists()


def test_time_off_must_end_after_it_starts():
    doctor = make_doctor()
    with pytest.raises(ValueError):
        schedule.add_time_off(
            doctor=doctor,
            starts_at=at(UTC, 2026, 1, 6),
            ends_at=at(UTC, 2026, 1, 6),
            now=JAN_NOW,
        )


# --- DST -------------------------------------------------------------------------


def test_berlin_0900_stays_0900_local_across_spring_forward():
    doctor = make_doctor("Europe/Berlin", days=14, slot_minutes=60)
    set_windows(doctor, (MONDAY, (9, 0), (10, 0)), now=at(UTC, 2026, 3, 22, 12))
    starts = list(
        Slot.objects.filter(doctor=doctor).values_list("starts_at", flat=True)
    )
    assert starts == [at(UTC, 2026, 3, 23, 8), at(UTC, 2026, 3, 30, 7)]
    assert {s.astimezone(BERLIN).hour for s in starts} == {9}


def test_berlin_spring_forward_night_skips_the_missing_hour():
    doctor = make_doctor("Europe/Berlin", slot_minutes=30)
    set_windows(doctor, (SUNDAY, (1, 0), (4, 0)), now=at(UTC, 2026, 3, 28, 12))
    # 02:00–03:00 does not exist on 29 March 2026 in Berlin.
    assert local_starts(doctor, BERLIN) == [
        "Sun 29 01:00",
        "Sun 29 01:30",
        "Sun 29 03:00",
        "Sun 29 03:30",
    ]
    starts = list(Slot.objects.values_list("starts_at", flat=True))
    assert starts == [
        at(UTC, 2026, 3, 29, 0, 0),
        at(UTC, 2026, 3, 29, 0, 30),
        at(UTC, 2026, 3, 29, 1, 0),
        at(UTC, 2026, 3, 29, 1, 30),
    ]


def test_berlin_fall_back_night_gives_one_slot_per_instant():
    doctor = make_doctor("Europe/Berlin", slot_minutes=30)
    result = set_windows(
        doctor, (SUNDAY, (1, 0), (4, 0)), now=at(UTC, 2026, 10, 24, 12)
    )
    starts = list(Slot.objects.values_list("starts_at", flat=True))
    assert result.created == len(starts) == len(set(starts)) == 6
    assert starts == [
        at(UTC, 2026, 10, 24, 23, 0),  # 01:00 CEST
        at(UTC, 2026, 10, 24, 23, 30),
        at(UTC, 2026, 10, 25, 0, 0),  # 02:00 CEST, the first 02:00
        at(UTC, 2026, 10, 25, 0, 30),
        at(UTC, 2026, 10, 25, 2, 0),  # 03:00 CET
        at(UTC, 2026, 10, 25, 2, 30),
    ]
    # No two slots overlap.
    slots = list(Slot.objects.order_by("starts_at"))
    assert all(a.ends_at <= b.starts_at for a, b in zip(slots, slots[1:], strict=False))


def test_new_york_spring_forward_and_fall_back():
    spring = make_doctor("America/New_York", slot_minutes=60)
    set_windows(spring, (SUNDAY, (0, 0), (4, 0)), now=at(UTC, 2026, 3, 7, 12))
    assert local_starts(spring, NEW_YORK) == [
        "Sun 08 00:00",
        "Sun 08 01:00",
        "Sun 08 03:00",
    ]
    autumn = make_doctor("America/New_York", slot_minutes=60)
    set_windows(autumn, (SUNDAY, (0, 0), (4, 0)), now=at(UTC, 2026, 10, 31, 12))
    starts = list(
        Slot.objects.filter(doctor=autumn).values_list("starts_at", flat=True)
    )
    assert starts == [
        at(UTC, 2026, 11, 1, 4),  # 00:00 EDT
        at(UTC, 2026, 11, 1, 5),  # 01:00 EDT (the first 01:00)
        at(UTC, 2026, 11, 1, 7),  # 02:00 EST
        at(UTC, 2026, 11, 1, 8),  # 03:00 EST
    ]


def test_new_york_0900_stays_0900_local_across_fall_back():
    doctor = make_doctor("America/New_York", days=14, slot_minutes=60)
    set_windows(doctor, (MONDAY, (9, 0), (10, 0)), now=at(UTC, 2026, 10, 25, 12))
    starts = list(Slot.objects.values_list("starts_at", flat=True))
    assert starts == [at(UTC, 2026, 10, 26, 13), at(UTC, 2026, 11, 2, 14)]


def test_dst_week_regeneration_is_idempotent():
    doctor = make_doctor("Europe/Berlin", days=14, slot_minutes=30)
    now = at(UTC, 2026, 10, 20, 12)
    set_windows(doctor, (SUNDAY, (0, 0), (6, 0)), (MONDAY, (9, 0), (17, 0)), now=now)
    assert schedule.regenerate_slots(doctor=doctor, now=now).created == 0


# --- Changing the schedule around booked and held slots -------------------------------


def test_changing_hours_deletes_free_slots_that_no_longer_fit():
    doctor = make_doctor(slot_minutes=60)
    set_windows(doctor, (MONDAY, (9, 0), (12, 0)), now=JAN_NOW)
    result = set_windows(doctor, (MONDAY, (10, 0), (12, 0)), now=JAN_NOW)
    assert result.removed == 1
    assert local_starts(doctor, UTC) == ["Mon 05 10:00", "Mon 05 11:00"]


def test_regeneration_never_deletes_or_moves_booked_or_held_slots_but_flags_them():
    doctor = make_doctor(slot_minutes=60)
    set_windows(doctor, (MONDAY, (9, 0), (12, 0)), now=JAN_NOW)
    booked = Slot.objects.get(starts_at=at(UTC, 2026, 1, 5, 9))
    AppointmentFactory(
        slot=booked, doctor=doctor, starts_at=booked.starts_at, ends_at=booked.ends_at
    )
    Slot.objects.filter(pk=booked.pk).update(is_booked=True)
    held = Slot.objects.get(starts_at=at(UTC, 2026, 1, 5, 10))
    Slot.objects.filter(pk=held.pk).update(
        held_by=UserFactory(), held_until=JAN_NOW + dt.timedelta(minutes=5)
    )

    result = set_windows(doctor, (TUESDAY, (9, 0), (12, 0)), now=JAN_NOW)

    assert result.flagged == 2 and result.removed == 1
    for slot, start in ((booked, 9), (held, 10)):
        slot.refresh_from_db()
        assert slot.starts_at == at(UTC, 2026, 1, 5, start)
        assert slot.ends_at == at(UTC, 2026, 1, 5, start + 1)
        assert slot.outside_schedule is True
    assert Slot.objects.filter(starts_at__day=6).count() == 3  # Tuesday's new slots
    # Back to Monday hours: flags clear, nothing duplicated.
    result = set_windows(doctor, (MONDAY, (9, 0), (12, 0)), now=JAN_NOW)
    assert result.unflagged == 2
    booked.refresh_from_db()
    assert booked.outside_schedule is False
    assert local_starts(doctor, UTC) == ["Mon 05 09:00", "Mon 05 10:00", "Mon 05 11:00"]


def test_an_expired_hold_does_not_protect_a_slot():
    doctor = make_doctor(slot_minutes=60)
    set_windows(doctor, (MONDAY, (9, 0), (10, 0)), now=JAN_NOW)
    Slot.objects.update(
        held_by=UserFactory(), held_until=JAN_NOW - dt.timedelta(minutes=1)
    )
    result = set_windows(doctor, now=JAN_NOW)
    assert result.removed == 1
    assert not Slot.objects.exists()


def test_time_off_over_a_booked_slot_flags_it_and_it_is_not_offered():
    doctor = make_doctor(slot_minutes=60)
    set_windows(doctor, (MONDAY, (9, 0), (11, 0)), now=JAN_NOW)
    Slot.objects.filter(starts_at=at(UTC, 2026, 1, 5, 9)).update(is_booked=True)
    schedule.add_time_off(
        doctor=doctor,
        starts_at=at(UTC, 2026, 1, 5),
        ends_at=at(UTC, 2026, 1, 6),
        now=JAN_NOW,
    )
    kept = Slot.objects.get(doctor=doctor)
    assert kept.is_booked and kept.outside_schedule


def test_a_free_slot_with_appointment_history_is_kept_flagged_and_not_bookable():
    doctor = make_doctor(slot_minutes=60)
    set_windows(doctor, (MONDAY, (9, 0), (10, 0)), now=JAN_NOW)
    slot = Slot.objects.get()
    AppointmentFactory(
        slot=slot,
        doctor=doctor,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        status="cancelled",
    )
    set_windows(doctor, now=JAN_NOW)  # no hours at all
    slot.refresh_from_db()
    assert slot.outside_schedule
    assert not Slot.objects.bookable(JAN_NOW).exists()


def test_changing_the_slot_length_replaces_free_slots_and_avoids_booked_ones():
    doctor = make_doctor(slot_minutes=30)
    set_windows(doctor, (MONDAY, (9, 0), (11, 0)), now=JAN_NOW)
    Slot.objects.filter(starts_at=at(UTC, 2026, 1, 5, 9, 30)).update(is_booked=True)
    schedule.update_booking_settings(
        doctor=doctor,
        slot_minutes=40,
        buffer_minutes=0,
        min_notice=dt.timedelta(0),
        booking_horizon=dt.timedelta(days=7),
        auto_confirm=False,
        now=JAN_NOW,
    )
    slots = list(Slot.objects.order_by("starts_at"))
    # 09:00 and 09:40 would overlap the booked 09:30–10:00; 10:20 fits.
    assert [
        (s.starts_at.strftime("%H:%M"), s.ends_at.strftime("%H:%M")) for s in slots
    ] == [
        ("09:30", "10:00"),
        ("10:20", "11:00"),
    ]
    assert all(a.ends_at <= b.starts_at for a, b in zip(slots, slots[1:], strict=False))
    assert slots[0].is_booked and not slots[0].outside_schedule


def test_shrinking_the_horizon_removes_free_slots_beyond_it():
    doctor = make_doctor(days=14, slot_minutes=60)
    set_windows(doctor, (MONDAY, (9, 0), (10, 0)), now=JAN_NOW)
    assert Slot.objects.count() == 2
    doctor.booking_horizon = dt.timedelta(days=3)
    doctor.save()
    result = schedule.regenerate_slots(doctor=doctor, now=JAN_NOW)
    assert result.removed == 1
    assert local_starts(doctor, UTC) == ["Mon 05 09:00"]


def test_save_schedule_stores_windows_and_settings_together():
    doctor = make_doctor()
    result = schedule.save_schedule(
        doctor=doctor,
        windows=[Window(MONDAY, dt.time(9), dt.time(10))],
        slot_minutes=20,
        buffer_minutes=10,
        min_notice=dt.timedelta(hours=3),
        booking_horizon=dt.timedelta(days=7),
        auto_confirm=True,
        now=JAN_NOW,
    )
    doctor.refresh_from_db()
    assert (doctor.slot_minutes, doctor.buffer_minutes, doctor.auto_confirm) == (
        20,
        10,
        True,
    )
    assert doctor.min_notice == dt.timedelta(hours=3)
    assert WeeklyAvailability.objects.filter(doctor=doctor).count() == 1
    assert result.created == 2  # 09:00 and 09:30 (09:30 + 20 = 09:50)


def test_overlapping_windows_are_refused_by_the_service():
    doctor = make_doctor()
    with pytest.raises(ValueError):
        set_windows(
            doctor, (MONDAY, (9, 0), (12, 0)), (MONDAY, (11, 0), (13, 0)), now=JAN_NOW
        )


def test_a_flagged_slot_whose_hold_expired_is_offered_again_when_it_fits():
    doctor = make_doctor(slot_minutes=60)
    set_windows(doctor, (MONDAY, (9, 0), (10, 0)), now=JAN_NOW)
    Slot.objects.update(
        held_by=UserFactory(), held_until=JAN_NOW + dt.timedelta(minutes=5)
    )
    set_windows(doctor, now=JAN_NOW)
    assert Slot.objects.get().outside_schedule
    later = JAN_NOW + dt.timedelta(minutes=10)  # the hold has expired
    result = set_windows(doctor, (MONDAY, (9, 0), (10, 0)), now=later)
    assert result.unflagged == 1 and result.created == 0
    assert Slot.objects.bookable(later).count() == 1


def test_a_slot_held_while_regeneration_runs_is_kept_and_flagged(monkeypatch):
    doctor = make_doctor(slot_minutes=60)
    set_windows(doctor, (MONDAY, (9, 0), (10, 0)), now=JAN_NOW)
    slot = Slot.objects.get()
    compute = schedule.desired_slots

    def hold_then_compute(**kwargs):
        # A patient holds the slot after regeneration has read it as free.
        Slot.objects.filter(pk=slot.pk).update(
            held_by=UserFactory(), held_until=JAN_NOW + dt.timedelta(minutes=5)
        )
        return compute(**kwargs)

    monkeypatch.setattr(schedule, "desired_slots", hold_then_compute)
    result = set_windows(doctor, now=JAN_NOW)
    assert (result.removed, result.flagged) == (0, 1)
    slot.refresh_from_db()
    assert slot.outside_schedule and slot.held_by_id


def test_a_slot_held_while_its_length_changes_is_not_overlapped_or_miscounted(
    monkeypatch,
):
    doctor = make_doctor(slot_minutes=30)
    set_windows(doctor, (MONDAY, (9, 0), (11, 0)), now=JAN_NOW)
    nine = Slot.objects.get(starts_at=at(UTC, 2026, 1, 5, 9))
    compute = schedule.desired_slots

    def hold_then_compute(**kwargs):
        Slot.objects.filter(pk=nine.pk).update(
            held_by=UserFactory(), held_until=JAN_NOW + dt.timedelta(minutes=5)
        )
        return compute(**kwargs)

    monkeypatch.setattr(schedule, "desired_slots", hold_then_compute)
    doctor.slot_minutes = 60
    doctor.save()
    result = schedule.regenerate_slots(doctor=doctor, now=JAN_NOW)
    # 09:00-10:00 would overlap the held 09:00-09:30: only 10:00-11:00 is new.
    assert result == schedule.RegenerationResult(created=1, removed=3, flagged=1)
    assert [
        (s.starts_at.strftime("%H:%M"), s.ends_at.strftime("%H:%M"))
        for s in Slot.objects.order_by("starts_at")
    ] == [("09:00", "09:30"), ("10:00", "11:00")]


# --- What a regeneration reports -------------------------------------------------


def test_a_regeneration_reports_exactly_what_it_created_removed_flagged_unflagged():
    doctor = make_doctor(slot_minutes=60)
    assert set_windows(
        doctor, (MONDAY, (9, 0), (12, 0)), now=JAN_NOW
    ) == schedule.RegenerationResult(created=3)
    nine = Slot.objects.get(starts_at=at(UTC, 2026, 1, 5, 9))
    AppointmentFactory(
        slot=nine, doctor=doctor, starts_at=nine.starts_at, ends_at=nine.ends_at
    )
    Slot.objects.filter(pk=nine.pk).update(is_booked=True)

    # 09:00 is booked: flagged, not removed; 10:00 and 11:00 stay; 12:00 is new.
    assert set_windows(
        doctor, (MONDAY, (10, 0), (13, 0)), now=JAN_NOW
    ) == schedule.RegenerationResult(created=1, flagged=1)
    # Back to 09:00: the booked slot fits again; 11:00 and 12:00 go; Tuesday's
    # three are new.
    assert set_windows(
        doctor, (MONDAY, (9, 0), (11, 0)), (TUESDAY, (9, 0), (12, 0)), now=JAN_NOW
    ) == schedule.RegenerationResult(created=3, removed=2, unflagged=1)
    assert local_starts(doctor, UTC) == [
        "Mon 05 09:00",
        "Mon 05 10:00",
        "Tue 06 09:00",
        "Tue 06 10:00",
        "Tue 06 11:00",
    ]
    assert (
        schedule.regenerate_slots(doctor=doctor, now=JAN_NOW)
        == schedule.RegenerationResult()
    )


# --- A slot freed after it was flagged outside the hours -----------------------------


def freed_flagged_slot(doctor, *, history: bool) -> Slot:
    """A Monday 09:00 slot that was booked, flagged when the hours moved away,
    then freed by a cancellation: unbooked, unheld, still flagged."""
    set_windows(doctor, (MONDAY, (9, 0), (10, 0)), now=JAN_NOW)
    slot = Slot.objects.get(doctor=doctor)
    if history:
        AppointmentFactory(
            slot=slot,
            doctor=doctor,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            status="cancelled",
        )
    Slot.objects.filter(pk=slot.pk).update(is_booked=True)
    set_windows(doctor, (TUESDAY, (9, 0), (10, 0)), now=JAN_NOW)
    Slot.objects.filter(pk=slot.pk).update(is_booked=False)  # the cancellation
    slot.refresh_from_db()
    assert slot.outside_schedule and not slot.is_booked
    return slot


def test_a_freed_flagged_slot_is_offered_again_when_the_hours_cover_it():
    doctor = make_doctor(slot_minutes=60)
    slot = freed_flagged_slot(doctor, history=True)
    result = set_windows(doctor, (MONDAY, (9, 0), (10, 0)), now=JAN_NOW)
    assert result == schedule.RegenerationResult(removed=1, unflagged=1)
    slot.refresh_from_db()
    assert not slot.outside_schedule
    assert list(Slot.objects.bookable(JAN_NOW)) == [slot]


def test_a_freed_flagged_slot_with_appointments_stays_flagged_outside_the_hours():
    doctor = make_doctor(slot_minutes=60)
    slot = freed_flagged_slot(doctor, history=True)
    result = schedule.regenerate_slots(doctor=doctor, now=JAN_NOW)
    assert result == schedule.RegenerationResult()
    slot.refresh_from_db()
    assert slot.outside_schedule  # kept: its cancelled appointment points at it
    assert slot not in Slot.objects.bookable(JAN_NOW)


def test_a_freed_flagged_slot_nothing_points_at_is_deleted_outside_the_hours():
    doctor = make_doctor(slot_minutes=60)
    slot = freed_flagged_slot(doctor, history=False)
    result = schedule.regenerate_slots(doctor=doctor, now=JAN_NOW)
    assert result == schedule.RegenerationResult(removed=1)
    assert not Slot.objects.filter(pk=slot.pk).exists()


# --- A window in the spring-forward gap ----------------------------------------------

# Europe/Berlin, Sunday 29 March 2026: the clocks jump from 02:00 to 03:00 (01:00 UTC).
SPRING_NOW = at(UTC, 2026, 3, 28, 12)


def berlin_times(doctor) -> list[str]:
    return [
        f"{s.starts_at.astimezone(BERLIN):%H:%M}-{s.ends_at.astimezone(BERLIN):%H:%M}"
        for s in Slot.objects.filter(doctor=doctor).order_by("starts_at")
    ]


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (30, ["03:00-03:30", "03:30-04:00"]),
        (45, ["03:00-03:45"]),
        (60, ["03:00-04:00"]),
    ],
)
def test_a_window_opening_in_the_spring_forward_gap_opens_at_the_jump(
    minutes, expected
):
    doctor = make_doctor("Europe/Berlin", slot_minutes=minutes)
    result = set_windows(doctor, (SUNDAY, (2, 0), (4, 0)), now=SPRING_NOW)
    assert berlin_times(doctor) == expected
    assert Slot.objects.earliest("starts_at").starts_at == at(UTC, 2026, 3, 29, 1)
    assert result.created == len(expected)
    # What was generated fits the hours: nothing is flagged or changed.
    again = schedule.regenerate_slots(doctor=doctor, now=SPRING_NOW)
    assert again == schedule.RegenerationResult()


def test_a_window_opening_mid_gap_reads_as_if_the_clocks_had_not_moved():
    doctor = make_doctor("Europe/Berlin", slot_minutes=30)
    set_windows(doctor, (SUNDAY, (2, 30), (4, 0)), now=SPRING_NOW)
    assert berlin_times(doctor) == ["03:30-04:00"]  # 02:30 CET is 03:30 CEST


def test_slots_across_the_spring_forward_jump_never_overlap():
    doctor = make_doctor("Europe/Berlin", slot_minutes=40)
    set_windows(doctor, (SUNDAY, (1, 0), (5, 0)), now=SPRING_NOW)
    # 01:40 CET lasts 40 minutes, until 03:20 CEST; 03:00 and 03:40 would
    # overlap it or the slot after it.
    assert berlin_times(doctor) == [
        "01:00-01:40",
        "01:40-03:20",
        "03:20-04:00",
        "04:20-05:00",
    ]
    slots = list(Slot.objects.order_by("starts_at"))
    assert all(a.ends_at <= b.starts_at for a, b in zip(slots, slots[1:], strict=False))

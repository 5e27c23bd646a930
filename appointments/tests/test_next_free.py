"""The stored next free slot (DoctorProfile.next_free_at) the directory sorts and
filters on: every slot write keeps it exact, and what time makes stale is seen."""

import datetime as dt
import random

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory
from appointments import schedule, services
from appointments.models import Slot
from appointments.tests.factories import SlotFactory, first_bookable_start
from doctors.models import DoctorProfile, next_free_is_current
from doctors.selectors import directory
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 3, 4, 8, 0, tzinfo=dt.UTC)  # a Monday
HOUR = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def stored_is_current(doctor, now) -> bool:
    return (
        DoctorProfile.objects.filter(pk=doctor.pk)
        .filter(next_free_is_current(now))
        .exists()
    )


def directory_next(doctor, now) -> dt.datetime | None:
    return directory(now=now).get(pk=doctor.pk).next_available


def assert_exact(doctor, now=None):
    """The stored value is current and the directory shows the true first slot."""
    now = now or timezone.now()
    assert stored_is_current(doctor, now)
    assert directory_next(doctor, now) == first_bookable_start(doctor, now)


def doctor_with_slots(hours=(3, 4, 5, 30, 54)):
    doctor = DoctorProfileFactory(min_notice=2 * HOUR)
    slots = [
        SlotFactory(doctor=doctor, starts_at=NOW + hours_ahead * HOUR)
        for hours_ahead in hours
    ]
    schedule.refresh_next_free([doctor.pk], now=NOW)
    return doctor, slots


def test_refresh_stores_the_first_bookable_slot_and_the_check_time():
    doctor, slots = doctor_with_slots()
    SlotFactory(doctor=doctor, starts_at=NOW + HOUR)  # inside the notice
    schedule.refresh_next_free([doctor.pk], now=NOW)
    doctor.refresh_from_db()
    assert doctor.next_free_at == slots[0].starts_at
    assert doctor.next_free_hold_ends_at is None
    assert doctor.next_free_checked_at == NOW
    assert_exact(doctor)


def test_hold_release_book_cancel_and_reschedule_keep_it_exact():
    doctor, slots = doctor_with_slots()
    patient = UserFactory()

    services.hold(patient=patient, slot_id=slots[0].pk)
    assert directory_next(doctor, NOW) == slots[1].starts_at
    assert_exact(doctor)

    services.release_hold(patient=patient, slot_id=slots[0].pk)
    assert directory_next(doctor, NOW) == slots[0].starts_at
    assert_exact(doctor)

    appointment = services.book(patient=patient, slot_id=slots[0].pk, reason="Cough")
    assert directory_next(doctor, NOW) == slots[1].starts_at
    assert_exact(doctor)

    services.reschedule(
        user=patient, appointment_id=appointment.pk, new_slot_id=slots[1].pk
    )
    assert directory_next(doctor, NOW) == slots[0].starts_at
    assert_exact(doctor)

    services.cancel(appointment_id=appointment.pk, user=patient, reason="Better")
    assert directory_next(doctor, NOW) == slots[0].starts_at
    assert Slot.objects.filter(pk=slots[1].pk, is_booked=False).exists()
    assert_exact(doctor)


def test_booking_ones_own_hold_moves_no_first_free_time(frozen):
    """A held slot is not free: booking it keeps the stored first free time, and
    its check time, as the hold left them (no recount), and they stay exact."""
    doctor, slots = doctor_with_slots()
    patient = UserFactory()
    services.hold(patient=patient, slot_id=slots[0].pk)
    frozen.move_to(NOW + dt.timedelta(minutes=1))

    services.book(patient=patient, slot_id=slots[0].pk, reason="Cough")

    doctor.refresh_from_db()
    assert (doctor.next_free_at, doctor.next_free_checked_at) == (
        slots[1].starts_at,
        NOW,
    )
    assert_exact(doctor)


def test_booking_after_ones_hold_ended_recounts(frozen):
    doctor, slots = doctor_with_slots()
    patient = UserFactory()
    services.hold(patient=patient, slot_id=slots[0].pk)
    later = NOW + services.HOLD_DURATION
    frozen.move_to(later)

    services.book(patient=patient, slot_id=slots[0].pk, reason="Cough")

    doctor.refresh_from_db()
    assert (doctor.next_free_at, doctor.next_free_checked_at) == (
        slots[1].starts_at,
        later,
    )
    assert_exact(doctor, later)


def test_holding_another_doctors_slot_gives_the_first_one_back():
    first, first_slots = doctor_with_slots()
    second, second_slots = doctor_with_slots()
    patient = UserFactory()
    services.hold(patient=patient, slot_id=first_slots[0].pk)
    assert directory_next(first, NOW) == first_slots[1].starts_at

    services.hold(patient=patient, slot_id=second_slots[0].pk)

    assert directory_next(first, NOW) == first_slots[0].starts_at
    assert directory_next(second, NOW) == second_slots[1].starts_at
    assert_exact(first)
    assert_exact(second)


def test_a_refused_booking_changes_nothing():
    doctor, slots = doctor_with_slots()
    services.hold(patient=UserFactory(), slot_id=slots[0].pk)
    before = DoctorProfile.objects.values_list("next_free_at", flat=True).get(
        pk=doctor.pk
    )
    with pytest.raises(services.SlotHeld):
        services.book(patient=UserFactory(), slot_id=slots[0].pk, reason="Mine")
    doctor.refresh_from_db()
    assert doctor.next_free_at == before == slots[1].starts_at


def test_schedule_changes_store_it():
    doctor = DoctorProfileFactory(min_notice=2 * HOUR, timezone="UTC")
    schedule.replace_weekly_windows(
        doctor=doctor, windows=[schedule.Window(0, dt.time(13), dt.time(15))]
    )
    doctor.refresh_from_db()
    assert doctor.next_free_at == NOW.replace(hour=13)
    assert_exact(doctor)

    time_off, _ = schedule.add_time_off(
        doctor=doctor, starts_at=NOW, ends_at=NOW + dt.timedelta(days=1)
    )
    doctor.refresh_from_db()
    assert doctor.next_free_at == NOW.replace(hour=13) + dt.timedelta(days=7)
    assert_exact(doctor)

    schedule.remove_time_off(doctor=doctor, time_off_id=time_off.pk)
    doctor.refresh_from_db()
    assert doctor.next_free_at == NOW.replace(hour=13)
    assert_exact(doctor)


def test_passing_the_notice_makes_it_stale_and_the_directory_searches_the_slots(
    frozen,
):
    doctor, slots = doctor_with_slots()
    later = NOW + 90 * dt.timedelta(minutes=1)  # slot 0 (at +3 h) is now too soon
    frozen.move_to(later)

    assert not stored_is_current(doctor, later)
    assert list(DoctorProfile.objects.next_free_stale(later)) == [doctor]
    assert directory_next(doctor, later) == slots[1].starts_at

    assert schedule.refresh_stale_next_free() == 1
    assert_exact(doctor, later)
    assert schedule.refresh_stale_next_free() == 0


def test_an_ending_hold_makes_it_stale_and_the_slot_comes_back(frozen):
    doctor, slots = doctor_with_slots()
    services.hold(patient=UserFactory(), slot_id=slots[0].pk)
    doctor.refresh_from_db()
    assert doctor.next_free_hold_ends_at == NOW + services.HOLD_DURATION
    assert directory_next(doctor, NOW) == slots[1].starts_at

    expired = NOW + services.HOLD_DURATION
    frozen.move_to(expired)

    assert not stored_is_current(doctor, expired)
    assert directory_next(doctor, expired) == slots[0].starts_at
    schedule.refresh_stale_next_free()
    assert_exact(doctor, expired)


def test_the_horizon_is_applied_when_reading():
    doctor, _ = doctor_with_slots(hours=(24 * 10,))
    DoctorProfile.objects.filter(pk=doctor.pk).update(
        booking_horizon=dt.timedelta(days=7)
    )
    assert stored_is_current(doctor, NOW)
    assert directory_next(doctor, NOW) is None
    later = NOW + dt.timedelta(days=4)
    assert directory_next(doctor, later) == NOW + 24 * 10 * HOUR


def test_a_value_checked_by_a_clock_ahead_of_this_one_is_not_trusted():
    doctor, slots = doctor_with_slots()
    schedule.refresh_next_free([doctor.pk], now=NOW + 2 * HOUR)
    assert not stored_is_current(doctor, NOW)
    assert directory_next(doctor, NOW) == slots[0].starts_at


def test_doctors_never_checked_are_searched_and_then_refreshed():
    doctor = DoctorProfileFactory()
    slot = SlotFactory(doctor=doctor, starts_at=NOW + 5 * HOUR)
    assert list(DoctorProfile.objects.next_free_stale(NOW)) == [doctor]
    assert directory_next(doctor, NOW) == slot.starts_at
    assert schedule.refresh_stale_next_free(batch_size=1) == 1
    assert_exact(doctor)


def test_refresh_works_in_batches_and_leaves_current_doctors_alone():
    current, _ = doctor_with_slots()
    never_checked = DoctorProfileFactory.create_batch(5)
    assert schedule.refresh_stale_next_free(batch_size=2) == 5
    for doctor in [current, *never_checked]:
        assert_exact(doctor)


def test_refresh_next_free_command_reports_what_it_refreshed(capsys):
    DoctorProfileFactory.create_batch(2)
    call_command("refresh_next_free")
    assert capsys.readouterr().out == "Refreshed the next free slot of 2 doctors.\n"
    call_command("refresh_next_free")
    assert capsys.readouterr().out == "Refreshed the next free slot of 0 doctors.\n"


@pytest.mark.parametrize("seed", range(3))
def test_random_writes_and_time_never_make_the_directory_wrong(frozen, seed):
    """Bookings, holds, cancellations, regenerations and time passing, in any
    order: the directory always shows the first bookable slot, and a refresh
    always leaves every doctor current."""
    rng = random.Random(seed)
    doctors = []
    for _ in range(3):
        doctor = DoctorProfileFactory(min_notice=2 * HOUR, timezone="UTC")
        schedule.replace_weekly_windows(
            doctor=doctor,
            windows=[schedule.Window(day, dt.time(9), dt.time(12)) for day in range(5)],
        )
        doctors.append(doctor)
    patients = UserFactory.create_batch(4)
    now = NOW
    for _ in range(60):
        slot = rng.choice(
            list(Slot.objects.filter(starts_at__gt=now, starts_at__lt=now + 72 * HOUR))
        )
        patient = rng.choice(patients)
        action = rng.choice(["hold", "release", "book", "cancel", "time", "time"])
        try:
            if action == "hold":
                services.hold(patient=patient, slot_id=slot.pk)
            elif action == "release":
                held = Slot.objects.filter(held_by=patient).first()
                if held:
                    services.release_hold(patient=patient, slot_id=held.pk)
            elif action == "book":
                services.book(patient=patient, slot_id=slot.pk, reason="Check-up")
            elif action == "cancel":
                appointment = (
                    patient.appointments.filter(starts_at__gt=now).active().first()
                )
                if appointment:
                    services.cancel(
                        appointment_id=appointment.pk, user=patient, reason="Sorry"
                    )
            else:
                now += rng.choice([1, 4, 20, 45, 90]) * dt.timedelta(minutes=1)
                frozen.move_to(now)
                if rng.random() < 0.3:
                    schedule.regenerate_slots(doctor=rng.choice(doctors))
        except (services.BookingError, services.TransitionRefused):
            pass
        for doctor in doctors:
            assert directory_next(doctor, now) == first_bookable_start(doctor, now)
    schedule.refresh_stale_next_free()
    for doctor in doctors:
        assert_exact(doctor, now)

"""Races on real row locks: many threads, each with its own database connection.

PostgreSQL only (SQLite has no row locks: there the constraint alone guards)."""

import datetime as dt
import threading
import time
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from appointments import schedule, services
from appointments.models import Appointment, Slot
from appointments.tests.factories import (
    AppointmentFactory,
    SlotFactory,
    first_bookable_start,
)
from doctors.models import DoctorProfile, next_free_is_current
from doctors.selectors import directory
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 24
EXPECTED = (services.BookingError, services.TransitionRefused)


def race(*jobs):
    """Run the jobs at the same moment, one thread and one connection each.

    Returns one (outcome, value) per job: ("ok", result), ("refused", error) for
    the refusals a user may see, ("error", exception) for anything else."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", job())
        except EXPECTED as error:
            results[index] = ("refused", error)
        except Exception as error:  # noqa: BLE001 — the test asserts there is none
            results[index] = ("error", error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def in_days(days: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def free_slot(doctor, start: dt.datetime) -> Slot:
    return SlotFactory(
        doctor=doctor, starts_at=start, ends_at=start + dt.timedelta(minutes=30)
    )


def test_many_patients_racing_for_one_slot_get_exactly_one_booking():
    doctor = DoctorProfileFactory()
    slot = free_slot(doctor, in_days(2))
    patients = UserFactory.create_batch(THREADS)

    def booking(patient):
        return lambda: services.book(
            patient=patient, slot_id=slot.pk, reason="Racing for the same slot"
        )

    results = race(*(booking(patient) for patient in patients))

    outcomes = Counter(outcome for outcome, _ in results)
    errors = [value for outcome, value in results if outcome == "error"]
    assert errors == []
    assert outcomes == {"ok": 1, "refused": THREADS - 1}
    assert all(
        type(value) is services.SlotUnavailable
        for outcome, value in results
        if outcome == "refused"
    )
    assert Appointment.objects.filter(slot=slot).count() == 1
    winner = next(value for outcome, value in results if outcome == "ok")
    assert Appointment.objects.get().patient == winner.patient
    slot.refresh_from_db()
    assert slot.is_booked


@pytest.mark.parametrize("round_", range(8))
def test_booking_races_a_cancellation_and_a_reschedule(round_):
    """Patient 1 cancels and moves the same appointment while patient 2 books its
    slot and patient 3 books the slot it is being moved to. Whatever order the
    database picks, no slot ends with two active appointments, every slot's flag
    matches, and nobody sees anything but a clear refusal."""
    doctor = DoctorProfileFactory()
    first, second = UserFactory(), UserFactory()
    third = UserFactory()
    slot_a = free_slot(doctor, in_days(3))
    slot_b = free_slot(doctor, in_days(4))
    appointment = AppointmentFactory(
        slot=slot_a,
        patient=first,
        status=Appointment.Status.CONFIRMED,
    )
    Slot.objects.filter(pk=slot_a.pk).update(is_booked=True)

    results = race(
        lambda: services.cancel(user=first, appointment_id=appointment.pk),
        lambda: services.reschedule(
            user=first, appointment_id=appointment.pk, new_slot_id=slot_b.pk
        ),
        lambda: services.book(patient=second, slot_id=slot_a.pk, reason="Slot A, me"),
        lambda: services.book(patient=third, slot_id=slot_b.pk, reason="Slot B, me"),
    )

    assert [value for outcome, value in results if outcome == "error"] == []
    cancel, move, book_a, book_b = (outcome for outcome, _ in results)
    for slot in (slot_a, slot_b):
        slot.refresh_from_db()
        active = Appointment.objects.active().filter(slot=slot).count()
        assert active <= 1
        assert slot.is_booked == (active == 1), (slot, results)
    appointment.refresh_from_db()
    if move == "ok" and cancel != "ok":
        assert appointment.slot == slot_b and appointment.is_active
    if book_a == "ok":
        assert Appointment.objects.active().get(slot=slot_a).patient == second


@pytest.mark.parametrize("round_", range(5))
def test_one_patient_holding_two_slots_at_once_keeps_one_hold(round_):
    """Two tabs, two clicks at the same moment: no deadlock, no error, and the
    patient ends up holding exactly one of the two times."""
    doctor = DoctorProfileFactory()
    patient = UserFactory()
    first, second = free_slot(doctor, in_days(2)), free_slot(doctor, in_days(3))
    services.hold(patient=patient, slot_id=second.pk)  # clicked a moment ago

    results = race(
        lambda: services.hold(patient=patient, slot_id=first.pk),
        lambda: services.hold(patient=patient, slot_id=second.pk),
    )

    assert [outcome for outcome, _ in results] == ["ok", "ok"]
    assert Slot.objects.filter(held_by=patient).count() == 1


@pytest.mark.parametrize("round_", range(6))
def test_racing_slot_writes_leave_each_stored_next_free_slot_exact(round_):
    """Holds, a release, bookings, a cancellation, a hold moving to another doctor
    and the refresh cron, all at once on two doctors: no deadlock, no error, and
    afterwards each doctor's stored next free slot is current and right."""
    first, second = DoctorProfileFactory(), DoctorProfileFactory()
    mine = [free_slot(first, in_days(1 + index / 10)) for index in range(4)]
    theirs = [free_slot(second, in_days(1 + index / 10)) for index in range(2)]
    patients = UserFactory.create_batch(6)
    cancelled = AppointmentFactory(
        slot=mine[0], patient=patients[0], status=Appointment.Status.CONFIRMED
    )
    Slot.objects.filter(pk=mine[0].pk).update(is_booked=True)
    services.hold(patient=patients[5], slot_id=mine[3].pk)  # moves to `theirs`
    services.hold(patient=patients[4], slot_id=theirs[1].pk)  # to release
    DoctorProfile.objects.update(next_free_checked_at=None)  # work for the cron

    results = race(
        lambda: services.cancel(user=patients[0], appointment_id=cancelled.pk),
        lambda: services.hold(patient=patients[1], slot_id=mine[1].pk),
        lambda: services.book(patient=patients[2], slot_id=mine[1].pk, reason="Me"),
        lambda: services.book(patient=patients[3], slot_id=mine[2].pk, reason="Me"),
        lambda: services.release_hold(patient=patients[4], slot_id=theirs[1].pk),
        lambda: services.hold(patient=patients[5], slot_id=theirs[0].pk),
        lambda: schedule.refresh_stale_next_free(batch_size=1),
    )

    assert [value for outcome, value in results if outcome == "error"] == []
    now = timezone.now()
    for doctor in (first, second):
        assert (
            DoctorProfile.objects.filter(pk=doctor.pk)
            .filter(next_free_is_current(now))
            .exists()
        )
        shown = directory(now=now).get(pk=doctor.pk).next_available
        assert shown == first_bookable_start(doctor, now)


@pytest.mark.parametrize("round_", range(3))
def test_one_patient_booking_two_doctors_at_the_same_time_gets_one(round_, monkeypatch):
    """Two tabs, two doctors, overlapping times, one click each at the same moment.
    The slots and doctors differ, so only the patient's own lock keeps the overlap
    rule from being beaten: exactly one booking, the other a clear Overlap.

    Every insert of an appointment waits a moment first, so both requests have
    checked the rules before either has written (without the patient lock both
    would pass the check)."""
    patient = UserFactory()
    start = in_days(2)
    first = free_slot(DoctorProfileFactory(), start)
    second = free_slot(DoctorProfileFactory(), start + dt.timedelta(minutes=15))
    save = Appointment.save

    def slow_save(self, *args, **kwargs):
        if self._state.adding:
            time.sleep(0.5)  # between the overlap check and the insert
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Appointment, "save", slow_save)

    results = race(
        lambda: services.book(patient=patient, slot_id=first.pk, reason="Back pain"),
        lambda: services.book(patient=patient, slot_id=second.pk, reason="Back pain"),
    )

    assert sorted(outcome for outcome, _ in results) == ["ok", "refused"], results
    refusal = next(value for outcome, value in results if outcome == "refused")
    assert type(refusal) is services.Overlap
    assert Appointment.objects.active().filter(patient=patient).count() == 1

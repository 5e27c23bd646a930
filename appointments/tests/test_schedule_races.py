"""Regenerations of one doctor serialize on the doctor's row lock (PostgreSQL only:
SQLite has no row locks)."""

import datetime as dt
import threading

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from appointments import schedule
from appointments.models import Slot
from appointments.schedule import Window
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2026, 1, 4, 12, tzinfo=dt.UTC)  # a Sunday
THREADS = 8


def run_together(job, count: int) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as error:  # noqa: BLE001 — the test asserts there is none
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_concurrent_regenerations_of_one_doctor_create_each_slot_once():
    doctor = DoctorProfileFactory(
        slot_minutes=30, booking_horizon=dt.timedelta(days=30)
    )
    schedule.replace_weekly_windows(
        doctor=doctor,
        windows=[Window(day, dt.time(9), dt.time(17)) for day in range(5)],
        now=NOW,
    )
    expected = Slot.objects.filter(doctor=doctor).count()
    Slot.objects.filter(doctor=doctor).delete()

    results = run_together(
        lambda: schedule.regenerate_slots(doctor=doctor, now=NOW), THREADS
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    # The first one in creates everything; the others, serialized behind its
    # lock, find nothing to do.
    assert sorted(r.created for r in results) == [0] * (THREADS - 1) + [expected]
    assert Slot.objects.filter(doctor=doctor).count() == expected


def test_a_hold_racing_a_change_of_hours_is_never_lost():
    doctor = DoctorProfileFactory(slot_minutes=60, booking_horizon=dt.timedelta(days=7))
    schedule.replace_weekly_windows(
        doctor=doctor, windows=[Window(0, dt.time(9), dt.time(12))], now=NOW
    )
    slots = list(Slot.objects.filter(doctor=doctor))
    holder = UserFactory()

    def hold_all():
        for slot in slots:
            Slot.objects.filter(pk=slot.pk, is_booked=False).update(
                held_by=holder, held_until=NOW + dt.timedelta(minutes=5)
            )

    def clear_hours():
        return schedule.replace_weekly_windows(doctor=doctor, windows=[], now=NOW)

    jobs = [hold_all, clear_hours]
    results = run_together(lambda: jobs.pop()(), 2)
    assert not [r for r in results if isinstance(r, Exception)], results
    # Whatever the order, every slot is either gone (deleted while still free)
    # or held and flagged outside the hours: never a held slot deleted, never one
    # left to be offered again when its hold expires.
    for slot in Slot.objects.filter(doctor=doctor):
        assert slot.held_by_id == holder.pk
        assert slot.outside_schedule

"""Races of the doctor's day on real row locks (PostgreSQL, one thread and one
connection each): the sick day against new bookings, no-show against completion."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from appointments import services
from appointments.models import Appointment, TimeOff
from appointments.tests.factories import AppointmentFactory, SlotFactory
from appointments.tests.test_races import race
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Status = Appointment.Status
PATIENTS = 8


def next_midnight_utc() -> dt.datetime:
    tomorrow = timezone.now().date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(0), tzinfo=dt.UTC)


@pytest.mark.parametrize("round_", range(4))
def test_no_booking_survives_inside_the_sick_day(round_):
    """The doctor calls in sick while patients book the rest of today. Whoever
    the database lets in first, no pending or confirmed visit is left inside the
    time off: a booking before it is cancelled with the rest, one after it is
    refused (DoctorAway), as booking locks the doctor first and checks time off
    inside that lock."""
    doctor = DoctorProfileFactory()  # UTC practice, no minimum notice
    now = timezone.now()
    room = (next_midnight_utc() - now).total_seconds() / 60
    if room < 30 * PATIENTS + 10:
        pytest.skip("too close to midnight for a day of visits")
    slots = [
        SlotFactory(
            doctor=doctor,
            starts_at=now + dt.timedelta(minutes=5 + 30 * n),
            ends_at=now + dt.timedelta(minutes=35 + 30 * n),
        )
        for n in range(PATIENTS)
    ]
    patients = UserFactory.create_batch(PATIENTS)

    def booking(patient, slot):
        return lambda: services.book(
            patient=patient, slot_id=slot.pk, reason="Booking during the sick day"
        )

    results = race(
        lambda: services.sick_day(
            user=doctor.user, doctor=doctor, message="The doctor is ill today."
        ),
        *(booking(p, s) for p, s in zip(patients, slots, strict=True)),
    )

    assert [v for outcome, v in results if outcome == "error"] == []
    sick = results[0]
    assert sick[0] == "ok"
    time_off = TimeOff.objects.get(doctor=doctor)
    inside = Appointment.objects.filter(
        doctor=doctor,
        starts_at__lt=time_off.ends_at,
        ends_at__gt=time_off.starts_at,
    )
    assert not inside.filter(status__in=Appointment.ACTIVE_STATUSES).exists()
    booked = sum(1 for outcome, _ in results[1:] if outcome == "ok")
    refused = [v for outcome, v in results[1:] if outcome == "refused"]
    assert all(isinstance(v, services.BookingError) for v in refused)
    assert booked + len(refused) == PATIENTS
    # Every booking that got in was cancelled by the sick day, with its message.
    assert inside.filter(status=Status.CANCELLED).count() == booked
    assert len(sick[1].cancelled) == booked


@pytest.mark.parametrize("round_", range(6))
def test_no_show_and_completion_race_and_exactly_one_wins(round_):
    doctor = DoctorProfileFactory()
    start = timezone.now() - dt.timedelta(minutes=10)
    appointment = AppointmentFactory(
        slot=SlotFactory(
            doctor=doctor,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=30),
            is_booked=True,
        ),
        status=Status.CONFIRMED,
    )

    results = race(
        lambda: services.mark_no_show(user=doctor.user, appointment_id=appointment.pk),
        lambda: services.complete(user=doctor.user, appointment_id=appointment.pk),
    )

    assert Counter(outcome for outcome, _ in results) == {"ok": 1, "refused": 1}
    appointment.refresh_from_db()
    winner = next(value for outcome, value in results if outcome == "ok")
    assert appointment.status == winner.status
    assert appointment.status in (Status.NO_SHOW, Status.COMPLETED)
    assert appointment.events.filter(from_status=Status.CONFIRMED).count() == 1

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from accounts.tests.factories import UserFactory
from appointments.models import Appointment, Slot
from appointments.tests.factories import AppointmentFactory, SlotFactory
from doctors.models import DoctorProfile
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db


def slot_in(doctor, delta: dt.timedelta, **fields) -> Slot:
    start = timezone.now() + delta
    return SlotFactory(
        doctor=doctor,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        **fields,
    )


def test_bookable_respects_each_doctors_notice_and_horizon():
    now = timezone.now()
    doctor = DoctorProfileFactory(
        min_notice=dt.timedelta(hours=2), booking_horizon=dt.timedelta(days=3)
    )
    too_soon = slot_in(doctor, dt.timedelta(hours=1))
    ok = slot_in(doctor, dt.timedelta(hours=3))
    too_far = slot_in(doctor, dt.timedelta(days=3, minutes=1))
    past = slot_in(doctor, -dt.timedelta(hours=1))
    bookable = set(Slot.objects.bookable(now))
    assert ok in bookable
    assert not {too_soon, too_far, past} & bookable


def test_bookable_skips_booked_held_and_unapproved():
    now = timezone.now()
    doctor = DoctorProfileFactory()
    booked = slot_in(doctor, dt.timedelta(hours=5), is_booked=True)
    held = slot_in(
        doctor,
        dt.timedelta(hours=6),
        held_by=UserFactory(),
        held_until=now + dt.timedelta(minutes=5),
    )
    hold_expired = slot_in(
        doctor,
        dt.timedelta(hours=7),
        held_by=UserFactory(),
        held_until=now - dt.timedelta(minutes=1),
    )
    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    unapproved = slot_in(pending, dt.timedelta(hours=5))
    bookable = set(Slot.objects.bookable(now))
    assert hold_expired in bookable
    assert not {booked, held, unapproved} & bookable


@pytest.mark.parametrize("status", Appointment.ACTIVE_STATUSES)
def test_database_refuses_a_second_active_appointment_for_a_slot(status):
    first = AppointmentFactory(status=status)
    with pytest.raises(IntegrityError):
        AppointmentFactory(slot=first.slot, status=Appointment.Status.PENDING)


def test_a_cancelled_appointment_does_not_block_the_slot():
    cancelled = AppointmentFactory(status=Appointment.Status.CANCELLED)
    AppointmentFactory(slot=cancelled.slot, status=Appointment.Status.PENDING)
    assert cancelled.slot.appointments.count() == 2

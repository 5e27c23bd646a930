import datetime as dt

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from appointments.models import Appointment, Slot, TimeOff, WeeklyAvailability
from doctors.tests.factories import DoctorProfileFactory


def first_bookable_start(doctor, now: dt.datetime) -> dt.datetime | None:
    """The doctor's next free time by the rule itself, straight from the slots:
    what the stored next free slot and the directory must agree with."""
    return (
        Slot.objects.bookable(now)
        .filter(doctor=doctor)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )


def tomorrow_at(hour: int, minute: int = 0) -> dt.datetime:
    day = timezone.now().date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


class WeeklyAvailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WeeklyAvailability

    doctor = factory.SubFactory(DoctorProfileFactory)
    weekday = 0
    start_time = dt.time(9, 0)
    end_time = dt.time(12, 0)


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeOff

    doctor = factory.SubFactory(DoctorProfileFactory)
    starts_at = factory.LazyFunction(lambda: tomorrow_at(0))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(days=1))
    reason = "Conference"


class SlotFactory(factory.django.DjangoModelFactory):
    """A free 30-minute slot tomorrow morning (UTC)."""

    class Meta:
        model = Slot

    doctor = factory.SubFactory(DoctorProfileFactory)
    starts_at = factory.Sequence(
        lambda n: tomorrow_at(9) + dt.timedelta(minutes=30 * n)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(minutes=30))


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    slot = factory.SubFactory(SlotFactory, is_booked=True)
    doctor = factory.SelfAttribute("slot.doctor")
    patient = factory.SubFactory(UserFactory)
    booked_by = factory.SelfAttribute("patient")
    starts_at = factory.SelfAttribute("slot.starts_at")
    ends_at = factory.SelfAttribute("slot.ends_at")
    reason = "Persistent cough for two weeks"
    status = Appointment.Status.PENDING

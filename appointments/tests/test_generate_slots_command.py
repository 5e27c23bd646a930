import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from appointments.models import Slot, WeeklyAvailability
from doctors.models import DoctorProfile
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 1, 4, 12, tzinfo=dt.UTC)  # a Sunday


def doctor_with_monday_hours(**fields) -> DoctorProfile:
    doctor = DoctorProfileFactory(
        slot_minutes=60, booking_horizon=dt.timedelta(days=7), **fields
    )
    WeeklyAvailability.objects.create(
        doctor=doctor, weekday=0, start_time=dt.time(9), end_time=dt.time(12)
    )
    return doctor


def run(*args) -> str:
    out = StringIO()
    call_command("generate_slots", *args, stdout=out)
    return out.getvalue()


@time_machine.travel(NOW, tick=False)
def test_generates_for_every_approved_doctor_and_is_idempotent():
    doctor_with_monday_hours()
    doctor_with_monday_hours()
    doctor_with_monday_hours(status=DoctorProfile.Status.PENDING)
    assert run() == "Slots for 2 doctors: 6 created, 0 removed.\n"
    assert Slot.objects.count() == 6
    assert run() == "Slots for 2 doctors: 0 created, 0 removed.\n"


def test_extends_the_rolling_horizon_day_by_day():
    doctor = doctor_with_monday_hours()
    with time_machine.travel(NOW, tick=False):
        run()
    with time_machine.travel(NOW + dt.timedelta(days=7), tick=False):
        assert "3 created" in run()
    assert Slot.objects.filter(doctor=doctor).count() == 6


@time_machine.travel(NOW, tick=False)
def test_one_doctor_by_slug_or_id():
    first = doctor_with_monday_hours()
    second = doctor_with_monday_hours()
    assert run("--doctor", first.slug) == "Slots for 1 doctor: 3 created, 0 removed.\n"
    assert run("--doctor", str(second.pk)).startswith("Slots for 1 doctor: 3 created")
    assert Slot.objects.filter(doctor=second).count() == 3


def test_an_unknown_doctor_is_an_error():
    with pytest.raises(CommandError, match="No approved doctor"):
        run("--doctor", "nobody")


@time_machine.travel(NOW, tick=False)
def test_reports_removed_slots():
    doctor = doctor_with_monday_hours()
    run()
    WeeklyAvailability.objects.filter(doctor=doctor).update(end_time=dt.time(10))
    assert run() == "Slots for 1 doctor: 0 created, 2 removed.\n"

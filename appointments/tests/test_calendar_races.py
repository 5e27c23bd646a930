"""SEQUENCE under concurrent changes: each change that happened raised it once,
so the last calendar object sent is always the newest. PostgreSQL only."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from appointments import services
from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory, SlotFactory
from appointments.tests.test_races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_moves_and_a_cancel_raise_the_sequence_once_each(doctor, patient):
    start = timezone.now() + dt.timedelta(days=3)
    appointment = AppointmentFactory(
        patient=patient,
        slot=SlotFactory(doctor=doctor, starts_at=start),
        status=Appointment.Status.CONFIRMED,
    )
    targets = [
        SlotFactory(doctor=doctor, starts_at=start + dt.timedelta(hours=hours))
        for hours in range(1, 7)
    ]
    jobs = [
        *(
            lambda slot=slot: services.reschedule(
                user=doctor.user, appointment_id=appointment.pk, new_slot_id=slot.pk
            )
            for slot in targets
        ),
        lambda: services.cancel(
            user=doctor.user, appointment_id=appointment.pk, reason="Closed"
        ),
        lambda: services.confirm(user=doctor.user, appointment_id=appointment.pk),
    ]
    outcomes = race(*jobs)
    assert not [value for kind, value in outcomes if kind == "error"]
    done = Counter(kind for kind, _value in outcomes)["ok"]
    appointment.refresh_from_db()
    assert done >= 1
    assert appointment.calendar_sequence == done

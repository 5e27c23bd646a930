"""The booking race over the API: 20 patients, each with their own token, client,
thread and database connection, POST the same slot at the same moment.

PostgreSQL only (real row locks); run with DATABASE_URL=postgres://..."""

import datetime as dt
import threading
from collections import Counter
from http import HTTPStatus

import pytest
from django.db import connection

from accounts.tests.api import ApiClient
from accounts.tests.factories import UserFactory
from appointments.models import Appointment
from appointments.tests.factories import SlotFactory, tomorrow_at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PATIENTS = 20


def test_twenty_patients_booking_one_slot_over_the_api_get_one_201(doctor):
    start = tomorrow_at(9)
    slot = SlotFactory(
        doctor=doctor, starts_at=start, ends_at=start + dt.timedelta(minutes=30)
    )
    clients = [ApiClient(patient) for patient in UserFactory.create_batch(PATIENTS)]
    barrier = threading.Barrier(PATIENTS)
    statuses: list[int | None] = [None] * PATIENTS
    bodies: list[dict | None] = [None] * PATIENTS

    def book(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            response = clients[index].post(
                "/api/v1/appointments/",
                {"slot": slot.pk, "reason": "Racing for the same slot"},
            )
            statuses[index] = response.status_code
            bodies[index] = response.json()
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(i,)) for i in range(PATIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hung"

    assert Counter(statuses) == {HTTPStatus.CREATED: 1, HTTPStatus.CONFLICT: 19}
    for status, body in zip(statuses, bodies, strict=True):
        if status == HTTPStatus.CONFLICT:
            assert body["errors"][0]["code"] in {"slot_taken", "slot_held"}
    assert Appointment.objects.filter(slot=slot).count() == 1

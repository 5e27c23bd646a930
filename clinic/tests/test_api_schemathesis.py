"""Schemathesis against /api/schema/: generated requests to every operation, as a
signed-in patient and as a doctor, must never get a 5xx and every answer must match
the schema (status code, content type, body). Bounded: a few examples per operation
and role.

    .venv/bin/pytest clinic/tests/test_api_schemathesis.py
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tests.api import access_token
from accounts.tests.factories import UserFactory
from appointments.tests.factories import AppointmentFactory, SlotFactory
from doctors.tests.factories import DoctorProfileFactory

EXAMPLES_PER_OPERATION = 4


def _load_schema():
    from clinic.wsgi import application

    # Generated at collection, from the app itself (no database needed).
    return schemathesis.openapi.from_wsgi("/api/schema/", application)


schema = _load_schema()


@pytest.fixture
def keep_the_test_connection(token):
    """Schemathesis calls the real WSGI handler, whose request signals close
    "old" connections: that would close the test's connection (inside its
    transaction) on PostgreSQL. Django's own test client disconnects them too,
    and connects them again after each request, hence after `token`."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_throttling(monkeypatch, settings):
    settings.RATELIMIT_ENABLE = False  # the budgets shared with the pages
    from clinic.throttling import WriteThrottle

    # Generated writes come fast: keep 429 out of the way of real answers.
    monkeypatch.setattr(
        WriteThrottle,
        "THROTTLE_RATES",
        {"api_write": "100000/min"},
    )


@pytest.fixture(params=["patient", "doctor"])
def token(request, db) -> str:
    """A patient with an appointment, or that appointment's doctor (approved, with
    free slots): each role gets the operations it may use to succeed."""
    patient = UserFactory(full_name="Schema Thesis")
    doctor = DoctorProfileFactory(slug="ada-lee")
    SlotFactory.create_batch(3, doctor=doctor)
    AppointmentFactory(patient=patient, slot__doctor=doctor)
    return access_token(patient if request.param == "patient" else doctor.user)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,  # nothing written to .hypothesis/ in the work tree
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_schema_says(case, token, keep_the_test_connection):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )

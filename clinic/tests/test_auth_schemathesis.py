"""Schemathesis against allauth's headless specification (/_allauth/openapi.json,
as this site serves it): generated requests to every operation, anonymous and
signed in, must never get a 5xx nor a status the specification does not list,
and every answer must match it. Bounded: a few examples per operation and role.

    .venv/bin/pytest clinic/tests/test_auth_schemathesis.py
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

EXAMPLES_PER_OPERATION = 4


def _load_schema():
    from clinic.wsgi import application

    def with_a_client_address(environ, start_response):
        # allauth's rate limits need the client's IP; a WSGI call has none.
        environ.setdefault("REMOTE_ADDR", "127.0.0.1")
        return application(environ, start_response)

    return schemathesis.openapi.from_wsgi(
        "/_allauth/openapi.json", with_a_client_address
    )


schema = _load_schema()


@pytest.fixture
def keep_the_test_connection(headers):
    """As in test_api_schemathesis: the real WSGI handler must not close the
    test's connection (inside its transaction) between requests."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["anonymous", "signed in"])
def headers(request, db) -> dict:
    if request.param == "anonymous":
        return {}
    user = UserFactory(email="schema.thesis@example.com")
    return {"Authorization": f"Bearer {access_token(user)}"}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_account_api_answers_as_its_specification_says(
    case, headers, keep_the_test_connection
):
    case.call_and_validate(
        headers=headers,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )

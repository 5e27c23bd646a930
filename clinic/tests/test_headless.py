"""allauth's headless API kept to the specification this site publishes
(clinic/headless.py): JSON errors, Retry-After, a boolean is_authenticated, and
no endpoint mounted or advertised that the clinic does not use."""

from http import HTTPStatus

import pytest

pytestmark = pytest.mark.django_db

AUTH = "/_allauth/app/v1"


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", "\xff"])
def test_a_body_that_is_not_a_json_object_is_the_specs_400(client, body):
    response = client.post(f"{AUTH}/auth/login", body, content_type="application/json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {
        "status": 400,
        "errors": [{"code": "invalid", "message": "The body must be a JSON object."}],
    }


def test_a_rate_limited_answer_says_when_to_retry(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "1/m/ip"}
    body = {"email": "a@example.com", "password": "a-long-enough-passphrase"}
    client.post(f"{AUTH}/auth/signup", body, content_type="application/json")
    response = client.post(
        f"{AUTH}/auth/signup",
        {**body, "email": "b@example.com"},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.json() == {"status": 429}
    assert response["Retry-After"] == "60"


def test_an_unknown_session_is_410_with_is_authenticated_false(client):
    response = client.get(f"{AUTH}/auth/session", HTTP_X_SESSION_TOKEN="gone")
    assert response.status_code == HTTPStatus.GONE
    assert response.json()["meta"]["is_authenticated"] is False


def test_logging_out_of_a_gone_session_is_the_specs_401(client):
    response = client.delete(f"{AUTH}/auth/session", HTTP_X_SESSION_TOKEN="gone")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    body = response.json()
    assert body["status"] == 401
    assert body["meta"]["is_authenticated"] is False


@pytest.mark.parametrize(
    "endpoint",
    [
        "auth/phone/verify",
        "auth/phone/verify/resend",
        "account/phone",
        "auth/code/confirm",
    ],
)
def test_unused_endpoints_are_neither_mounted_nor_advertised(client, endpoint):
    assert client.post(f"{AUTH}/{endpoint}").status_code == HTTPStatus.NOT_FOUND
    spec = client.get("/_allauth/openapi.json").json()
    assert f"{AUTH}/{endpoint}" not in spec["paths"]
    assert f"{AUTH}/auth/login" in spec["paths"]
    assert client.get("/_allauth/openapi.yaml").status_code == HTTPStatus.NOT_FOUND


def test_the_specification_lists_what_allauth_answers(client):
    paths = client.get("/_allauth/openapi.json").json()["paths"]
    assert "429" in paths[f"{AUTH}/auth/signup"]["post"]["responses"]
    assert "410" in paths[f"{AUTH}/account/email"]["get"]["responses"]
    assert "401" in paths[f"{AUTH}/auth/reauthenticate"]["post"]["responses"]

"""What every /api/ endpoint shares: one JSON error shape, docs, CORS, throttles."""

import json
from http import HTTPStatus
from unittest import mock

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts import api as accounts_api
from clinic import views

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status: HTTPStatus, code: str | None = None):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["type"] in {"client_error", "server_error", "validation_error"}
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}
    if code:
        assert body["errors"][0]["code"] == code
    return body


def test_an_unknown_api_url_is_a_json_404(client):
    assert_error_shape(
        client.get("/api/v1/no-such-thing/"), HTTPStatus.NOT_FOUND, "not_found"
    )
    assert_error_shape(client.post("/api/nothing"), HTTPStatus.NOT_FOUND, "not_found")


def test_anonymous_is_401_in_the_same_shape(client):
    assert_error_shape(
        client.get("/api/v1/me/"), HTTPStatus.UNAUTHORIZED, "not_authenticated"
    )


def test_a_wrong_method_is_a_json_405(patient_client):
    assert_error_shape(
        patient_client.delete("/api/v1/me/"), HTTPStatus.METHOD_NOT_ALLOWED
    )


def test_malformed_json_is_a_json_400(patient_client):
    response = patient_client.patch(
        "/api/v1/me/", "{not json", content_type="application/json"
    )
    assert_error_shape(response, HTTPStatus.BAD_REQUEST, "parse_error")


def test_a_crash_in_an_api_view_is_a_json_500_without_a_traceback(patient_client):
    patient_client.raise_request_exception = False
    with mock.patch.object(
        accounts_api.MeView, "get_object", side_effect=RuntimeError("secret detail")
    ):
        response = patient_client.get("/api/v1/me/")
    body = assert_error_shape(response, HTTPStatus.INTERNAL_SERVER_ERROR)
    assert body["type"] == "server_error"
    assert "secret detail" not in response.content.decode()


def test_django_error_handlers_answer_json_under_api(rf):
    request = rf.get("/api/v1/anything/")
    for response, status in [
        (views.page_not_found(request, Exception()), HTTPStatus.NOT_FOUND),
        (views.server_error(request), HTTPStatus.INTERNAL_SERVER_ERROR),
        (views.bad_request(request, Exception()), HTTPStatus.BAD_REQUEST),
        (views.permission_denied(request, Exception()), HTTPStatus.FORBIDDEN),
    ]:
        assert_error_shape(response, status)
    # Pages keep their HTML error pages.
    assert b"<html" in views.page_not_found(rf.get("/x/"), Exception()).content


def test_session_auth_needs_the_csrf_token(client, patient):
    client = client.__class__(enforce_csrf_checks=True)
    client.force_login(patient)
    response = client.patch(
        "/api/v1/me/", {"full_name": "X"}, content_type="application/json"
    )
    assert_error_shape(response, HTTPStatus.FORBIDDEN, "permission_denied")


def test_writes_are_throttled_with_retry_after(patient_client, monkeypatch):
    from clinic.throttling import WriteThrottle

    monkeypatch.setattr(WriteThrottle, "THROTTLE_RATES", {"api_write": "2/min"})
    for _ in range(2):
        response = patient_client.patch(
            "/api/v1/me/", {"phone": "+49 30 1234567"}, content_type="application/json"
        )
        assert response.status_code == HTTPStatus.OK
    response = patient_client.patch(
        "/api/v1/me/", {"phone": "+49 30 1234567"}, content_type="application/json"
    )
    assert_error_shape(response, HTTPStatus.TOO_MANY_REQUESTS, "throttled")
    assert int(response["Retry-After"]) > 0
    # Reads are not throttled.
    assert patient_client.get("/api/v1/me/").status_code == HTTPStatus.OK


def test_throttled_answers_carry_the_ratelimit_headers(patient_client, monkeypatch):
    from clinic.throttling import WriteThrottle

    monkeypatch.setattr(WriteThrottle, "THROTTLE_RATES", {"api_write": "2/min"})
    budgets = []
    for _ in range(3):
        response = patient_client.patch(
            "/api/v1/me/", {"phone": "+49 30 1234567"}, content_type="application/json"
        )
        budgets.append(
            (
                response.status_code,
                response["RateLimit-Limit"],
                response["RateLimit-Remaining"],
            )
        )
        assert 0 < int(response["RateLimit-Reset"]) <= 60
        assert response["RateLimit-Policy"] == "2;w=60"
    assert budgets == [(200, "2", "1"), (200, "2", "0"), (429, "2", "0")]
    # Reads are not throttled, so they carry no budget.
    assert "RateLimit-Limit" not in patient_client.get("/api/v1/me/")


def test_the_schema_and_docs_are_served_offline(client):
    response = client.get(reverse("api:schema"), HTTP_ACCEPT="application/json")
    assert response.status_code == HTTPStatus.OK
    schema = response.json()
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert "/api/docs/auth/" in schema["info"]["description"]
    for operation in (
        operation
        for path in schema["paths"].values()
        for method, operation in path.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ):
        assert operation.get("summary"), operation["operationId"]

    docs = client.get(reverse("api:docs")).content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower()  # sidecar: served from our static files
    assert client.get(reverse("api:redoc")).status_code == HTTPStatus.OK
    # Its start-up script (no inline script: CSP) names the schema it shows.
    auth_docs = client.get(reverse("api:docs-auth") + "?script=").content.decode()
    assert "/_allauth/openapi.json" in auth_docs
    allauth_spec = client.get("/_allauth/openapi.json")
    assert allauth_spec.status_code == HTTPStatus.OK
    assert "/_allauth/app/v1/tokens/refresh" in allauth_spec.content.decode()


def test_cors_is_same_origin_only_by_default(client):
    response = client.get("/api/v1/me/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in response


@override_settings(CORS_ALLOWED_ORIGINS=["https://app.example"])
def test_cors_allows_the_configured_origins_without_credentials(client):
    response = client.options(
        "/api/v1/me/",
        HTTP_ORIGIN="https://app.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert response["Access-Control-Allow-Origin"] == "https://app.example"
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response
    other = client.get("/api/v1/me/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other


def _operations():
    """(method, path) of every API operation, path parameters filled in."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            public = {} in operation.get("security", [])
            filled = path.replace("{id}", "1").replace("{slug}", "someone")
            yield method, filled, public


def test_every_non_public_endpoint_is_401_without_a_token(client):
    checked = 0
    for method, path, public in _operations():
        if public:
            continue
        response = getattr(client, method)(path, content_type="application/json")
        assert response.status_code == HTTPStatus.UNAUTHORIZED, (method, path)
        assert response.json()["errors"][0]["code"] == "not_authenticated"
        checked += 1
    assert checked > 30


def test_times_come_in_the_token_users_zone_with_its_offset(client, patient):
    from accounts.tests.api import ApiClient

    patient.timezone = "Asia/Tokyo"
    patient.save()
    joined = ApiClient(patient).get("/api/v1/me/").json()["date_joined"]
    assert joined.endswith("+09:00")
    # And the next request of another kind starts from UTC again.
    assert client.get("/api/v1/doctors/").status_code == HTTPStatus.OK

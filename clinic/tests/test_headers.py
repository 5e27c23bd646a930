"""Security and privacy headers on pages, the API, admin and files."""

import re
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.tests.api import ApiClient
from appointments.tests.factories import AppointmentFactory
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part)
    }


def no_store(response) -> bool:
    cache_control = response.get("Cache-Control", "")
    return "private" in cache_control and "no-store" in cache_control


def test_pages_carry_a_strict_policy_and_permissions_policy(client):
    response = client.get(reverse("home"))
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["style-src"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_public_pages_may_be_cached(client):
    assert not no_store(client.get(reverse("home")))


@pytest.mark.parametrize(
    "name", ["accounts:profile", "appointments:list", "notifications:list"]
)
def test_pages_with_personal_data_are_not_stored(patient_client, name):
    response = patient_client.get(reverse(name))
    assert response.status_code == HTTPStatus.OK
    assert no_store(response)


def test_an_appointment_page_and_its_calendar_file_are_not_stored(
    patient_client, patient
):
    appointment = AppointmentFactory(patient=patient)
    page = patient_client.get(reverse("appointments:detail", args=[appointment.pk]))
    assert no_store(page)
    ics = patient_client.get(reverse("appointments:ics", args=[appointment.pk]))
    assert ics["Content-Type"].startswith("text/calendar; charset=utf-8")
    assert no_store(ics)
    assert "Content-Security-Policy" in ics


def test_api_answers_about_the_user_are_private(patient):
    api = ApiClient(patient)
    appointment = AppointmentFactory(patient=patient)
    NotificationFactory(recipient=patient)
    for url in ("/api/v1/me/", "/api/v1/appointments/", "/api/v1/notifications/"):
        response = api.get(url)
        assert response.status_code == HTTPStatus.OK
        assert "private" in response["Cache-Control"], url
    ics = api.get(f"/api/v1/appointments/{appointment.pk}/ics/")
    assert ics["Content-Type"].startswith("text/calendar; charset=utf-8")
    assert no_store(ics)


def test_admin_pages_carry_the_policy_and_are_not_stored(admin_client):
    response = admin_client.get("/admin/appointments/appointment/")
    assert response.status_code == HTTPStatus.OK
    assert policy(response)["script-src"] == ["'self'"]
    assert no_store(response)


def test_only_redoc_gets_inline_styles_and_swagger_needs_no_exception(client):
    swagger = client.get("/api/docs/")
    assert swagger.status_code == HTTPStatus.OK
    assert policy(swagger)["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy(swagger)["style-src"]
    assert b"<script>" not in swagger.content
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")

    redoc = client.get("/api/redoc/")
    assert "'unsafe-inline'" in policy(redoc)["style-src"]
    assert policy(redoc)["script-src"] == ["'self'"]
    assert b"fonts.googleapis.com" not in redoc.content


TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.I)


def test_no_template_has_inline_script_or_style():
    """Pages are served under a policy without 'unsafe-inline'. Emails are not
    pages: mail readers need their styles inline."""
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        if "email" not in path.parts
        for match in INLINE.finditer(path.read_text())
    ]
    assert offenders == []

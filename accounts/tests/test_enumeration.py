"""No door tells whether an address has an account (ACCOUNT_PREVENT_ENUMERATION)."""

from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from accounts.tests.test_auth_flow import SIGNUP

pytestmark = pytest.mark.django_db

UNKNOWN = "nobody-here@example.com"


def test_password_reset_page_answers_the_same_for_any_address(client, patient):
    url = reverse("account_reset_password")
    known = client.post(url, {"email": patient.email})
    unknown = client.post(url, {"email": UNKNOWN})
    assert known.status_code == unknown.status_code == HTTPStatus.FOUND
    assert known.url == unknown.url == reverse("account_reset_password_done")
    assert known.content == unknown.content
    # Only the real account gets mail.
    assert [message.to for message in mail.outbox] == [[patient.email]]


def test_password_reset_api_answers_the_same_for_any_address(client, patient):
    def request(email: str):
        return client.post(
            "/_allauth/app/v1/auth/password/request",
            {"email": email},
            content_type="application/json",
        )

    known, unknown = request(patient.email), request(UNKNOWN)
    assert known.status_code == unknown.status_code == HTTPStatus.OK
    assert known.json() == unknown.json()
    assert [message.to for message in mail.outbox] == [[patient.email]]


def test_signing_up_with_a_taken_address_looks_like_any_sign_up(client, patient):
    url = reverse("account_signup")
    taken = client.post(url, {**SIGNUP, "email": patient.email.upper()})
    new = client.post(url, SIGNUP)
    assert taken.status_code == new.status_code == HTTPStatus.FOUND
    assert taken.url == new.url
    assert User.objects.filter(email=patient.email).count() == 1
    # The owner hears that someone tried, and how to get back in.
    owner_mail = next(m for m in mail.outbox if m.to == [patient.email])
    assert "already" in owner_mail.body.lower()

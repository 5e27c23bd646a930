"""Login limits per account and address: brute force stops, nobody is locked out by
someone else's storm."""

from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed login attempts"
ATTACKER, OWNER = "198.51.100.66", "203.0.113.7"


@pytest.fixture
def victim():
    user = UserFactory(email="victim@example.com")
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    return user


def log_in(client, email: str, password: str, **extra):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, **extra
    )


def test_a_storm_for_made_up_accounts_does_not_lock_out_a_real_user(client, victim):
    for n in range(20):
        response = log_in(client, f"nobody{n}@example.com", "wrong")
        assert LOCKED not in response.content.decode()
    response = log_in(client, victim.email, DEFAULT_PASSWORD)
    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(victim.pk)


def test_wrong_passwords_from_one_address_leave_the_owner_elsewhere_alone(
    client, victim
):
    for _ in range(10):
        log_in(client, victim.email, "wrong", REMOTE_ADDR=ATTACKER)
    refused = log_in(client, victim.email, DEFAULT_PASSWORD, REMOTE_ADDR=ATTACKER)
    assert LOCKED in refused.content.decode()
    assert "_auth_user_id" not in client.session

    response = log_in(client, victim.email, DEFAULT_PASSWORD, REMOTE_ADDR=OWNER)
    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(victim.pk)


def test_brute_force_on_one_account_stops_whatever_the_forwarded_header_says(
    client, victim
):
    for n in range(5):
        log_in(client, victim.email, "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    response = log_in(
        client, victim.email, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99"
    )
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_behind_a_proxy_each_client_has_its_own_budget(client, victim, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(6):
        log_in(client, victim.email, "wrong", HTTP_X_FORWARDED_FOR=ATTACKER)
    locked = log_in(
        client, victim.email, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR=ATTACKER
    )
    assert LOCKED in locked.content.decode()
    # The same proxy (REMOTE_ADDR) forwards the owner: their own address counts.
    response = log_in(
        client, victim.email, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR=OWNER
    )
    assert response.status_code == HTTPStatus.FOUND


def test_one_address_spraying_many_accounts_is_stopped(one_rate_window, client, victim):
    statuses = [
        log_in(client, f"nobody{n}@example.com", "wrong").status_code for n in range(30)
    ]
    assert HTTPStatus.TOO_MANY_REQUESTS not in statuses
    assert log_in(client, "another@example.com", "wrong").status_code == (
        HTTPStatus.TOO_MANY_REQUESTS
    )
    # From another address the real user still gets in.
    response = log_in(client, victim.email, DEFAULT_PASSWORD, REMOTE_ADDR=OWNER)
    assert response.status_code == HTTPStatus.FOUND


def test_headless_login_has_the_same_limits(client, victim):
    url = "/_allauth/app/v1/auth/login"
    for _ in range(5):
        client.post(
            url,
            {"email": victim.email, "password": "wrong"},
            content_type="application/json",
            REMOTE_ADDR=ATTACKER,
        )
    refused = client.post(
        url,
        {"email": victim.email, "password": DEFAULT_PASSWORD},
        content_type="application/json",
        REMOTE_ADDR=ATTACKER,
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json()["errors"][0]["code"] == "too_many_login_attempts"
    allowed = client.post(
        url,
        {"email": victim.email, "password": DEFAULT_PASSWORD},
        content_type="application/json",
        REMOTE_ADDR=OWNER,
    )
    assert allowed.status_code == HTTPStatus.OK

"""The API's tokens come from allauth's headless API (app client, JWT strategy):
one account system for pages and API."""

import datetime as dt
import re
from http import HTTPStatus

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.models import Role, User

pytestmark = pytest.mark.django_db

AUTH = "/_allauth/app/v1"
ME = "/api/v1/me/"


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def log_in(client, email: str, password: str) -> dict:
    response = client.post(
        f"{AUTH}/auth/login",
        {"email": email, "password": password},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()["meta"]


def test_token_lifecycle_from_sign_up_to_logout(client):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        # Sign up over the API: same form fields and rules as the page.
        response = client.post(
            f"{AUTH}/auth/signup",
            {
                "email": "nia@example.com",
                "password": "a-long-enough-passphrase",
                "full_name": "Nia Okafor",
                "timezone": "Africa/Lagos",
            },
            content_type="application/json",
        )
        assert response.status_code == HTTPStatus.UNAUTHORIZED  # not verified yet
        body = response.json()
        pending = [
            flow["id"] for flow in body["data"]["flows"] if flow.get("is_pending")
        ]
        assert pending == ["verify_email"]
        session_token = body["meta"]["session_token"]
        user = User.objects.get(email="nia@example.com")
        assert user.full_name == "Nia Okafor"
        assert user.has_role(Role.PATIENT)

        # Verify by the key in the mailed link.
        (message,) = mail.outbox
        key = re.search(r"/accounts/confirm-email/([^/\s]+)/", message.body).group(1)
        response = client.post(
            f"{AUTH}/auth/email/verify",
            {"key": key},
            content_type="application/json",
            HTTP_X_SESSION_TOKEN=session_token,
        )
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.UNAUTHORIZED)

        tokens = log_in(client, "nia@example.com", "a-long-enough-passphrase")
        access, refresh = tokens["access_token"], tokens["refresh_token"]

        response = client.get(ME, **bearer(access))
        assert response.status_code == HTTPStatus.OK
        assert response.json()["email"] == "nia@example.com"

        # The access token lives 5 minutes.
        lifetime = settings.HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN
        assert lifetime == 300
        traveller.shift(dt.timedelta(seconds=lifetime + 1))
        response = client.get(ME, **bearer(access))
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json()["type"] == "client_error"

        # Refresh: a new access token and a new (rotated) refresh token.
        response = client.post(
            f"{AUTH}/tokens/refresh",
            {"refresh_token": refresh},
            content_type="application/json",
        )
        assert response.status_code == HTTPStatus.OK, response.content
        data = response.json()["data"]
        new_access, new_refresh = data["access_token"], data["refresh_token"]
        assert new_refresh != refresh
        assert client.get(ME, **bearer(new_access)).status_code == HTTPStatus.OK

        # The rotated-out refresh token is refused.
        response = client.post(
            f"{AUTH}/tokens/refresh",
            {"refresh_token": refresh},
            content_type="application/json",
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST

        # Logout ends the session: its tokens stop working at once.
        response = client.delete(f"{AUTH}/auth/session", **bearer(new_access))
        assert response.status_code == HTTPStatus.UNAUTHORIZED  # "now logged out"
        assert client.get(ME, **bearer(new_access)).status_code == (
            HTTPStatus.UNAUTHORIZED
        )
        response = client.post(
            f"{AUTH}/tokens/refresh",
            {"refresh_token": new_refresh},
            content_type="application/json",
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST


def test_login_is_refused_until_the_email_is_verified(client, patient, password):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(
        user=patient, email=patient.email, primary=True, verified=False
    )
    response = client.post(
        f"{AUTH}/auth/login",
        {"email": patient.email, "password": password},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "access_token" not in response.json().get("meta", {})


def test_sign_up_applies_the_password_rules_of_the_page(client):
    response = client.post(
        f"{AUTH}/auth/signup",
        {
            "email": "weak@example.com",
            "password": "123",
            "full_name": "Weak Password",
            "timezone": "UTC",
        },
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    params = {error["param"] for error in response.json()["errors"]}
    assert "password" in params
    assert not User.objects.filter(email="weak@example.com").exists()


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-jwt", "Bearer ", "Token abc", "Bearer a.b.c"],
)
def test_a_bad_token_is_401_in_the_api_error_shape(client, header):
    response = client.get(ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    body = response.json()
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] in {"authentication_failed", "not_authenticated"}


def test_a_token_signed_with_another_key_is_refused(client, patient):
    import jwt

    from clinic.jwt_key import generate_private_key_pem

    forged = jwt.encode(
        {
            "sub": str(patient.pk),
            "sid": "x",
            "jti": "y",
            "token_use": "access",
            "exp": int(timezone.now().timestamp()) + 60,
        },
        generate_private_key_pem(),
        algorithm="RS256",
    )
    assert client.get(ME, **bearer(forged)).status_code == HTTPStatus.UNAUTHORIZED


def test_production_settings_refuse_to_start_without_a_jwt_key():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"JWT_PRIVATE_KEY", "JWT_PRIVATE_KEY_FILE"}
    }
    env.update(DEBUG="false", SECRET_KEY="s" * 60)
    result = subprocess.run(
        [sys.executable, "-c", "import clinic.wsgi"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "JWT_PRIVATE_KEY" in result.stderr


def test_password_reset_over_the_api_mails_the_same_link(client, patient):
    response = client.post(
        f"{AUTH}/auth/password/request",
        {"email": patient.email},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.OK
    (message,) = mail.outbox
    assert "/accounts/password/reset/key/" in message.body


def test_failed_logins_hit_allauths_own_rate_limit(client, patient):
    """The page's limit (ACCOUNT_RATE_LIMITS "login_failed": 5 per 5 minutes per
    address) holds over the API too; allauth says so as the form error it shows."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(
        user=patient, email=patient.email, primary=True, verified=True
    )
    codes = []
    for _ in range(6):
        response = client.post(
            f"{AUTH}/auth/login",
            {"email": patient.email, "password": "wrong password"},
            content_type="application/json",
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        codes.append(response.json()["errors"][0]["code"])
    assert codes[0] == "email_password_mismatch"
    assert codes[-1] == "too_many_login_attempts"


def test_a_dev_key_is_generated_once_and_kept(tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    from clinic import jwt_key

    path = tmp_path / "jwt_private_key.pem"
    first = jwt_key.read_or_create(path)
    assert jwt_key.read_or_create(path) == first
    assert path.stat().st_mode & 0o777 == 0o600
    jwt_key.check(first)
    with pytest.raises(ImproperlyConfigured):
        jwt_key.check("not a key")


def refresh_with(client, refresh_token: str):
    return client.post(
        f"{AUTH}/tokens/refresh",
        {"refresh_token": refresh_token},
        content_type="application/json",
    )


def verified(user):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(
        user=user, email=user.email, primary=True, verified=True
    )
    return user


def test_a_refresh_token_lives_30_days_and_keeps_its_session(client, patient, password):
    assert settings.HEADLESS_JWT_REFRESH_TOKEN_EXPIRES_IN == 30 * 24 * 60 * 60
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        refresh = log_in(client, verified(patient).email, password)["refresh_token"]
        # Past Django's two-week session age: the session lives as long.
        traveller.shift(dt.timedelta(days=29))
        response = refresh_with(client, refresh)
        assert response.status_code == HTTPStatus.OK, response.content
        access = response.json()["data"]["access_token"]
        assert client.get(ME, **bearer(access)).status_code == HTTPStatus.OK
        # Each refresh starts 30 days anew; a month without one signs out.
        refresh = response.json()["data"]["refresh_token"]
        traveller.shift(dt.timedelta(days=29))
        refresh = refresh_with(client, refresh).json()["data"]["refresh_token"]
        traveller.shift(dt.timedelta(days=30, seconds=1))
        assert refresh_with(client, refresh).status_code == HTTPStatus.BAD_REQUEST


def test_reusing_a_rotated_refresh_token_revokes_the_session(client, patient, password):
    tokens = log_in(client, verified(patient).email, password)
    stolen = tokens["refresh_token"]
    data = refresh_with(client, stolen).json()["data"]  # the app rotates it
    assert client.get(ME, **bearer(data["access_token"])).status_code == 200
    # The rotated-out token comes back (a thief's copy): refused, and the
    # session ends, so the tokens it was exchanged for stop working too.
    assert refresh_with(client, stolen).status_code == HTTPStatus.BAD_REQUEST
    assert client.get(ME, **bearer(data["access_token"])).status_code == 401
    assert refresh_with(client, data["refresh_token"]).status_code == 400
    # Another session of the same user is untouched.
    other = log_in(client, patient.email, password)
    assert client.get(ME, **bearer(other["access_token"])).status_code == 200

"""Helpers for two-factor sign-in in tests: an authenticator app for a user, its
current code (RFC 6238, computed here rather than by allauth, so the tests check
allauth's side), and a sign-in through the real pages: password, then code."""

import base64
import hashlib
import hmac
import struct
import time
from http import HTTPStatus

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import reverse

from .factories import DEFAULT_PASSWORD


def enable_totp(user) -> str:
    """Give `user` an authenticator app, as activating one on the page does;
    returns its secret (what the QR code carries)."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, at: float | None = None) -> str:
    """The 6-digit code an authenticator app shows for `secret` now (30 s steps)."""
    counter = int(time.time() if at is None else at) // 30
    digest = hmac.new(
        base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def log_in_with_mfa(client: Client, user, secret: str | None = None) -> Client:
    """Sign `user` in on the log-in page with their password, then the code from
    their authenticator (`secret`, or the one StaffFactory gave them)."""
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND, response.content
    assert response.url == reverse("mfa_authenticate"), response.url
    # A code about to roll over may be checked in the next 30 s step (a slow
    # machine): wait for the new step first.
    if (left := 30 - time.time() % 30) < 5:
        time.sleep(left)
    code = totp_code(secret or user.totp_secret)
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == HTTPStatus.FOUND, response.content
    assert client.session["_auth_user_id"] == str(user.pk)
    # Land where the log-in leads, as a person does (the role's start page, which
    # shows "You are logged in").
    client.get(response.url, follow=True)
    return client

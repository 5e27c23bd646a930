"""Helpers for API tests: a real JWT access token for a user, from allauth's
headless login (the way a mobile app gets one)."""

from http import HTTPStatus

from allauth.account.models import EmailAddress
from django.test import Client

from .factories import DEFAULT_PASSWORD
from .mfa import totp_code


def access_token(user, client: Client | None = None) -> str:
    """Log `user` in over /_allauth/app/v1/auth/login (with their authenticator's
    code when they have one) and return the access token."""
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    client = client or Client()
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )
    if hasattr(user, "totp_secret"):  # staff: then the authenticator's code
        assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content
        response = client.post(
            "/_allauth/app/v1/auth/2fa/authenticate",
            {"code": totp_code(user.totp_secret)},
            content_type="application/json",
            HTTP_X_SESSION_TOKEN=response.json()["meta"]["session_token"],
        )
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()["meta"]["access_token"]


class ApiClient(Client):
    """A test client that sends `Authorization: Bearer <token>` for `user`, and JSON
    bodies by default."""

    def __init__(self, user=None, **defaults):
        super().__init__(**defaults)
        if user is not None:
            self.defaults["HTTP_AUTHORIZATION"] = f"Bearer {access_token(user)}"

    def post(self, path, data=None, content_type="application/json", **extra):
        return super().post(path, data, content_type=content_type, **extra)

    def put(self, path, data="", content_type="application/json", **extra):
        return super().put(path, data, content_type=content_type, **extra)

    def patch(self, path, data="", content_type="application/json", **extra):
        return super().patch(path, data, content_type=content_type, **extra)

    def delete(self, path, data="", content_type="application/json", **extra):
        return super().delete(path, data, content_type=content_type, **extra)

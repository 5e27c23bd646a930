"""/api/v1/me/: the profile page's form and avatar checks behind JSON."""

import io
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.tests.api import ApiClient

pytestmark = pytest.mark.django_db


def png(size=(64, 64)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    return SimpleUploadedFile("me.png", buffer.getvalue(), content_type="image/png")


def test_anonymous_is_401(client):
    assert client.get("/api/v1/me/").status_code == HTTPStatus.UNAUTHORIZED
    assert client.post("/api/v1/me/avatar/").status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize("who", ["patient", "doctor", "staff"])
def test_everyone_reads_their_own_profile(request, who):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    body = ApiClient(user).get("/api/v1/me/").json()
    assert body["email"] == user.email
    expected = {"patient": "patient", "doctor": "doctor", "staff": "staff"}[who]
    assert expected in body["roles"]


def test_patch_uses_the_profile_forms_rules(patient):
    api = ApiClient(patient)
    response = api.patch(
        "/api/v1/me/", {"full_name": "  Pat   Newname ", "timezone": "Asia/Tokyo"}
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json()["full_name"] == "Pat Newname"  # the form's clean_
    patient.refresh_from_db()
    assert patient.timezone == "Asia/Tokyo"

    response = api.patch("/api/v1/me/", {"phone": "call me", "timezone": "Mars/Base"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    errors = {e["attr"]: e["code"] for e in response.json()["errors"]}
    assert errors["phone"] == "invalid_phone"
    assert "timezone" in errors
    patient.refresh_from_db()
    assert patient.phone == ""


def test_put_needs_every_field(patient):
    response = ApiClient(patient).put("/api/v1/me/", {"phone": "+49 30 123456"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert {e["attr"] for e in response.json()["errors"]} >= {"full_name", "timezone"}


def test_the_email_cannot_be_changed_here(patient):
    ApiClient(patient).patch("/api/v1/me/", {"email": "new@example.com"})
    patient.refresh_from_db()
    assert patient.email != "new@example.com"


def test_avatar_upload_and_remove(patient):
    api = ApiClient(patient)
    response = api.generic(
        "POST", "/api/v1/me/avatar/", **_multipart({"avatar": png()})
    )
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["avatar"].endswith(".webp")  # re-encoded, as on the page
    assert body["avatar_thumbnail"]
    assert api.delete("/api/v1/me/avatar/").status_code == HTTPStatus.NO_CONTENT
    patient.refresh_from_db()
    assert not patient.avatar


def test_a_file_that_is_not_an_image_is_400(patient):
    fake = SimpleUploadedFile("me.png", b"<?php evil(); ?>", content_type="image/png")
    response = ApiClient(patient).generic(
        "POST", "/api/v1/me/avatar/", **_multipart({"avatar": fake})
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    (error,) = response.json()["errors"]
    assert (error["attr"], error["code"]) == ("avatar", "invalid_image")


def test_an_avatar_post_without_a_file_is_400(patient):
    response = ApiClient(patient).generic(
        "POST", "/api/v1/me/avatar/", **_multipart({})
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST


def _multipart(data: dict) -> dict:
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return {"data": encode_multipart(BOUNDARY, data), "content_type": MULTIPART_CONTENT}

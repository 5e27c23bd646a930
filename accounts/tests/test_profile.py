import datetime
import io
from http import HTTPStatus

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.tests.test_images import exif_with_gps, picture

pytestmark = pytest.mark.django_db

# Rate-limit tests run with the clock stopped, so no window boundary falls inside.
FROZEN = datetime.datetime(2026, 3, 2, 9, 0, 30, tzinfo=datetime.UTC)

URL = reverse("accounts:profile")


def details(**overrides) -> dict:
    return {
        "full_name": "Pat Patient",
        "phone": "+49 30 1234567",
        "date_of_birth": "1990-04-01",
        "timezone": "Europe/Berlin",
        **overrides,
    }


def upload_avatar(client, upload=None):
    return client.post(URL, {**details(), "avatar": upload or picture()})


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in (URL, reverse("accounts:remove_avatar")):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND
        assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["patient_client", "doctor_client", "staff_client"])
def test_every_signed_in_user_sees_their_own_profile_form(request, who):
    client = request.getfixturevalue(who)
    response = client.get(URL)
    assert response.status_code == HTTPStatus.OK
    assert b'name="full_name"' in response.content
    assert b"Save profile" in response.content


def test_saving_details_shows_a_message(patient_client, patient):
    response = patient_client.post(
        URL, details(full_name="  Pat   Jones "), follow=True
    )

    patient.refresh_from_db()
    assert patient.full_name == "Pat Jones"
    assert patient.phone == "+49 30 1234567"
    assert patient.date_of_birth == datetime.date(1990, 4, 1)
    assert patient.timezone == "Europe/Berlin"
    assert "Your profile was saved." in response.content.decode()


def test_errors_are_shown_next_to_the_field_and_the_input_is_kept(
    patient_client, patient
):
    response = patient_client.post(
        URL, details(phone="call me maybe", timezone="Mars/Olympus", full_name="Pat Q")
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    form = response.context["form"]
    assert "phone" in form.errors and "timezone" in form.errors
    assert 'value="call me maybe"' in response.content.decode()
    assert 'value="Pat Q"' in response.content.decode()
    patient.refresh_from_db()
    assert patient.full_name == "Pat Patient"


def test_a_date_of_birth_in_the_future_is_refused(patient_client):
    response = patient_client.post(URL, details(date_of_birth="2999-01-01"))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "date_of_birth" in response.context["form"].errors


def test_uploading_a_picture_stores_a_re_encoded_copy_and_a_thumbnail(
    patient_client, patient
):
    response = upload_avatar(patient_client, picture(exif=exif_with_gps()))

    assert response.status_code == HTTPStatus.FOUND
    patient.refresh_from_db()
    assert patient.avatar.name.startswith("avatars/")
    assert patient.avatar.name.endswith(".webp")
    assert "photo" not in patient.avatar.name  # never the uploaded name
    with patient.avatar.open("rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
        assert image.format == "WEBP"
        assert not image.getexif()  # EXIF, GPS included, is gone
    with patient.avatar_thumbnail.open("rb") as stored:
        thumbnail = Image.open(io.BytesIO(stored.read()))
        assert thumbnail.size[0] == thumbnail.size[1]


def test_replacing_a_picture_deletes_the_old_files(
    patient_client, patient, django_capture_on_commit_callbacks
):
    upload_avatar(patient_client)
    patient.refresh_from_db()
    old_avatar, old_thumbnail = patient.avatar.name, patient.avatar_thumbnail.name
    storage = patient.avatar.storage

    with django_capture_on_commit_callbacks(execute=True):
        upload_avatar(patient_client, picture(fmt="PNG", name="new.png"))

    patient.refresh_from_db()
    assert patient.avatar.name != old_avatar
    assert storage.exists(patient.avatar.name)
    assert not storage.exists(old_avatar)
    assert not storage.exists(old_thumbnail)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("notes.jpg", b"not an image", "image/jpeg"),
            "This file is not one.",
        ),
        (
            picture(size=(4500, 4500), fmt="PNG", mode="1", name="bomb.png"),
            "larger than 4000×4000 pixels",
        ),
        (
            SimpleUploadedFile("huge.jpg", b"0" * (5 * 1024 * 1024 + 1)),
            "larger than 5 MB",
        ),
    ],
    ids=["text-renamed-jpg", "decompression-bomb", "over-5-mb"],
)
def test_a_bad_file_gets_a_field_error_and_the_old_picture_stays(
    patient_client, patient, upload, message
):
    upload_avatar(patient_client)
    patient.refresh_from_db()
    old_avatar = patient.avatar.name

    upload.seek(0)
    response = patient_client.post(
        URL, {**details(full_name="Pat Kept"), "avatar": upload}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in " ".join(response.context["form"].errors["avatar"])
    assert message in response.content.decode()
    assert 'value="Pat Kept"' in response.content.decode()
    patient.refresh_from_db()
    assert patient.avatar.name == old_avatar
    assert patient.avatar.storage.exists(old_avatar)


def test_removing_the_picture_asks_first_then_deletes_it(
    patient_client, patient, django_capture_on_commit_callbacks
):
    upload_avatar(patient_client)
    patient.refresh_from_db()
    old_avatar = patient.avatar.name
    url = reverse("accounts:remove_avatar")

    page = patient_client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert b"btn-outline-danger" in page.content
    patient.refresh_from_db()
    assert patient.avatar  # a GET changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post(url, follow=True)

    patient.refresh_from_db()
    assert not patient.avatar and not patient.avatar_thumbnail
    assert not patient.avatar.storage.exists(old_avatar)
    assert "Your profile picture was removed." in response.content.decode()


@time_machine.travel(FROZEN, tick=False)  # one rate-limit window
def test_the_profile_form_is_rate_limited(one_rate_window, patient_client):
    for _ in range(20):
        patient_client.post(URL, details())
    response = patient_client.post(URL, details())
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS

import io
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from PIL import Image

from accounts.tests.factories import UserFactory
from accounts.tests.test_images import exif_with_gps, picture

pytestmark = pytest.mark.django_db


def change_form_data(user, **overrides) -> dict:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "phone": "",
        "date_of_birth": "",
        "timezone": user.timezone,
        "is_active": "on",
        "groups": [group.pk for group in user.groups.all()],
        **overrides,
    }


@pytest.fixture
def superuser_client(admin_client):
    return admin_client


def test_an_avatar_uploaded_in_admin_is_re_encoded_with_a_thumbnail(
    superuser_client, patient, django_capture_on_commit_callbacks
):
    url = reverse("admin:accounts_user_change", args=[patient.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(
            url,
            change_form_data(patient, avatar=picture(exif=exif_with_gps())),
        )
    assert response.status_code == HTTPStatus.FOUND, response.context["errors"]
    patient.refresh_from_db()
    assert patient.avatar.name.endswith(".webp")
    assert patient.avatar_thumbnail
    with patient.avatar.open("rb") as stored:
        assert not Image.open(io.BytesIO(stored.read())).getexif()
    old = patient.avatar.name

    with django_capture_on_commit_callbacks(execute=True):
        superuser_client.post(url, change_form_data(patient, **{"avatar-clear": "on"}))
    patient.refresh_from_db()
    assert not patient.avatar and not patient.avatar_thumbnail
    assert not patient.avatar.storage.exists(old)


def test_a_bad_file_in_admin_is_a_field_error(superuser_client, patient):
    url = reverse("admin:accounts_user_change", args=[patient.pk])
    bad = io.BytesIO(b"not a picture")
    bad.name = "x.jpg"
    response = superuser_client.post(url, change_form_data(patient, avatar=bad))
    assert response.status_code == HTTPStatus.OK
    assert "avatar" in response.context["adminform"].form.errors


def test_new_users_made_in_admin_are_patients(superuser_client):
    superuser_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new@example.com",
            "full_name": "New Person",
            "password1": "a-long-test-password-42",
            "password2": "a-long-test-password-42",
            "usable_password": "true",
        },
    )
    user = UserFactory._meta.model.objects.get(email="new@example.com")
    assert Group.objects.get(name="Patients") in user.groups.all()


def test_clinic_staff_cannot_raise_anyones_privileges(staff_client, staff, patient):
    """Staff edit patients' details (the front desk needs it), never who may do
    what: that would let them make themselves superusers."""
    staff_group = Group.objects.get(name="Clinic staff")
    for target in (staff, patient):
        url = reverse("admin:accounts_user_change", args=[target.pk])
        data = change_form_data(
            target,
            full_name="Renamed",
            is_staff="on",
            is_superuser="on",
            groups=[staff_group.pk],
        )
        response = staff_client.post(url, data)
        assert response.status_code == HTTPStatus.FOUND, response.content
        target.refresh_from_db()
        assert target.full_name == "Renamed"
        assert not target.is_superuser
    assert not patient.is_staff
    assert staff_group not in patient.groups.all()


def test_a_superuser_still_grants_privileges(superuser_client, patient):
    url = reverse("admin:accounts_user_change", args=[patient.pk])
    superuser_client.post(url, change_form_data(patient, is_staff="on"))
    patient.refresh_from_db()
    assert patient.is_staff

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts import services
from accounts.forms import ProfileForm

pytestmark = pytest.mark.django_db


def give_avatar(user) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(buffer, format="PNG")
    upload = SimpleUploadedFile("me.png", buffer.getvalue(), content_type="image/png")
    data = {"full_name": user.full_name, "timezone": user.timezone}
    form = ProfileForm(data=data, files={"avatar": upload}, instance=user)
    assert form.is_valid(), form.errors
    form.save()


def test_removing_the_avatar_clears_it_and_deletes_the_files_on_commit(
    patient, django_capture_on_commit_callbacks
):
    give_avatar(patient)
    files = [patient.avatar.name, patient.avatar_thumbnail.name]
    storage = patient.avatar.storage
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.remove_avatar(user=patient) is True
        assert all(storage.exists(name) for name in files)  # not before the commit
    for callback in callbacks:
        callback()
    patient.refresh_from_db()
    assert not patient.avatar and not patient.avatar_thumbnail
    assert not any(storage.exists(name) for name in files)


def test_removing_no_avatar_is_a_no_op(patient):
    assert services.remove_avatar(user=patient) is False

"""A patient's data rights end to end: the export (page and API), closing the
account (page and API), and the log of staff views of their records."""

import datetime as dt
import io
import json
import zipfile
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from PIL import Image

from accounts.forms import replace_avatar
from accounts.images import process_avatar
from accounts.models import AccessLog, User
from accounts.tests.api import ApiClient
from accounts.tests.factories import DEFAULT_PASSWORD, StaffFactory
from accounts.tests.mfa import enable_totp, log_in_with_mfa
from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory, SlotFactory
from doctors import services as doctor_services
from doctors.models import DoctorProfile, Follow
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification
from notifications.tests.factories import NotificationFactory
from reviews.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db

Status = Appointment.Status


def at(hours: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0)


def visit(patient, doctor, hours: float, **fields) -> Appointment:
    start = at(hours)
    slot = SlotFactory(
        doctor=doctor,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        is_booked=True,
    )
    return AppointmentFactory(slot=slot, patient=patient, **fields)


def with_avatar(user) -> User:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), "teal").save(buffer, format="JPEG")
    upload = SimpleUploadedFile("me.jpg", buffer.getvalue(), "image/jpeg")
    replace_avatar(user, process_avatar(upload))
    user.save()
    return user


@pytest.fixture
def history(patient, doctor):
    """A patient with a bit of everything: a past visit they reviewed, one to
    come, a follow, a notification, a picture and a verified address."""
    EmailAddress.objects.create(
        user=patient, email=patient.email, verified=True, primary=True
    )
    past = visit(patient, doctor, -72, status=Status.COMPLETED, reason="Migraines")
    review = ReviewFactory(appointment=past, comment="Listened carefully.")
    upcoming = visit(patient, doctor, 72, reason="Follow-up on migraines")
    doctor_services.follow(patient=patient, doctor=doctor)
    NotificationFactory(recipient=patient, message="Your visit is confirmed.")
    with_avatar(patient)
    return {"past": past, "review": review, "upcoming": upcoming}


def unzip(response) -> dict[str, bytes]:
    assert response["Content-Type"] == "application/zip"
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def check_export(files: dict[str, bytes], patient, history) -> None:
    data = json.loads(files["data.json"])
    assert data["account"]["email"] == patient.email
    assert data["account"]["full_name"] == patient.full_name
    assert [a["reason"] for a in data["appointments"]] == [
        "Migraines",
        "Follow-up on migraines",
    ]
    assert data["reviews"][0]["comment"] == "Listened carefully."
    assert data["following"][0]["doctor"] == history["past"].doctor.display_name
    assert any(
        n["message"] == "Your visit is confirmed." for n in data["notifications"]
    )
    assert data["email_addresses"] == [
        {"email": patient.email, "verified": True, "primary": True}
    ]
    events = Calendar.from_ical(files["appointments.ics"]).walk("VEVENT")
    assert len(events) == 2
    (picture,) = [name for name in files if name.startswith("avatar/")]
    assert Image.open(io.BytesIO(files[picture])).format == "WEBP"


def test_a_patient_downloads_everything_from_their_profile(
    patient_client, patient, history
):
    profile = patient_client.get(reverse("accounts:profile"))
    assert reverse("privacy:export") in profile.content.decode()

    response = patient_client.post(reverse("privacy:export"))

    assert response.status_code == HTTPStatus.OK
    assert "attachment" in response["Content-Disposition"]
    check_export(unzip(response), patient, history)


def test_the_api_gives_the_same_export(patient, history):
    response = ApiClient(patient).post("/api/v1/me/export/")
    assert response.status_code == HTTPStatus.OK
    check_export(unzip(response), patient, history)


def test_the_export_holds_only_my_data(patient_client, patient, other_patient, doctor):
    visit(other_patient, doctor, 48, reason="Someone else's reason")
    files = unzip(patient_client.post(reverse("privacy:export")))
    assert b"Someone else" not in files["data.json"]
    assert json.loads(files["data.json"])["appointments"] == []


def test_export_needs_login_and_a_post(patient_client):
    response = Client().post(reverse("privacy:export"))
    assert response.status_code == HTTPStatus.FOUND
    assert reverse("account_login") in response.url
    assert patient_client.get(reverse("privacy:export")).status_code == 405
    assert ApiClient().post("/api/v1/me/export/").status_code == 401


# --- closing the account -------------------------------------------------------------


def test_closing_the_account_from_the_page(
    client, patient, doctor, history, django_capture_on_commit_callbacks
):
    client.force_login(patient)
    avatar_name = patient.avatar.name
    storage = patient.avatar.storage
    page = client.get(reverse("privacy:close"))
    assert page.status_code == HTTPStatus.OK
    assert "Close your account" in page.content.decode()

    wrong = client.post(reverse("privacy:close"), {"password": "not it"})
    assert wrong.status_code == HTTPStatus.BAD_REQUEST
    assert "That is not your password." in wrong.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy:close"), {"password": DEFAULT_PASSWORD})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("home")
    assert "_auth_user_id" not in client.session  # logged out

    patient.refresh_from_db()
    # Personal fields erased, the row kept and switched off.
    assert patient.full_name == patient.phone == ""
    assert patient.date_of_birth is None
    assert not patient.avatar and not patient.avatar_thumbnail
    assert not storage.exists(avatar_name)
    assert patient.email.endswith("@invalid.example")
    assert not patient.is_active and not patient.has_usable_password()
    assert patient.erased_at is not None
    assert not EmailAddress.objects.filter(user=patient).exists()
    assert not Notification.objects.filter(recipient=patient).exists()
    # The visit to come is cancelled and the doctor told; the past one is kept.
    upcoming, past = history["upcoming"], history["past"]
    upcoming.refresh_from_db()
    assert upcoming.status == Status.CANCELLED
    assert Notification.objects.filter(
        recipient=doctor.user, kind=Notification.Kind.APPOINTMENT_CANCELLED
    ).exists()
    past.refresh_from_db()
    assert past.status == Status.COMPLETED and past.patient_id == patient.pk
    # Follows undone, with the counter.
    assert not Follow.objects.filter(patient=patient).exists()
    assert DoctorProfile.objects.get(pk=doctor.pk).followers_count == 0
    # The review stays, as "Former patient".
    reviews = client.get(reverse("reviews:doctor_reviews", args=[doctor.slug]))
    assert "Former patient" in reviews.content.decode()
    assert "Listened carefully." in reviews.content.decode()
    # And nobody can log in as them.
    assert not client.login(email=patient.email, password=DEFAULT_PASSWORD)


def test_closing_over_the_api_ends_its_tokens(patient, doctor):
    upcoming = visit(patient, doctor, 48)
    api = ApiClient(patient)
    wrong = api.post("/api/v1/me/close/", {"password": "nope"})
    assert wrong.status_code == HTTPStatus.BAD_REQUEST
    assert wrong.json()["errors"][0]["attr"] == "password"

    response = api.post("/api/v1/me/close/", {"password": DEFAULT_PASSWORD})

    assert response.status_code == HTTPStatus.NO_CONTENT
    upcoming.refresh_from_db()
    assert upcoming.status == Status.CANCELLED
    assert api.get("/api/v1/me/").status_code == HTTPStatus.UNAUTHORIZED


def test_a_visit_too_close_to_cancel_keeps_the_account_open(
    patient_client, patient, doctor
):
    soon = visit(patient, doctor, 1, status=Status.CONFIRMED)
    later = visit(patient, DoctorProfileFactory(), 48)

    response = patient_client.post(
        reverse("privacy:close"), {"password": DEFAULT_PASSWORD}
    )

    assert response.status_code == HTTPStatus.CONFLICT
    assert "can no longer be cancelled online" in response.content.decode()
    patient.refresh_from_db()
    assert patient.is_active and patient.full_name == "Pat Patient"
    later.refresh_from_db()
    assert later.status == Status.PENDING  # nothing half-done
    soon.refresh_from_db()
    assert soon.status == Status.CONFIRMED


@pytest.mark.parametrize("who", ["doctor", "staff"])
def test_doctors_and_staff_cannot_close_their_account_here(client, doctor, who):
    user = doctor.user if who == "doctor" else StaffFactory()
    client.force_login(user)
    response = client.post(reverse("privacy:close"), {"password": DEFAULT_PASSWORD})
    assert response.status_code == HTTPStatus.CONFLICT
    user.refresh_from_db()
    assert user.is_active and user.erased_at is None

    api = ApiClient(user).post("/api/v1/me/close/", {"password": DEFAULT_PASSWORD})
    assert api.status_code == HTTPStatus.CONFLICT
    assert api.json()["errors"][0]["code"] == "account_cannot_close"


def test_close_page_needs_login(client):
    response = client.get(reverse("privacy:close"))
    assert response.status_code == HTTPStatus.FOUND


# --- staff views of patients' records ------------------------------------------------


def signed_in_with_mfa(client, user):
    """The admin asks staff for their second factor: sign in as they do."""
    secret = getattr(user, "totp_secret", None) or enable_totp(user)
    return log_in_with_mfa(client, user, secret)


def superuser() -> User:
    return User.objects.create_superuser(
        email="root@example.com", password=DEFAULT_PASSWORD, full_name="Root"
    )


def staff_with_appointment_access():
    from django.contrib.auth.models import Permission

    staff = StaffFactory()
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="appointments")
    )
    return staff


def test_staff_opening_appointments_in_admin_is_logged(client, patient, other_patient):
    mine = AppointmentFactory(patient=patient)
    AppointmentFactory(patient=other_patient)
    staff = staff_with_appointment_access()
    signed_in_with_mfa(client, staff)

    listing = client.get("/admin/appointments/appointment/")
    assert listing.status_code == HTTPStatus.OK
    listed = AccessLog.objects.filter(action=AccessLog.Action.LIST, actor=staff)
    assert set(listed.values_list("patient", flat=True)) == {
        patient.pk,
        other_patient.pk,
    }

    opened = client.get(f"/admin/appointments/appointment/{mine.pk}/change/")
    assert opened.status_code == HTTPStatus.OK
    log = AccessLog.objects.get(action=AccessLog.Action.VIEW)
    assert (log.actor, log.patient, log.record, log.record_id) == (
        staff,
        patient,
        "appointments.appointment",
        str(mine.pk),
    )
    assert log.path == f"/admin/appointments/appointment/{mine.pk}/change/"
    # A patient sees it in their export.
    client.force_login(patient)
    data = json.loads(unzip(client.post(reverse("privacy:export")))["data.json"])
    assert {v["by"] for v in data["record_views_by_staff"]} == {staff.full_name}


def test_the_log_is_for_superusers_only_and_read_only(client):
    staff = staff_with_appointment_access()
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(
        *Permission.objects.filter(codename__endswith="accesslog")
    )
    AccessLog.objects.create(actor=staff, action="view", record="x", path="/")
    signed_in_with_mfa(client, staff)
    assert client.get("/admin/accounts/accesslog/").status_code == 403

    client.logout()
    signed_in_with_mfa(client, superuser())
    listing = client.get("/admin/accounts/accesslog/")
    assert listing.status_code == HTTPStatus.OK
    assert staff.email in listing.content.decode() or str(staff) in (
        listing.content.decode()
    )
    assert client.get("/admin/accounts/accesslog/add/").status_code == 403
    log = AccessLog.objects.first()
    detail = client.get(f"/admin/accounts/accesslog/{log.pk}/change/")
    assert detail.status_code == HTTPStatus.OK
    assert b'name="_save"' not in detail.content  # nothing to save
    deleted = client.post(
        f"/admin/accounts/accesslog/{log.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert AccessLog.objects.filter(pk=log.pk).exists()

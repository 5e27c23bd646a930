"""Where each role lands after logging in, and `next` winning over it."""

from http import HTTPStatus
from urllib.parse import quote, urlencode

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DEFAULT_PASSWORD, StaffFactory
from accounts.tests.mfa import totp_code
from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

TODAY = reverse("appointments:doctor_list") + "?tab=today"
DESK = reverse("admin:appointments_appointment_desk")


def log_in(client, user, next_url: str = "") -> str:
    """Log in on the page as a person does; where the browser goes next."""
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    url = reverse("account_login") + (f"?next={quote(next_url)}" if next_url else "")
    response = client.post(url, {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == HTTPStatus.FOUND, response.content
    if response.url == reverse("mfa_authenticate"):
        response = client.post(response.url, {"code": totp_code(user.totp_secret)})
        assert response.status_code == HTTPStatus.FOUND
    if response.url == reverse("landing"):
        response = client.get(response.url)
        assert response.status_code == HTTPStatus.FOUND
    return response.url


def test_a_patient_without_upcoming_visits_lands_on_the_directory(client, patient):
    assert log_in(client, patient) == reverse("doctors:list")


def test_a_patient_with_only_past_or_cancelled_visits_lands_on_the_directory(
    client, patient
):
    AppointmentFactory(patient=patient, status=Appointment.Status.CANCELLED)
    past = AppointmentFactory(patient=patient, status=Appointment.Status.CONFIRMED)
    Appointment.objects.filter(pk=past.pk).update(
        starts_at=timezone.now() - timezone.timedelta(days=2),
        ends_at=timezone.now() - timezone.timedelta(days=2, minutes=-30),
    )
    assert log_in(client, patient) == reverse("doctors:list")


def test_a_patient_with_an_upcoming_visit_lands_on_their_appointments(client, patient):
    AppointmentFactory(patient=patient)
    assert log_in(client, patient) == reverse("appointments:list")


def test_a_doctor_lands_on_todays_agenda(client, doctor):
    assert log_in(client, doctor.user) == TODAY


def test_a_pending_applicant_is_a_patient_still(client):
    from doctors.models import DoctorProfile
    from doctors.tests.factories import DoctorProfileFactory

    applicant = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    assert log_in(client, applicant.user) == reverse("doctors:list")


def test_clinic_staff_land_on_the_front_desk(client, staff):
    assert log_in(client, staff) == DESK
    assert client.get(DESK).status_code == HTTPStatus.OK


def test_staff_who_may_not_work_the_desk_land_on_the_admin_index(client):
    superuser = StaffFactory(is_superuser=True)
    superuser.groups.clear()
    assert log_in(client, superuser) == DESK  # a superuser holds every permission
    other = StaffFactory()
    other.groups.clear()
    assert log_in(client.__class__(), other) == reverse("admin:index")


@pytest.mark.parametrize("who", ["patient", "doctor", "staff"])
def test_next_wins_over_the_landing(client, who, request):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    wanted = reverse("notifications:settings")
    assert log_in(client, user, next_url=wanted) == wanted


def test_next_to_another_site_is_ignored(client, patient):
    assert log_in(client, patient, "https://evil.example.com/") == reverse(
        "doctors:list"
    )


def test_the_landing_page_needs_a_login(client):
    response = client.get(reverse("landing"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_signed_in_people_may_open_the_landing_page_again(client, doctor):
    client.force_login(doctor.user)
    response = client.get(reverse("landing"))
    assert response.url == TODAY


def test_a_new_patient_signing_up_with_next_gets_it_in_the_confirmation_link(
    client, mailoutbox
):
    """Sign-up keeps the time picked before it: the email's link carries `next`,
    confirming goes there (and a log-in from there returns to it)."""
    wanted = "/doctors/ada-lee/?slot=42"
    response = client.post(
        reverse("account_signup") + "?next=" + quote(wanted),
        {
            "full_name": "Grace Hopper",
            "email": "grace@example.com",
            "password1": DEFAULT_PASSWORD,
            "password2": DEFAULT_PASSWORD,
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    [email] = mailoutbox
    link = next(word for word in email.body.split() if "/confirm-email/" in word)
    assert link.endswith("?" + urlencode({"next": wanted}))
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == HTTPStatus.OK
    assert f'value="{wanted}"' in page.content.decode().replace("&amp;", "&")
    response = client.post("/" + path.split("?")[0], {"next": wanted})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == wanted
    assert EmailAddress.objects.get(email="grace@example.com").verified


def test_a_sign_up_without_next_mails_a_plain_confirmation_link(client, mailoutbox):
    client.post(
        reverse("account_signup"),
        {
            "full_name": "Grace Hopper",
            "email": "grace@example.com",
            "password1": DEFAULT_PASSWORD,
            "password2": DEFAULT_PASSWORD,
        },
    )
    [email] = mailoutbox
    link = next(word for word in email.body.split() if "/confirm-email/" in word)
    assert "next=" not in link

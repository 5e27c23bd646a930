"""A patient the front desk registered (no usable password, maybe no email)
claims the account by signing up or by resetting the password with its address."""

import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from notifications.services import notify

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-42"


@pytest.fixture
def unclaimed(db):
    return services.register_patient(
        full_name="Ray Caller", phone="0151 2345678", email="Ray@Example.com"
    )


def test_the_desk_registers_a_patient_who_cannot_log_in_yet(unclaimed):
    assert unclaimed.email == "ray@example.com"
    assert not unclaimed.has_usable_password()
    assert unclaimed.has_role(Role.PATIENT)
    assert list(User.objects.unclaimed()) == [unclaimed]
    assert authenticate(username="ray@example.com", password="") is None


def test_many_patients_may_have_no_email_but_no_two_the_same(db):
    first = services.register_patient(full_name="A One", phone="0151 111111")
    second = services.register_patient(full_name="B Two", phone="0151 222222", email="")
    assert first.email is None and second.email is None
    with pytest.raises(services.EmailTaken):
        services.register_patient(
            full_name="C Three", phone="0151 333333", email=UserFactory().email.upper()
        )


def test_an_account_without_email_is_never_found_by_an_empty_login(db):
    services.register_patient(full_name="A One", phone="0151 111111")
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key(None)
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key("")


def test_a_patient_without_email_gets_the_inbox_but_no_mail(
    db, django_capture_on_commit_callbacks
):
    caller = services.register_patient(full_name="A One", phone="0151 111111")
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=caller, kind="appointment_booked", message="Booked")
    assert caller.notifications.count() == 1
    assert mail.outbox == []


def test_signing_up_with_the_address_claims_the_account(client, unclaimed):
    response = client.post(
        reverse("account_signup"),
        {
            "full_name": "Raymond Caller",
            "email": "ray@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "timezone": "Europe/Berlin",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert User.objects.count() == 1  # no second account
    unclaimed.refresh_from_db()
    assert unclaimed.check_password(PASSWORD)
    assert unclaimed.full_name == "Raymond Caller"
    assert unclaimed.phone == "0151 2345678"  # what the desk noted stays
    assert unclaimed.timezone == "Europe/Berlin"
    # The address is still to be proven before anyone logs in.
    address = EmailAddress.objects.get(user=unclaimed)
    assert not address.verified
    assert mail.outbox[-1].to == ["ray@example.com"]
    client.post(
        reverse("account_login"), {"login": "ray@example.com", "password": PASSWORD}
    )
    assert "_auth_user_id" not in client.session


def test_signing_up_with_a_claimed_address_is_still_refused(client, patient):
    password_before = patient.password
    response = client.post(
        reverse("account_signup"),
        {
            "full_name": "Someone",
            "email": patient.email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "timezone": "UTC",
        },
    )
    # Nobody learns the address has an account (the page is the one any sign-up
    # gets); the owner is told by email, and nothing about the account changes.
    assert response.status_code == HTTPStatus.FOUND
    assert User.objects.filter(email__iexact=patient.email).count() == 1
    patient.refresh_from_db()
    assert patient.password == password_before
    assert [message.to for message in mail.outbox] == [[patient.email]]


def test_resetting_the_password_claims_the_account_and_proves_the_address(
    client, unclaimed
):
    client.post(reverse("account_reset_password"), {"email": "ray@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(
        r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)", mail.outbox[0].body
    )[1]
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(form_url, {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    unclaimed.refresh_from_db()
    assert unclaimed.check_password(PASSWORD)
    assert not User.objects.unclaimed().exists()
    assert EmailAddress.objects.get(user=unclaimed).verified
    response = client.post(
        reverse("account_login"), {"login": "ray@example.com", "password": PASSWORD}
    )
    assert client.session["_auth_user_id"] == str(unclaimed.pk)

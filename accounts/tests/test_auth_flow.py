import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import Role, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "full_name": "Grace Hopper",
    "email": "Grace@Example.com",
    "password1": "a-long-test-password-42",
    "password2": "a-long-test-password-42",
    "timezone": "Europe/Berlin",
}


def confirmation_link(message) -> str:
    return re.search(
        r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body
    )[1]


def test_signup_verify_login_logout(client):
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == HTTPStatus.FOUND
    user = User.objects.get()
    assert user.email == "grace@example.com"
    assert user.full_name == "Grace Hopper"
    assert user.timezone == "Europe/Berlin"
    assert [group.name for group in user.groups.all()] == [Role.PATIENT]

    # Mandatory verification: no login before the link is followed.
    response = client.post(
        reverse("account_login"),
        {"login": "grace@example.com", "password": SIGNUP["password1"]},
    )
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["grace@example.com"]

    link = confirmation_link(mail.outbox[-1])
    assert client.get(link).status_code == HTTPStatus.OK
    client.post(link)
    assert EmailAddress.objects.get(user=user).verified

    response = client.post(
        reverse("account_login"),
        {"login": "GRACE@example.com", "password": SIGNUP["password1"]},
    )
    assert response.status_code == HTTPStatus.FOUND
    # Landing by role (clinic.views.landing_url): a new patient, the directory.
    assert response.url == reverse("landing")
    assert client.get(response.url).url == reverse("doctors:list")
    page = client.get(reverse("accounts:profile"))
    assert "Grace Hopper" in page.content.decode()
    assert "grace@example.com" in page.content.decode()

    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_duplicate_email_in_any_case_makes_no_second_account(client):
    UserFactory(email="grace@example.com")
    response = client.post(
        reverse("account_signup"), {**SIGNUP, "email": "GRACE@example.COM"}
    )
    # Like any sign-up (the address is not revealed, test_enumeration); its owner
    # is told by email.
    assert response.status_code == HTTPStatus.FOUND
    assert User.objects.count() == 1
    assert mail.outbox[0].to == ["grace@example.com"]


def test_repeated_failed_logins_are_rate_limited_not_an_error(client):
    user = UserFactory(email="victim@example.com")
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    responses = [
        client.post(
            reverse("account_login"), {"login": user.email, "password": "wrong"}
        )
        for _ in range(6)
    ]
    assert {response.status_code for response in responses} == {HTTPStatus.OK}
    assert "Too many failed login attempts" in responses[-1].content.decode()
    # Even the right password is refused while the limit holds.
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": "a-long-test-password-42"},
    )
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_password_reset_by_email(client, password):
    user = UserFactory(email="forgetful@example.com")
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    client.post(reverse("account_reset_password"), {"email": "forgetful@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(
        r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)", mail.outbox[0].body
    )[1]
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    new_password = "another-long-password-77"
    response = client.post(
        form_url, {"password1": new_password, "password2": new_password}
    )
    assert response.status_code == HTTPStatus.FOUND
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_password_change_needs_the_old_password(client, patient, password):
    client.force_login(patient)
    url = reverse("account_change_password")
    response = client.post(
        url,
        {
            "oldpassword": "not-it",
            "password1": "new-long-password-99",
            "password2": "new-long-password-99",
        },
    )
    assert "oldpassword" in response.context["form"].errors
    response = client.post(
        url,
        {
            "oldpassword": password,
            "password1": "new-long-password-99",
            "password2": "new-long-password-99",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    patient.refresh_from_db()
    assert patient.check_password("new-long-password-99")


def test_profile_needs_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))

"""The admin's door: allauth's login with its limits and lockout, then MFA for
every admin page."""

import datetime as dt
from http import HTTPStatus
from urllib.parse import quote

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DEFAULT_PASSWORD, StaffFactory
from accounts.tests.mfa import totp_code

pytestmark = pytest.mark.django_db

ADMIN = reverse("admin:index")
ADMIN_LOGIN = reverse("admin:login")
LOCKED = "Too many failed login attempts"


def admin_pages() -> list[str]:
    """The index and every registered model's list."""
    return [ADMIN] + [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]


def log_in(client, user, password=DEFAULT_PASSWORD, url=None, **extra):
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return client.post(
        url or reverse("account_login"),
        {"login": user.email, "username": user.email, "password": password},
        **extra,
    )


@pytest.fixture
def staff_without_mfa():
    return StaffFactory(totp=False)


def test_admin_login_sends_people_to_the_sites_login(client):
    response = client.get(ADMIN)
    assert response.url == f"{ADMIN_LOGIN}?next={ADMIN}"
    response = client.get(response.url)
    assert response.url == f"{reverse('account_login')}?next=%2Fadmin%2F"


def test_the_admin_login_form_checks_no_password(client, staff):
    """A brute force on /admin/login/ has nothing to guess at: its posts are only
    sent on to the site's login, the right password too."""
    for _ in range(40):
        response = log_in(client, staff, "wrong", url=ADMIN_LOGIN)
        assert response.status_code == HTTPStatus.FOUND
        assert response.url.startswith(reverse("account_login"))
    log_in(client, staff, url=ADMIN_LOGIN)
    assert "_auth_user_id" not in client.session
    assert client.get(ADMIN).status_code == HTTPStatus.FOUND


def test_an_account_locked_on_the_login_page_cannot_get_into_the_admin(client, staff):
    for _ in range(5):
        log_in(client, staff, "wrong")
    for url in (ADMIN_LOGIN, f"{reverse('account_login')}?next={ADMIN}"):
        response = log_in(client, staff, url=url, follow=True)
        assert "_auth_user_id" not in client.session
    assert LOCKED in response.content.decode()
    assert client.get(ADMIN).status_code == HTTPStatus.FOUND


def test_staff_without_mfa_open_no_admin_page_and_are_sent_to_set_it_up(
    client, staff_without_mfa
):
    log_in(client, staff_without_mfa)
    assert client.session["_auth_user_id"] == str(staff_without_mfa.pk)
    setup = reverse("mfa_activate_totp")
    for url in admin_pages():
        response = client.get(url, follow=True)
        assert response.status_code == HTTPStatus.OK
        # To the authenticator set-up, which first asks for the password again.
        assert [to for to, _ in response.redirect_chain][-2:] == [
            setup,
            f"{reverse('account_reauthenticate')}?next={quote(setup, safe='')}",
        ], url
        assert "authenticator app" in response.content.decode()


def test_a_password_alone_does_not_sign_staff_with_mfa_in(client, staff):
    response = log_in(client, staff, url=f"{reverse('account_login')}?next={ADMIN}")
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    refused = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "_auth_user_id" not in client.session
    assert "code" in refused.context["form"].errors
    for url in admin_pages():
        assert client.get(url).status_code == HTTPStatus.FOUND, url


def test_staff_with_the_code_open_every_admin_page(client, admin_user):
    log_in(client, admin_user, url=f"{reverse('account_login')}?next={ADMIN}")
    response = client.post(
        reverse("mfa_authenticate"), {"code": totp_code(admin_user.totp_secret)}
    )
    assert response.url == ADMIN
    for url in admin_pages():
        assert client.get(url).status_code == HTTPStatus.OK, url


def test_a_session_from_before_mfa_is_asked_for_a_code(client, staff):
    client.force_login(staff)  # a password-only session
    response = client.get(ADMIN, follow=True)
    reauthenticate = reverse("mfa_reauthenticate")
    assert response.redirect_chain[-1][0] == f"{reauthenticate}?next=%2Fadmin%2F"
    response = client.post(
        response.redirect_chain[-1][0], {"code": totp_code(staff.totp_secret)}
    )
    assert response.url == ADMIN
    assert client.get(ADMIN).status_code == HTTPStatus.OK


@pytest.mark.django_db(transaction=True)  # allauth reports the activation on commit
def test_staff_set_up_their_authenticator_then_reach_the_admin(
    client, staff_without_mfa
):
    log_in(client, staff_without_mfa)
    response = client.get(ADMIN, follow=True)
    # allauth asks for the password again before adding a factor.
    response = client.post(
        response.redirect_chain[-1][0], {"password": DEFAULT_PASSWORD}, follow=True
    )
    secret = response.context["form"].secret
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "123456"})
    assert "code" in wrong.context["form"].errors
    activated = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert activated.url == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(
        user=staff_without_mfa, type=Authenticator.Type.TOTP
    ).exists()
    # The activation showed both factors: no second code from the same 30 s.
    assert client.get(ADMIN).status_code == HTTPStatus.OK

    # Next time: password, then a code.
    client.post(reverse("account_logout"))
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=31)):
        log_in(client, staff_without_mfa)
        client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
        assert client.get(ADMIN).status_code == HTTPStatus.OK


def test_a_recovery_code_opens_the_admin_too(client, staff):
    code = RecoveryCodes.activate(staff).get_unused_codes()[0]
    log_in(client, staff)
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert client.get(ADMIN).status_code == HTTPStatus.OK


def test_patients_and_doctors_are_refused_the_admin(client, patient, doctor):
    for user in (patient, doctor.user):
        client.force_login(user)
        response = client.get(ADMIN, follow=True)
        assert response.status_code == HTTPStatus.FORBIDDEN


def test_admin_password_change_is_the_account_page(staff_client):
    response = staff_client.get(reverse("admin:password_change"))
    assert response.url == reverse("account_change_password")


def test_admin_login_does_not_redirect_off_site(staff_client):
    response = staff_client.get(ADMIN_LOGIN, {"next": "https://evil.example/"})
    assert response.url == ADMIN


def test_the_api_login_asks_for_the_code_too(client, staff):
    EmailAddress.objects.create(
        user=staff, email=staff.email, verified=True, primary=True
    )
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": staff.email, "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    body = response.json()
    assert "access_token" not in body["meta"]
    pending = [flow for flow in body["data"]["flows"] if flow.get("is_pending")]
    assert pending == [
        {"id": "mfa_authenticate", "is_pending": True, "types": ["totp"]}
    ]

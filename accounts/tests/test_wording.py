"""One wording everywhere: "Log in", "Sign up", "Log out", "Remember me"; allauth's
emails in the clinic's name."""

import re

import pytest
from django.urls import reverse

from accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

# allauth's own words, which its pages and emails use unless overridden.
ALLAUTH_WORDS = re.compile(
    r"Sign In|Sign Up|Sign Out|Signup|Remember Me|sign in|signed in|Hello from"
)


def text_of(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    ("name", "title", "button"),
    [
        ("account_login", "Log in", "Log in"),
        ("account_signup", "Sign up", "Sign up"),
    ],
)
def test_entrance_pages_say_log_in_and_sign_up(client, name, title, button):
    html = text_of(client.get(reverse(name)))
    assert not ALLAUTH_WORDS.search(html), ALLAUTH_WORDS.search(html)
    assert f"<title>{title} · Clinic</title>" in html
    assert re.search(rf"<h1[^>]*>\s*{title}\s*</h1>", html)
    assert re.search(rf'<button[^>]*type="submit"[^>]*>\s*{button}\s*</button>', html)


def test_the_log_in_page_says_remember_me_and_links_to_sign_up(client):
    html = text_of(client.get(reverse("account_login") + "?next=/doctors/"))
    assert "Remember me" in html
    assert f'href="{reverse("account_signup")}?next=%2Fdoctors%2F"' in html


def test_the_sign_up_page_links_to_log_in_keeping_next(client):
    html = text_of(client.get(reverse("account_signup") + "?next=/doctors/"))
    assert f'href="{reverse("account_login")}?next=%2Fdoctors%2F"' in html
    assert 'name="next" value="/doctors/"' in html


def test_log_out_page_and_message_say_log_out(client, patient):
    client.force_login(patient)
    html = text_of(client.get(reverse("account_logout")))
    assert not ALLAUTH_WORDS.search(html)
    assert "<title>Log out · Clinic</title>" in html
    response = client.post(reverse("account_logout"), follow=True)
    assert "You have logged out." in text_of(response)


def test_the_logged_in_message_says_logged_in(client, patient):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(
        user=patient, email=patient.email, verified=True, primary=True
    )
    response = client.post(
        reverse("account_login"),
        {"login": patient.email, "password": DEFAULT_PASSWORD},
        follow=True,
    )
    html = text_of(response)
    assert "You are logged in as" in html
    assert not ALLAUTH_WORDS.search(html)


def test_the_navbar_says_log_in_and_sign_up(client):
    html = text_of(client.get(reverse("home")))
    assert ">Log in</a>" in html
    assert ">Sign up</a>" in html
    assert not ALLAUTH_WORDS.search(html)


def test_allauths_emails_carry_the_clinics_name(client, mailoutbox, settings):
    settings.CLINIC_NAME = "Praxis Mitte"
    settings.ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Praxis Mitte] "
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
    assert email.subject == "[Praxis Mitte] Confirm your email address"
    assert email.body.startswith("Hello from Praxis Mitte,")
    assert "signed up at Praxis Mitte" in email.body
    assert email.body.rstrip().endswith("-- \nPraxis Mitte")
    assert "testserver" not in email.body.replace("http://testserver/", "")
    assert not ALLAUTH_WORDS.search(email.body.replace("Hello from Praxis", ""))


def test_the_password_reset_email_carries_the_clinics_name(client, patient, mailoutbox):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(
        user=patient, email=patient.email, verified=True, primary=True
    )
    client.post(reverse("account_reset_password"), {"email": patient.email})
    [email] = mailoutbox
    assert email.subject.startswith("[Clinic] ")
    assert email.body.startswith("Hello from Clinic,")
    assert "127.0.0.1" not in email.body and "testserver!" not in email.body


def test_the_already_have_an_account_email_is_in_the_clinics_words(
    client, patient, mailoutbox
):
    client.post(
        reverse("account_signup"),
        {
            "full_name": "Someone",
            "email": patient.email,
            "password1": DEFAULT_PASSWORD,
            "password2": DEFAULT_PASSWORD,
        },
    )
    [email] = mailoutbox
    assert email.subject == "[Clinic] You already have an account"
    assert "tried to sign up at Clinic with this email address" in email.body
    assert not ALLAUTH_WORDS.search(email.body.replace("Hello from Clinic", ""))

import re

import pytest
from django.core import mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_confirm_log_in_and_see_my_name(page):
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_role("textbox", name="Password*", exact=True).fill(
        "a-long-test-password-42"
    )
    page.get_by_label("Password (again)").fill("a-long-test-password-42")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body)[
        0
    ]
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_role("textbox", name="Password*", exact=True).fill(
        "a-long-test-password-42"
    )
    page.get_by_role("button", name="Log in").click()
    # A new patient with nothing booked starts at the directory.
    page.wait_for_url(re.compile(r"/doctors/$"))
    navigation = page.get_by_role("navigation", name="Main")
    assert "Grace Hopper" in navigation.inner_text()

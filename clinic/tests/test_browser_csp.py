"""The Content Security Policy in a real browser: no page the site serves trips it
(Bootstrap, htmx, the site's script, admin, the API docs)."""

import re

import pytest
from django.test import Client

from accounts.tests.mfa import log_in_with_mfa
from conftest import hand_session
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def violations(page):
    """Every CSP violation the browser reports, as console messages."""
    seen = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return seen


def test_pages_htmx_and_bootstrap_run_under_the_policy(
    page, log_in, patient, violations
):
    DoctorProfileFactory(user__full_name="Ada Lee", city="Berlin")
    log_in(patient)
    page.goto("/doctors/")
    page.get_by_role("searchbox", name="Search doctors").fill(
        "Ada"
    )  # htmx swaps the results
    page.get_by_role("link", name=re.compile("Ada Lee")).first.wait_for()
    # Bootstrap's JavaScript: the account menu opens.
    page.locator("#account-menu, [data-bs-toggle=dropdown]").first.click()
    page.get_by_role("link", name=re.compile("Profile")).first.wait_for()
    page.goto("/account/profile/")
    page.goto("/notifications/")
    assert violations == []


def test_admin_and_api_docs_run_under_the_policy(
    page, live_server, admin_user, violations
):
    # The admin wants the second factor: sign in through the pages with it, then
    # hand the session to the browser.
    signed_in = log_in_with_mfa(Client(), admin_user)
    hand_session(page, live_server, signed_in)
    page.goto("/admin/appointments/appointment/")
    page.get_by_role("heading", name=re.compile("appointment", re.I)).first.wait_for()
    page.goto("/api/docs/")
    page.get_by_role("heading", name=re.compile("Clinic API")).wait_for()
    assert violations == []
    page.goto("/api/redoc/")
    page.get_by_role("heading", name=re.compile("Clinic API")).first.wait_for()
    # ReDoc's "built with Redocly" badge wants a logo from Redocly's CDN: the
    # policy keeps it out (self-hosted only), which is what it is for.
    assert [v for v in violations if "cdn.redoc.ly" not in v] == []

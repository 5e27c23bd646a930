"""Fixtures shared by every app's tests, and the test-speed settings."""

import os
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import timezone

from accounts.tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory
from accounts.tests.mfa import log_in_with_mfa
from doctors.tests.factories import DoctorProfileFactory


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    # Rate-limit counters live in the cache: each test starts from zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
def patient(db):
    return UserFactory(full_name="Pat Patient")


@pytest.fixture
def other_patient(db):
    return UserFactory(full_name="Olive Other")


@pytest.fixture
def doctor(db):
    """An approved doctor's profile (its user is in the Doctors group)."""
    return DoctorProfileFactory(user__full_name="Ada Lee")


@pytest.fixture
def staff(db):
    return StaffFactory(full_name="Sam Staff")


@pytest.fixture
def admin_user(db):
    """pytest-django's superuser, with the authenticator app the admin requires."""
    return StaffFactory(is_superuser=True, full_name="Ada Admin")


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's, signed in as the admin requires: password, then code."""
    return log_in_with_mfa(client, admin_user)


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


@pytest.fixture
def doctor_client(client, doctor):
    client.force_login(doctor.user)
    return client


@pytest.fixture
def staff_client(client, staff):
    """Signed in as the admin requires: password, then the authenticator's code."""
    return log_in_with_mfa(client, staff)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def page(live_server, monkeypatch, request):
    """A headless Chromium tab on the live server, 1280 px wide (or a phone's 390
    px: parametrize `viewport` indirectly with PHONE).

    Function-scoped on purpose: Playwright's sync API runs an event loop in this
    thread while it lives, and Django refuses ORM calls from a thread with a loop,
    so the loop (and DJANGO_ALLOW_ASYNC_UNSAFE) lasts for this test only."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} "
            "(apt-get install chromium)"
        )
    playwright_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            base_url=live_server.url,
            viewport=getattr(request, "param", None) or DESKTOP,
            timezone_id=request.node.get_closest_marker("browser_zone").args[0]
            if request.node.get_closest_marker("browser_zone")
            else "UTC",
        )
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        yield tab
        browser.close()
        # The test's ORM calls ran inside Playwright's context, where Django's
        # per-context connection handler opened a connection of its own: close
        # it, or it outlives the test and blocks dropping the test database.
        connections.close_all()


def hand_session(page, live_server, client) -> None:
    """Give the browser the session of a Django test `client`, signed in however
    the test needs (force_login; log_in_with_mfa for staff): the log-in pages have
    browser tests of their own."""
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


AXE_SOURCE = Path(__file__).parent / "clinic" / "tests" / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture
def axe(page):
    """`axe()`: run axe-core (vendored from npm) over the page as it is now and
    return its violations as readable lines, one per failing element; [] is clean.
    WCAG 2.2's target-size rule (axe ships it off) is on: every target 24 × 24 px
    or spaced so. Playwright's evaluate is not subject to the page's CSP, so the
    policy stays as strict as production's."""

    def run(context: str | dict = "html") -> list[str]:
        page.evaluate(AXE_SOURCE.read_text())
        result = page.evaluate(
            """context => axe.run(context, {
                resultTypes: ['violations'],
                rules: {'target-size': {enabled: true}},
            })""",
            context,
        )
        return [
            f"{page.url} {violation['id']}: {node['target']} {node['failureSummary']}"
            for violation in result["violations"]
            for node in violation["nodes"]
        ]

    return run


@pytest.fixture
def screenshot(page):
    """`screenshot("name")`: save the whole page to screenshots/name-<width>.png for
    a person to review (the folder is not committed)."""

    def save(name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}-{page.viewport_size['width']}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return save


@pytest.fixture
def log_in(page):
    """`log_in(user)`: sign the user in through the log-in form, as a person does,
    their email address verified first."""
    from allauth.account.models import EmailAddress

    def log_in(user) -> None:
        EmailAddress.objects.create(
            user=user, email=user.email, verified=True, primary=True
        )
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_role("textbox", name="Password*", exact=True).fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        # Each role lands on its own start page (clinic.views.landing_url).
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return log_in


def pytest_runtest_setup(item):
    """Tests marked `postgres` need real row locks: run them only on PostgreSQL."""
    if item.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL (set DATABASE_URL to a postgres:// URL)")


@pytest.fixture
def one_rate_window():
    """One frozen instant for a test that counts requests up to a rate limit: a
    slow run must not straddle two of django-ratelimit's fixed windows (the count
    would start again and the limit never be reached)."""
    with time_machine.travel(timezone.now(), tick=False):
        yield

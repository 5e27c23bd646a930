"""The front desk books a phone caller who has no account, in a real browser."""

import re
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.test import Client

from accounts.models import User
from accounts.tests.mfa import log_in_with_mfa
from appointments.models import Appointment
from appointments.tests.factories import SlotFactory
from conftest import hand_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The migrations that create the roles and grant their permissions.
ROLE_MIGRATIONS = [
    ("accounts.migrations.0002_roles", "create_roles"),
    *(
        (f"{app}.migrations.{name}", "grant")
        for app, name in [
            ("appointments", "0002_role_permissions"),
            ("appointments", "0005_staff_book_for_patients"),
            ("appointments", "0007_reminder_waitlist_override_permissions"),
            ("doctors", "0002_role_permissions"),
            ("notifications", "0002_role_permissions"),
            ("reviews", "0002_role_permissions"),
        ]
    ),
]


@pytest.fixture(autouse=True)
def _roles(transactional_db):
    """An earlier live-server test's flush wipes what data migrations wrote: give
    the roles their permissions again, as the migrations do."""
    for module, function in ROLE_MIGRATIONS:
        getattr(import_module(module), function)(django_apps, None)


SCREENSHOTS = Path(settings.BASE_DIR) / "screenshots"


def sign_in_with_a_session(page, live_server, user) -> None:
    """Sign in through the real pages, password then the authenticator's code,
    and hand the session to the browser: the journey is the desk's."""
    client = log_in_with_mfa(Client(), user)
    hand_session(page, live_server, client)


def test_the_desk_books_a_caller_without_an_account(page, live_server, staff, doctor):
    slot = SlotFactory(doctor=doctor)
    sign_in_with_a_session(page, live_server, staff)
    SCREENSHOTS.mkdir(exist_ok=True)

    page.goto("/admin/")
    page.get_by_role("link", name="Book for a patient").first.click()
    page.get_by_label("Find the patient").fill("Ray")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("Nobody matches").wait_for()

    page.get_by_text("Register a new patient").click()
    page.get_by_label("Full name").fill("Ray Caller")
    page.get_by_label("Phone").fill("+49 151 2345678")
    page.get_by_role("button", name="Register the patient").click()
    page.get_by_text("Ray Caller is registered").wait_for()

    page.get_by_role("combobox", name="Doctor").select_option(value=str(doctor.pk))
    page.get_by_role("button", name="Show free times").click()
    page.screenshot(path=SCREENSHOTS / "desk-book-1280.png", full_page=True)

    time_label = slot.starts_at.astimezone(doctor.zone).strftime("%H:%M")
    page.get_by_role("radio", name=re.compile(time_label)).check()
    page.get_by_label("Reason for the visit").fill("Sore throat and fever since Monday")
    page.get_by_role("button", name="Book for Ray Caller").click()

    page.wait_for_url(re.compile(r"/admin/appointments/appointment/desk/"))
    page.get_by_text("Booked Ray Caller").wait_for()
    column = page.get_by_role("region", name=doctor.display_name)
    assert column.get_by_role("link", name="Ray Caller", exact=True).is_visible()
    assert column.get_by_text("+49 151 2345678").is_visible()
    page.screenshot(path=SCREENSHOTS / "desk-day-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=SCREENSHOTS / "desk-day-390.png", full_page=True)

    caller = User.objects.get(full_name="Ray Caller")
    assert caller.email is None and not caller.has_usable_password()
    appointment = Appointment.objects.get(slot=slot)
    assert (appointment.patient, appointment.booked_by) == (caller, staff)

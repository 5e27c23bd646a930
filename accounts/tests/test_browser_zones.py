"""In a real browser in Berlin: times read in Berlin without anyone choosing a zone,
for a visitor and for a patient who just signed up; and each role's navigation at
phone and desktop width (screenshots for review, axe-core clean)."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory
from accounts.tests.mfa import log_in_with_mfa
from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory, SlotFactory
from conftest import DESKTOP, PHONE, hand_session
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
WIDTHS = pytest.mark.parametrize(
    "page", [PHONE, DESKTOP], indirect=True, ids=["390", "1280"]
)


def odd_start() -> dt.datetime:
    """Tomorrow 07:10 UTC: a time no page shows by chance, 08:10 or 09:10 in Berlin."""
    tomorrow = timezone.now().date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(7, 10), tzinfo=dt.UTC)


def berlin(moment: dt.datetime) -> str:
    return f"{moment.astimezone(BERLIN):%H:%M}"


def open_nav(page) -> None:
    """On a phone the navigation is behind its button: open it."""
    toggler = page.get_by_role("button", name="Toggle navigation")
    if toggler.is_visible():
        toggler.click()
        page.locator("#main-nav.show").wait_for()


@WIDTHS
@pytest.mark.browser_zone("Europe/Berlin")
def test_a_visitor_in_berlin_sees_berlin_times_on_a_doctors_page(page, axe):
    start = odd_start()
    doctor = DoctorProfileFactory(user__full_name="Ada Lee", timezone="UTC")
    SlotFactory(
        doctor=doctor, starts_at=start, ends_at=start + dt.timedelta(minutes=30)
    )

    page.goto(doctor.get_absolute_url())
    # The first page came in UTC; the browser's zone is now known (a cookie) and
    # the page shows itself again in it, once.
    page.get_by_role("contentinfo").get_by_text(
        "Times shown in Europe/Berlin"
    ).wait_for()
    page.get_by_text(berlin(start)).first.wait_for()
    assert page.evaluate("document.cookie").count("timezone=Europe/Berlin") == 1
    # This page's navigation and footer (its slot grid is the booking page's work).
    assert axe({"include": [["header"], ["footer"]]}) == []

    # The next page needs no second look.
    page.goto("/")
    assert (
        page.get_by_role("contentinfo")
        .get_by_text("Times shown in Europe/Berlin")
        .is_visible()
    )


@WIDTHS
@pytest.mark.browser_zone("Europe/Berlin")
def test_a_new_patient_in_berlin_signs_up_and_sees_berlin_times(page, axe, screenshot):
    page.goto("/")
    open_nav(page)
    screenshot("nav-visitor")
    page.get_by_role("link", name="Sign up").click()
    page.wait_for_url(re.compile(r"/accounts/signup/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Sign up"
    assert axe() == []
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_role("textbox", name="Password*", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_label("Password (again)").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))

    grace = User.objects.get(email="grace@example.com")
    assert grace.timezone == "Europe/Berlin"  # nobody chose it: the browser said so

    # Something booked meanwhile (by the front desk): the landing is the list.
    start = odd_start()
    AppointmentFactory(
        patient=grace,
        status=Appointment.Status.CONFIRMED,
        slot=SlotFactory(
            doctor=DoctorProfileFactory(user__full_name="Ada Lee", timezone="UTC"),
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=30),
            is_booked=True,
        ),
    )
    # Confirming in the browser that signed up logs in: the landing is the list.
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body)
    page.goto(link[0])
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/appointments/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "My appointments"
    assert page.get_by_text(berlin(start)).first.is_visible()
    assert (
        page.get_by_role("contentinfo")
        .get_by_text("Times shown in Europe/Berlin")
        .is_visible()
    )
    assert axe() == []
    open_nav(page)
    screenshot("nav-patient")


@WIDTHS
def test_each_roles_navigation(page, log_in, axe, screenshot, live_server):
    doctor = DoctorProfileFactory(user__full_name="Ada Lee")
    log_in(doctor.user)
    page.wait_for_url(re.compile(r"/doctors/me/appointments/\?tab=today"))
    open_nav(page)
    nav = page.get_by_role("navigation", name="Main")
    for label in ("Today", "Appointments", "Availability", "Find a doctor"):
        assert nav.get_by_role("link", name=label, exact=True).is_visible()
    assert nav.get_by_role("link", name="My appointments").count() == 0
    assert axe() == []
    screenshot("nav-doctor")

    page.context.clear_cookies()
    staff = StaffFactory(full_name="Sam Staff")
    # The Clinic staff group's permissions come from a data migration, which a
    # transactional test's flush removes: give the desk's own back.
    staff.user_permissions.add(Permission.objects.get(codename="work_front_desk"))
    signed_in = log_in_with_mfa(Client(), staff)
    hand_session(page, live_server, signed_in)
    page.goto("/start/")
    assert page.url.endswith("/admin/appointments/appointment/desk/"), page.url
    page.goto("/doctors/")
    open_nav(page)
    nav = page.get_by_role("navigation", name="Main")
    for label in ("Front desk", "Admin", "Find a doctor"):
        assert nav.get_by_role("link", name=label, exact=True).is_visible()
    assert axe() == []
    screenshot("nav-staff")

    page.context.clear_cookies()
    patient = UserFactory(full_name="Pat Patient")
    log_in(patient)
    page.wait_for_url(re.compile(r"/doctors/$"))  # nothing booked: the directory
    open_nav(page)
    nav = page.get_by_role("navigation", name="Main")
    for label in ("Find a doctor", "My appointments"):
        assert nav.get_by_role("link", name=label, exact=True).is_visible()
    page.goto("/appointments/")
    # No visits: no "Book another visit", the empty state says what to do.
    assert page.get_by_role("link", name="Book another visit").count() == 0
    assert page.get_by_role("link", name="Find a doctor").last.is_visible()
    assert axe() == []

"""axe-core (vendored from npm) over the site's pages in Chromium, at a phone's and
a desktop's width: zero violations, and a screenshot of each page for review."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from appointments.models import Appointment
from appointments.tests.factories import (
    AppointmentFactory,
    SlotFactory,
    TimeOffFactory,
    WeeklyAvailabilityFactory,
)
from conftest import DESKTOP, PHONE, hand_session
from doctors.tests.factories import DoctorProfileFactory
from notifications.tests.factories import NotificationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("page", [PHONE, DESKTOP], indirect=True, ids=["390", "1280"])
def test_public_pages_have_no_violations(page, axe, screenshot):
    doctor = DoctorProfileFactory(user__full_name="Ada Lee", city="Berlin")
    found = sweep(
        page,
        axe,
        screenshot,
        [
            ("home", "/"),
            ("directory", "/doctors/"),
            ("doctor", doctor.get_absolute_url()),
            ("log-in", "/accounts/login/"),
            ("sign-up", "/accounts/signup/"),
        ],
    )
    assert found == []


def sign_in(page, live_server, user):
    """Hand the browser a session of `user` (the log-in form has its own tests)."""
    client = Client()
    client.force_login(user)
    hand_session(page, live_server, client)


def sweep(page, axe, screenshot, pages):
    found = []
    for name, url in pages:
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
        screenshot(name)
        found += axe()
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > page.viewport_size["width"]:
            found.append(f"{url} scrolls sideways: {width} px wide")
    return found


@pytest.mark.parametrize("page", [PHONE, DESKTOP], indirect=True, ids=["390", "1280"])
def test_a_patients_pages_have_no_violations(page, live_server, axe, screenshot):
    patient = UserFactory(full_name="Pat Patient")
    doctor = DoctorProfileFactory(user__full_name="Ada Lee", city="Berlin")
    SlotFactory.create_batch(3, doctor=doctor)
    upcoming = AppointmentFactory(
        patient=patient, slot__doctor=doctor, status=Appointment.Status.CONFIRMED
    )
    past = AppointmentFactory(
        patient=patient,
        slot__doctor=doctor,
        slot__starts_at=timezone.now() - dt.timedelta(days=3),
        slot__ends_at=timezone.now() - dt.timedelta(days=3, minutes=-30),
        status=Appointment.Status.COMPLETED,
    )
    NotificationFactory(recipient=patient)
    sign_in(page, live_server, patient)
    found = sweep(
        page,
        axe,
        screenshot,
        [
            ("patient-appointments", "/appointments/"),
            ("patient-appointment", f"/appointments/{upcoming.pk}/"),
            ("patient-cancel", f"/appointments/{upcoming.pk}/cancel/"),
            ("patient-reschedule", f"/appointments/{upcoming.pk}/reschedule/"),
            ("patient-review", f"/appointments/{past.pk}/review/"),
            ("patient-reviews", "/reviews/mine/"),
            ("patient-notifications", "/notifications/"),
            ("patient-email-settings", "/account/notifications/settings/"),
            ("patient-profile", "/account/profile/"),
            ("patient-following", "/account/following/"),
            ("patient-waitlist", "/waitlist/"),
            ("patient-close-account", "/account/close/"),
            ("patient-doctor", doctor.get_absolute_url()),
            ("patient-apply", "/doctors/apply/"),
        ],
    )
    assert found == []


@pytest.mark.parametrize("page", [PHONE, DESKTOP], indirect=True, ids=["390", "1280"])
def test_a_doctors_pages_have_no_violations(page, live_server, axe, screenshot):
    doctor = DoctorProfileFactory(user__full_name="Ada Lee", city="Berlin")
    WeeklyAvailabilityFactory(doctor=doctor)
    today = timezone.localdate()
    visit = AppointmentFactory(slot__doctor=doctor, patient__full_name="Pat Patient")
    TimeOffFactory(doctor=doctor)
    sign_in(page, live_server, doctor.user)
    found = sweep(
        page,
        axe,
        screenshot,
        [
            ("doctor-day", "/doctors/me/appointments/"),
            ("doctor-visit", f"/appointments/{visit.pk}/"),
            ("doctor-availability", "/doctors/me/availability/"),
            ("doctor-time-off", "/doctors/me/availability/time-off/add/"),
            ("doctor-date", "/doctors/me/availability/dates/add/"),
            ("doctor-week", "/doctors/me/schedule/"),
            ("doctor-sick-day", f"/doctors/me/sick-day/?date={today}"),
            ("doctor-reviews", "/doctors/me/reviews/"),
            ("doctor-profile", "/doctors/me/"),
            ("doctor-edit", "/doctors/me/edit/"),
            ("doctor-own-page", doctor.get_absolute_url()),
        ],
    )
    assert found == []

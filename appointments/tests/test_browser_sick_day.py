"""The sick day in a real browser: the doctor opens today's agenda with two booked
visits, says "I'm sick today", sees who is affected, cancels with a message."""

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.tests.factories import UserFactory
from appointments.models import Appointment, TimeOff
from appointments.tests.factories import AppointmentFactory, SlotFactory
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "screenshots"
# Practices around the world: the test takes one where the day has hours left.
ZONES = ["UTC", "America/Los_Angeles", "Asia/Tokyo", "Pacific/Kiritimati"]


def a_zone_with_hours_left() -> str:
    now = timezone.now()
    return next(z for z in ZONES if now.astimezone(ZoneInfo(z)).hour < 19)


def test_the_doctor_calls_in_sick_and_the_patients_are_told(page, log_in):
    zone = a_zone_with_hours_left()
    doctor = DoctorProfileFactory(
        user__full_name="Ada Lee", user__timezone=zone, timezone=zone
    )
    now = timezone.now().replace(second=0, microsecond=0)
    patients = [
        UserFactory(full_name="Maria Garcia", phone="+49 30 1234567"),
        UserFactory(full_name="John Smith"),
    ]
    for hours, patient in zip((1, 2), patients, strict=True):
        start = now + dt.timedelta(hours=hours)
        AppointmentFactory(
            slot=SlotFactory(
                doctor=doctor,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=30),
                is_booked=True,
            ),
            patient=patient,
            status=Appointment.Status.CONFIRMED,
        )
    log_in(doctor.user)

    page.goto("/doctors/me/appointments/")
    agenda = page.locator(".agenda")
    agenda.get_by_text("Maria Garcia").wait_for()
    assert agenda.get_by_text("John Smith").is_visible()
    assert agenda.get_by_text("+49 30 1234567").is_visible()

    page.get_by_role("link", name="I'm sick today").click()
    page.wait_for_url(re.compile(r"/doctors/me/sick-day/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "I'm sick today"
    affected = page.locator(".affected-visits")
    assert affected.get_by_text("Maria Garcia").is_visible()
    assert affected.get_by_text("John Smith").is_visible()
    page.get_by_label("Message to today's patients").fill(
        "I have a fever today, sorry. Please pick another time."
    )
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "sick_day_confirm_1280.png", full_page=True)
    page.get_by_role("button", name="Cancel 2 visits and take the day off").click()

    page.wait_for_url(re.compile(r"/doctors/me/appointments/$"))
    page.get_by_text("2 visits cancelled; each patient has been told.").wait_for()
    assert page.locator(".agenda-time-off").get_by_text("Sick day").is_visible()
    assert page.locator(".agenda .badge", has_text="Cancelled").count() == 2
    # The freed times lie in the time off: nobody is offered them.
    assert page.locator(".agenda-free").count() == 0
    assert TimeOff.objects.filter(doctor=doctor).count() == 1
    for patient in patients:
        told = Notification.objects.get(recipient=patient)
        assert "I have a fever today" in told.message
        assert told.link == doctor.get_absolute_url()
    page.screenshot(path=SCREENSHOTS / "sick_day_agenda_1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=SCREENSHOTS / "sick_day_agenda_390.png", full_page=True)
    page.goto("/doctors/me/sick-day/")
    page.screenshot(path=SCREENSHOTS / "sick_day_confirm_390.png", full_page=True)

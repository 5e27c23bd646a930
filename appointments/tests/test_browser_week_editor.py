"""The availability editor in a real browser, at a phone's and a desktop's width:
a switch per weekday, ranges added and removed in place, a day copied to the other
open days, 24-hour times and their errors, then one save."""

import datetime as dt

import pytest

from appointments.models import WeeklyAvailability
from conftest import DESKTOP, PHONE
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "page", [PHONE, DESKTOP], indirect=True, ids=["phone", "desktop"]
)
def test_a_doctor_builds_a_week_with_switches_ranges_and_copy(
    page, log_in, axe, screenshot
):
    doctor = DoctorProfileFactory(user__full_name="Ada Lee", timezone="UTC")
    WeeklyAvailability.objects.create(
        doctor=doctor, weekday=4, start_time=dt.time(8), end_time=dt.time(9)
    )
    log_in(doctor.user)
    page.goto("/doctors/me/availability/")
    assert page.get_by_role("heading", level=1).inner_text() == "Your availability"
    # Seven days, one switch each; a closed day shows no ranges.
    assert page.get_by_role("switch").count() == 7
    assert page.get_by_role("switch", name="Open on Friday").is_checked()
    assert not page.get_by_label("Monday from").is_visible()
    # No sideways scroll on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")

    # Monday on: a range appears, typed in 24-hour time; a second one added.
    page.get_by_role("switch", name="Open on Monday").check()
    assert page.get_by_label("Monday from").is_visible()
    assert page.get_by_label("Monday from").get_attribute("placeholder") == "09:00"
    page.get_by_label("Monday from").fill("09:00")
    page.get_by_label("Monday until").fill("12:00")
    page.get_by_role("button", name="Add a range on Monday").click()
    page.get_by_label("Monday from").nth(1).fill("11:00")  # overlaps: refused below
    page.get_by_label("Monday until").nth(1).fill("17:30")
    # A range added and removed again leaves no trace.
    page.get_by_role("button", name="Add a range on Monday").click()
    assert page.get_by_label("Monday from").count() == 3
    page.get_by_role("button", name="Remove this range on Monday").nth(2).click()
    assert page.get_by_label("Monday from").count() == 2

    # Tuesday and Wednesday on; Monday's hours copied to them and to Friday.
    page.get_by_role("switch", name="Open on Tuesday").check()
    page.get_by_role("switch", name="Open on Wednesday").check()
    page.get_by_role("button", name="Copy Monday's hours to all open days").click()
    for day in ("Tuesday", "Wednesday", "Friday"):
        assert page.get_by_label(f"{day} from").nth(1).input_value() == "11:00"
    assert not page.get_by_label("Thursday from").is_visible()
    # Wednesday off again: its copied ranges are not saved.
    page.get_by_role("switch", name="Open on Wednesday").uncheck()
    assert axe() == []
    screenshot("availability-editor")

    page.get_by_role("button", name="Save availability", exact=True).click()
    # The overlap, in the field's own notation, next to the field; nothing saved.
    error = "Overlaps Monday 09:00–12:00: windows on one day must not overlap."
    field = page.get_by_label("Monday from").nth(1)
    assert field.input_value() == "11:00"
    assert field.get_attribute("aria-invalid") or "is-invalid" in field.get_attribute(
        "class"
    )
    described = field.get_attribute("aria-describedby")
    assert page.locator(f"#{described}").inner_text() == error
    assert WeeklyAvailability.objects.filter(doctor=doctor).count() == 1
    # A time that is not one stays as typed, with the expected form.
    page.get_by_label("Monday from").nth(1).fill("10:00 AI")
    page.get_by_role("button", name="Save availability", exact=True).click()
    assert page.get_by_label("Monday from").nth(1).input_value() == "10:00 AI"
    page.get_by_text("Enter a time as HH:MM, e.g. 09:30.").first.wait_for()
    assert axe() == []
    screenshot("availability-editor-errors")

    # Corrected, for every day that got the copy: saved as one week.
    for day in ("Monday", "Tuesday", "Friday"):
        page.get_by_label(f"{day} from").nth(1).fill("14:00")
    page.get_by_role("button", name="Save availability", exact=True).click()
    page.get_by_text("Availability saved.").wait_for()
    saved = sorted(
        (w.weekday, w.start_time.strftime("%H:%M"), w.end_time.strftime("%H:%M"))
        for w in WeeklyAvailability.objects.filter(doctor=doctor)
    )
    assert saved == [
        (day, start, end)
        for day in (0, 1, 4)
        for start, end in (("09:00", "12:00"), ("14:00", "17:30"))
    ]
    assert page.get_by_role("switch", name="Open on Tuesday").is_checked()
    assert not page.get_by_role("switch", name="Open on Wednesday").is_checked()


def test_the_editor_works_without_javascript(page, live_server, screenshot):
    """The same buttons post the page: add a range, copy a day, save."""
    from django.conf import settings
    from django.test import Client

    doctor = DoctorProfileFactory(user__full_name="Ada Lee", timezone="UTC")
    client = Client()
    client.force_login(doctor.user)
    context = page.context.browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport=PHONE
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.goto("/doctors/me/availability/")
    # Closed days still show their (spare) range without JavaScript.
    tab.get_by_role("switch", name="Open on Monday").check()
    tab.get_by_label("Monday from").fill("09:00")
    tab.get_by_label("Monday until").fill("12:00")
    tab.get_by_role("button", name="Add a range on Monday").click()
    tab.get_by_label("Monday from").nth(1).wait_for()
    tab.get_by_label("Monday from").nth(1).fill("14:00")
    tab.get_by_label("Monday until").nth(1).fill("17:00")
    tab.get_by_role("switch", name="Open on Thursday").check()
    tab.get_by_role("button", name="Copy Monday's hours to all open days").click()
    assert tab.get_by_label("Thursday from").nth(1).input_value() == "14:00"
    assert not WeeklyAvailability.objects.exists()  # nothing saved yet
    tab.get_by_role("button", name="Remove this range on Thursday").first.click()
    assert tab.get_by_label("Thursday from").count() == 1
    tab.get_by_role("button", name="Save availability", exact=True).click()
    tab.get_by_text("Availability saved.").wait_for()
    assert sorted(
        (w.weekday, w.start_time.hour)
        for w in WeeklyAvailability.objects.filter(doctor=doctor)
    ) == [(0, 9), (0, 14), (3, 14)]
    context.close()

import re

import pytest

from appointments.models import Slot, WeeklyAvailability
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_doctor_sets_hours_then_sees_the_slots_in_the_week_view(page, log_in):
    doctor = DoctorProfileFactory(user__full_name="Ada Lee", timezone="UTC")
    log_in(doctor.user)

    page.get_by_role("link", name="Availability", exact=True).click()
    page.wait_for_url(re.compile(r"/doctors/me/availability/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Your availability"

    # Wednesdays 09:00–11:00 and 13:00–14:00 (a break), first with a mistake.
    page.get_by_role("switch", name="Open on Wednesday").check()
    page.get_by_label("Wednesday from").fill("09:00")
    page.get_by_label("Wednesday until").fill("08:00")
    page.get_by_role("button", name="Save availability", exact=True).click()
    assert page.get_by_text("The end must be after the start (09:00).").is_visible()
    page.get_by_label("Wednesday until").fill("11:00")
    page.get_by_role("button", name="Add a range on Wednesday").click()
    page.get_by_label("Wednesday from").nth(1).fill("13:00")
    page.get_by_label("Wednesday until").nth(1).fill("14:00")
    page.get_by_label("Slot length (minutes)").fill("60")
    page.get_by_role("button", name="Save availability", exact=True).click()
    page.get_by_text("Availability saved.").wait_for()
    assert WeeklyAvailability.objects.filter(doctor=doctor).count() == 2
    assert Slot.objects.filter(doctor=doctor).exists()

    # The week view; next week (always has a future Wednesday) swapped by htmx.
    page.get_by_role("link", name="See your week").click()
    page.wait_for_url(re.compile(r"/doctors/me/schedule/"))
    page.evaluate("window.notReloaded = true")
    page.get_by_role("link", name="Next week").click()
    page.wait_for_url(re.compile(r"\?week=\d{4}-\d\d-\d\d"))
    wednesday = page.locator(".week-day").nth(2)
    wednesday.locator("time").first.wait_for()
    # 09:00, 10:00, then the break, then 13:00.
    assert wednesday.locator("time").all_inner_texts() == ["09:00", "10:00", "13:00"]
    assert "3 free · 0 booked · 0 held" in wednesday.inner_text()
    assert page.evaluate("window.notReloaded") is True

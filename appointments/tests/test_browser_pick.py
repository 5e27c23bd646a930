"""In Chromium at a phone's 390 px and a desktop's 1280 px: a signed-out visitor
picks a time, signs up, confirms the email and lands on that time held; the first
free time shows without scrolling on a phone; axe-core finds nothing."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from appointments.models import Appointment, Slot
from appointments.tests.factories import SlotFactory
from conftest import DESKTOP, PHONE, hand_session
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = ZoneInfo("Europe/Berlin")
PASSWORD = "a-long-test-password-42"


def doctor_with_times():
    """Dr Ada Lee in Berlin, with a long profile (the times must not sink below
    it) and free mornings on the next three weekdays."""
    doctor = DoctorProfileFactory(
        user__full_name="Ada Lee",
        timezone="Europe/Berlin",
        consultation_fee="75.00",
        clinic_name="Lindenhof Praxis",
        address="Lindenstraße 5",
        city="Berlin",
        bio="Twenty years of family medicine. " * 30,
        qualifications="MD, Charité Berlin. " * 10,
    )
    day = timezone.now().astimezone(BERLIN).date() + dt.timedelta(days=1)
    weekdays = 0
    while weekdays < 3:
        if day.weekday() < 5:
            weekdays += 1
            for minutes in range(0, 4 * 60, 30):
                start = dt.datetime.combine(day, dt.time(8), tzinfo=BERLIN)
                start += dt.timedelta(minutes=minutes)
                SlotFactory(
                    doctor=doctor,
                    starts_at=start,
                    ends_at=start + dt.timedelta(minutes=30),
                )
        day += dt.timedelta(days=1)
    return doctor


def first_time(page):
    chip = page.locator(".slot-picker .slot-time").first
    chip.wait_for()
    return chip


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("page", [PHONE, DESKTOP], indirect=True)
def test_a_visitor_picks_a_time_signs_up_and_lands_on_it_held(page, axe, screenshot):
    doctor = doctor_with_times()
    first = Slot.objects.filter(doctor=doctor).order_by("starts_at").first()
    page.goto(doctor.get_absolute_url())
    chip = first_time(page)
    # Berlin's clock first, the visitor's (UTC) beside it.
    berlin = first.starts_at.astimezone(BERLIN)
    utc = first.starts_at.astimezone(dt.UTC)
    assert chip.inner_text().split() == [f"{berlin:%H:%M}", f"({utc:%H:%M})"]
    assert fits_the_width(page)
    assert axe() == []
    screenshot("doctor-page")

    chip.click()
    page.wait_for_url(re.compile(rf"/slots/{first.pk}/pick/$"))
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading.startswith(f"Book Dr Ada Lee at {berlin:%a} {berlin.day}")
    assert f"{berlin:%H:%M} ({utc:%H:%M} your time)" in heading
    assert page.get_by_text("75.00 EUR").is_visible()
    assert fits_the_width(page)
    assert axe() == []
    screenshot("log-in-or-sign-up-to-book")

    page.get_by_role("link", name="Sign up to book").click()
    page.wait_for_url(re.compile(r"/accounts/signup/"))
    # The sign-up page keeps the doctor and the time.
    assert "Book Dr Ada Lee" in page.locator("[data-after-login]").inner_text()
    screenshot("sign-up-to-book")
    page.locator("input[name=full_name]").fill("Grace Hopper")
    page.locator("input[name=email]").fill("grace@example.com")
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("input[name=password2]").press("Enter")
    page.wait_for_url(lambda url: "/accounts/signup/" not in url)

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body)[
        0
    ]
    page.goto(link)
    page.get_by_role("button", name=re.compile("^confirm$", re.I)).click()
    # Confirming in the browser that signed up logs in: back to the time, held.
    page.wait_for_url(re.compile(rf"/slots/{first.pk}/book/$"))
    first.refresh_from_db()
    assert first.held_by.email == "grace@example.com"
    countdown = page.locator("[data-countdown-left]")
    countdown.wait_for()
    assert re.fullmatch(r"\([45]:\d\d left\)", countdown.inner_text())
    assert page.get_by_text("45 minutes").count() == 0  # 30-minute slots
    assert page.get_by_text("30 minutes").is_visible()
    assert page.get_by_text("Lindenstraße 5").is_visible()
    assert fits_the_width(page)
    assert axe() == []
    screenshot("booking-confirmation")

    page.get_by_label("Reason for the visit").fill(
        "Cough for two weeks, worse at night"
    )
    page.get_by_role("button", name=f"Confirm booking at {berlin:%H:%M}").click()
    page.wait_for_url(re.compile(r"/appointments/$"))
    appointment = Appointment.objects.get()
    assert appointment.slot == first
    assert appointment.patient.email == "grace@example.com"


@pytest.mark.parametrize("page", [PHONE], indirect=True)
def test_the_first_free_time_shows_without_scrolling_on_a_phone(page, axe):
    doctor = doctor_with_times()
    page.goto(doctor.get_absolute_url())
    box = first_time(page).bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    # Chips are whole ("08:00", not "08:"), and nothing scrolls sideways.
    chips = page.locator(".slot-picker .slot-time")
    for n in range(chips.count()):
        element = chips.nth(n)
        if element.is_visible():
            assert element.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The Book bar stays at the bottom of the screen and leads to the times.
    page.mouse.wheel(0, 3000)
    bar = page.get_by_role("navigation", name="Book")
    assert bar.is_visible()
    bar.get_by_role("link", name="Book a time").click()
    page.wait_for_url(re.compile(r"#times$"))
    # The whole week on request: the rest of the days, stacked, still no scroll.
    page.goto(f"/doctors/{doctor.slug}/slots/")
    first_time(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe() == []


@pytest.mark.parametrize("page", [PHONE], indirect=True)
def test_the_countdown_says_when_the_hold_has_run_out(page, live_server):
    """The page counts down from the seconds the server gave; at zero it says the
    hold is over and offers to pick again."""
    doctor = doctor_with_times()
    slot = Slot.objects.filter(doctor=doctor).order_by("starts_at").first()
    patient = UserFactory()
    Slot.objects.filter(pk=slot.pk).update(
        held_by=patient, held_until=timezone.now() + dt.timedelta(seconds=3)
    )
    client = Client()
    client.force_login(patient)
    hand_session(page, live_server, client)
    page.goto(f"/slots/{slot.pk}/book/")
    assert re.fullmatch(
        r"\([0-3]:0\d left\)", page.locator("[data-countdown-left]").inner_text()
    )
    expired = page.locator("[data-hold-expired]")
    expired.wait_for(state="visible", timeout=8_000)
    assert "Your hold has expired" in expired.inner_text()
    assert expired.get_by_role("link", name="Pick another time").is_visible()
    assert page.locator("[data-hold-countdown]").is_hidden()

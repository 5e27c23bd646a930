"""Browser journeys of the directory at a phone's and a desktop's width (issue 20):
all specialties from home, cards with their next free times, filters folded on a
phone, a typo found, and Back bringing the search and filters back."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from appointments.models import Slot
from appointments.tests.factories import SlotFactory
from conftest import DESKTOP, PHONE
from doctors.tests.factories import DoctorProfileFactory, SpecializationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = pytest.mark.parametrize(
    "page", [PHONE, DESKTOP], indirect=True, ids=["phone", "desktop"]
)


def directory_data():
    specialties = [
        SpecializationFactory(name=name, slug=name.lower())
        for name in (  # noqa: SIM905
            "Allergology Cardiology Dermatology Endocrinology Gastroenterology "
            "Geriatrics Gynecology Hematology Neurology Oncology Ophthalmology "
            "Orthopedics Pediatrics Psychiatry Urology"
        ).split()
    ]
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    ada = DoctorProfileFactory(
        user__full_name="Ada Lovelace",
        specialization=specialties[1],
        city="Munich",
    )
    DoctorProfileFactory(
        user__full_name="Grace Hopper", specialization=specialties[2], city="Paris"
    )
    for hours in (26, 27, 30, 50):
        SlotFactory(doctor=ada, starts_at=start + dt.timedelta(hours=hours))
    return ada


@WIDTHS
def test_all_specialties_are_reachable_from_home(page, axe, screenshot):
    directory_data()
    page.goto("/")
    assert axe() == []
    screenshot("home")
    page.get_by_role("link", name="All 15 specialties").click()
    page.wait_for_url(re.compile(r"/specializations/$"))
    assert page.get_by_role("heading", name="All specialties").is_visible()
    assert page.get_by_role("link", name=re.compile("^Urology")).is_visible()
    assert axe() == []
    screenshot("all-specialties")
    assert (
        page.evaluate("document.documentElement.scrollWidth")
        <= page.viewport_size["width"]
    )


@WIDTHS
def test_cards_offer_times_and_back_brings_the_search_back(page, axe, screenshot):
    ada = directory_data()
    phone = page.viewport_size["width"] == PHONE["width"]
    page.goto("/doctors/")
    card = page.locator("article", has_text="Ada Lovelace")
    times = card.get_by_role("link", name=re.compile(r"^Book .* with Dr Ada Lovelace"))
    assert times.count() == 3
    assert times.first.is_visible()
    assert "60.00 EUR per visit" in card.inner_text()
    city = page.get_by_label("City")
    if phone:
        # Results first: the filters are folded under a button.
        assert not city.is_visible()
        assert card.bounding_box()["y"] < PHONE["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    else:
        assert city.is_visible()
    assert axe() == []
    screenshot("directory")

    if phone:
        page.get_by_role("button", name=re.compile("Filters")).click()
        city.wait_for(state="visible")
    city.select_option("Munich")
    page.wait_for_url(re.compile(r"city=Munich"))
    if phone:  # the count on the button follows the filters
        assert "1" in page.locator("#filter-count").inner_text()
    page.get_by_label("Search doctors").fill("cardiolgy")
    page.wait_for_url(re.compile(r"q=cardiolgy"))
    results = page.locator("#doctor-results")
    results.get_by_text("Showing results for “cardiology”").wait_for()
    assert results.get_by_role("link", name="Dr Ada Lovelace", exact=True).is_visible()
    assert results.get_by_role("link", name="Dr Grace Hopper", exact=True).count() == 0
    assert axe() == []
    screenshot("directory-typo")

    results.get_by_role("link", name="Dr Ada Lovelace", exact=True).click()
    page.wait_for_url(re.compile(ada.get_absolute_url() + "$"))
    page.go_back()
    page.wait_for_url(re.compile(r"/doctors/\?.*q=cardiolgy"))
    assert page.get_by_label("Search doctors").input_value() == "cardiolgy"
    assert page.get_by_label("City").input_value() == "Munich"
    results = page.locator("#doctor-results")
    assert results.get_by_role("link", name="Dr Ada Lovelace", exact=True).is_visible()
    # Back again, to the city alone (an address htmx pushed in the first page).
    page.go_back()
    page.wait_for_url(lambda url: "city=Munich" in url and "cardiolgy" not in url)
    page.get_by_text("Showing results for").wait_for(state="detached")
    assert page.get_by_label("Search doctors").input_value() == ""
    assert page.get_by_label("City").input_value() == "Munich"
    # And forward: the search is back in the box.
    page.go_forward()
    page.wait_for_url(re.compile(r"q=cardiolgy"))
    page.get_by_text("Showing results for “cardiology”").wait_for()
    assert page.get_by_label("Search doctors").input_value() == "cardiolgy"


@WIDTHS
def test_a_signed_out_visitors_time_leads_to_the_doctors_pages_pick(page, axe):
    directory_data()
    page.goto("/doctors/")
    time = page.get_by_role("link", name=re.compile(r"^Book .* Ada Lovelace")).first
    slot_id = time.get_attribute("data-slot-id")
    time.click()
    # The doctor's page's own target: log in or sign up, then back to the time.
    page.wait_for_url(re.compile(rf"/slots/{slot_id}/pick/$"))
    assert page.get_by_role("link", name=re.compile("Sign up")).first.is_visible()
    assert axe() == []


@WIDTHS
def test_a_signed_in_patients_time_is_held_in_one_tap(page, log_in, patient):
    directory_data()
    log_in(patient)
    page.goto("/doctors/")
    time = page.get_by_role("button", name=re.compile(r"^Book .* Ada Lovelace")).first
    slot_id = time.get_attribute("data-slot-id")
    time.click()
    page.wait_for_url(re.compile(rf"/slots/{slot_id}/book/$"))
    assert Slot.objects.get(pk=slot_id).held_by == patient

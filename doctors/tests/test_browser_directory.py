"""Browser journey: search the directory; results and URL update without a reload."""

import re

import pytest

from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_typing_and_choosing_filters_update_results_and_url(page):
    DoctorProfileFactory(
        user__full_name="Ada Lovelace",
        specialization__name="Cardiology",
        specialization__slug="cardiology",
        city="Berlin",
    )
    DoctorProfileFactory(
        user__full_name="Grace Hopper",
        specialization__name="Dermatology",
        specialization__slug="dermatology",
        city="Paris",
    )
    DoctorProfileFactory.create_batch(
        21, user__full_name="Bench Doctor", specialization__slug="dermatology"
    )
    page.goto("/doctors/")
    results = page.locator("#doctor-results")
    assert "23 doctors" in results.inner_text()
    # Mark the document: a full reload would lose it, an htmx swap keeps it.
    page.evaluate("document.body.dataset.journey = 'same-page'")

    page.get_by_label("Search doctors").fill("lovelace")
    page.wait_for_url(re.compile(r"/doctors/\?.*q=lovelace"))
    results.get_by_text("1 doctor", exact=True).wait_for()
    assert results.get_by_role("link", name="Dr Ada Lovelace", exact=True).is_visible()
    assert results.get_by_role("link", name="Dr Grace Hopper", exact=True).count() == 0

    # A filter that leaves nothing: the empty state offers to remove one.
    page.get_by_label("Specialization").select_option(label="Dermatology")
    page.wait_for_url(re.compile(r"specialization=dermatology"))
    results.get_by_text("No doctors match your search.").wait_for()
    assert page.evaluate("document.body.dataset.journey") == "same-page"  # no reload
    results.get_by_role("link", name="Remove “lovelace”").click()
    page.wait_for_url(re.compile(r"/doctors/\?specialization=dermatology"))
    assert page.get_by_label("Search doctors").input_value() == ""

    # Paging keeps the filter, in place too.
    page.evaluate("document.body.dataset.journey = 'paging'")
    page.get_by_role("link", name="2", exact=True).click()
    page.wait_for_url(re.compile(r"specialization=dermatology.*page=2"))
    results.get_by_text("page 2 of 2").wait_for()
    assert page.evaluate("document.body.dataset.journey") == "paging"
    # The clicked link was swapped away: focus lands on the new results' summary.
    assert page.evaluate("document.activeElement.id") == "results-count"

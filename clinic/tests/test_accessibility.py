"""axe-core (vendored from npm) over the site's pages in Chromium, at a phone's and
a desktop's width: zero violations, and a screenshot of each page for review."""

import pytest

from conftest import DESKTOP, PHONE
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("page", [PHONE, DESKTOP], indirect=True, ids=["390", "1280"])
def test_public_pages_have_no_violations(page, axe, screenshot):
    doctor = DoctorProfileFactory(user__full_name="Ada Lee", city="Berlin")
    found = []
    for name, url in [
        ("home", "/"),
        ("directory", "/doctors/"),
        ("doctor", doctor.get_absolute_url()),
        ("log-in", "/accounts/login/"),
        ("sign-up", "/accounts/signup/"),
    ]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        screenshot(name)
        found += axe()
    assert found == []

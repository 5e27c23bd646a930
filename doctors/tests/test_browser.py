import re

import pytest

from accounts.tests.factories import UserFactory
from doctors.models import DoctorProfile, Language
from doctors.tests.factories import DoctorProfileFactory, SpecializationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_apply_then_follow_a_doctor_in_place(page, log_in):
    page.set_default_timeout(20_000)  # the suite shares two cores with others
    SpecializationFactory(name="Cardiology", slug="cardiology")
    # Transactional tests flush the tables, data-migration rows included.
    english, _created = Language.objects.get_or_create(
        slug="english", defaults={"name": "English"}
    )
    applicant = UserFactory(full_name="Grace Hopper")
    doctor = DoctorProfileFactory(user__full_name="Ada Lee", followers_count=0)
    log_in(applicant)

    # Apply to be listed as a doctor, with a mistake first.
    page.goto("/doctors/apply/")
    page.get_by_label("Specialization").select_option(label="Cardiology")
    page.get_by_label("License number").fill("lic-77")
    page.get_by_label("Bio").fill("Heart health, explained.")
    page.get_by_label("Qualifications").fill("MD")
    page.get_by_label("Years of experience").fill("9")
    page.get_by_label("English").check()
    page.get_by_label("Clinic name").fill("Heart Centre")
    page.get_by_label("Address").fill("1 Main Street")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Consultation fee").fill("-1")
    page.get_by_role("button", name="Send application").click()
    assert page.get_by_label("Clinic name").input_value() == "Heart Centre"
    page.get_by_label("Consultation fee").fill("80")
    page.get_by_role("button", name="Send application").click()
    page.wait_for_url(re.compile(r"/doctors/me/$"))
    assert page.get_by_text("Pending review").first.is_visible()
    profile = DoctorProfile.objects.get(user=applicant)
    assert profile.status == DoctorProfile.Status.PENDING
    assert list(profile.languages.all()) == [english]

    # Follow another doctor: htmx swaps the button and the count, no reload.
    page.goto(doctor.get_absolute_url())
    # Let the slots and reviews panels finish loading before clicking.
    page.wait_for_load_state("networkidle")
    page.evaluate("window.notReloaded = true")
    follow_box = page.locator(f"#follow-{doctor.pk}")
    assert "0 followers" in follow_box.inner_text()
    page.get_by_role("button", name="Follow Dr Ada Lee", exact=True).click()
    unfollow = page.get_by_role("button", name="Unfollow Dr Ada Lee")
    unfollow.wait_for()
    assert "1 follower" in follow_box.inner_text()
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("document.activeElement.id") == f"follow-button-{doctor.pk}"

    page.goto("/account/following/")
    assert page.get_by_role("link", name="Dr Ada Lee").is_visible()
    page.get_by_role("button", name="Unfollow Dr Ada Lee").click()
    page.get_by_role("button", name="Follow Dr Ada Lee", exact=True).wait_for()
    doctor.refresh_from_db()
    assert doctor.followers_count == 0

import re

import pytest
from playwright.sync_api import expect

from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory
from doctors.tests.factories import DoctorProfileFactory
from reviews.models import Review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_patient_reviews_a_completed_visit_and_sees_it_on_the_doctor_page(
    page, log_in
):
    doctor = DoctorProfileFactory(user__full_name="Ada Lee")
    visit = AppointmentFactory(
        slot__doctor=doctor,
        patient__full_name="Grace Hopper",
        status=Appointment.Status.COMPLETED,
    )
    patient = visit.patient
    log_in(patient)

    # From the visit's page, "Write a review"; forget the rating first.
    page.goto(visit.get_absolute_url())
    page.get_by_role("link", name="Write a review").click()
    page.wait_for_url(re.compile(rf"/appointments/{visit.pk}/review/$"))
    page.get_by_label("Your comment (optional)").fill("Listened <b>carefully</b>.")
    page.get_by_role("button", name="Publish review").click()
    expect(page.get_by_text("Choose a rating from 1 to 5 stars.")).to_be_visible()
    assert page.get_by_label("Your comment (optional)").input_value() == (
        "Listened <b>carefully</b>."
    )
    # The radio group is reachable by keyboard: focus it and pick with arrows.
    page.get_by_label("5 stars – Excellent").focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("4 stars – Very good")).to_be_checked()
    page.get_by_role("button", name="Publish review").click()
    page.wait_for_url(re.compile(rf"/doctors/{doctor.slug}/reviews/"))
    expect(page.get_by_text("Thank you: your review is published.")).to_be_visible()
    assert Review.objects.get().rating == 4

    # The doctor's public page loads the reviews panel into its section.
    page.goto(doctor.get_absolute_url())
    reviews = page.get_by_role("region", name="Reviews")
    expect(reviews.get_by_text("Listened <b>carefully</b>.")).to_be_visible()
    expect(reviews.get_by_text("Verified visit", exact=True)).to_be_visible()
    expect(reviews.get_by_text("Grace H.", exact=True)).to_be_visible()
    expect(reviews.locator(".rating-summary")).to_have_text(
        re.compile(r"4\.0\s+·\s+1 review")
    )

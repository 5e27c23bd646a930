import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from appointments.models import Appointment
from appointments.tests.factories import SlotFactory
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_patient_picks_a_time_confirms_with_a_reason_and_sees_it(page, log_in):
    doctor = DoctorProfileFactory(user__full_name="Ada Lee", timezone="UTC")
    start = (timezone.now() + dt.timedelta(days=1)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    slot = SlotFactory(
        doctor=doctor, starts_at=start, ends_at=start + dt.timedelta(minutes=30)
    )
    patient = UserFactory(full_name="Pat Patient", timezone="UTC")
    log_in(patient)

    # The doctor's page fills its slot panel with htmx; the time is a button
    # named for the day, the time and the doctor.
    page.goto(doctor.get_absolute_url())
    name = f"Book {start:%A} {start.day} {start:%B}, 09:30, with Dr Ada Lee"
    page.get_by_role("button", name=name).click()
    page.wait_for_url(re.compile(rf"/slots/{slot.pk}/book/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Confirm your booking"
    assert page.get_by_text("This time is held for you until").is_visible()

    # Too short first: the message sits beside the field and the text stays.
    page.get_by_label("Reason for the visit").fill("Cough")
    page.get_by_role("button", name="Confirm booking at 09:30").click()
    page.get_by_text("Please write at least 10 characters").wait_for()
    assert page.get_by_label("Reason for the visit").input_value() == "Cough"

    page.get_by_label("Reason for the visit").fill(
        "Cough for two weeks, worse at night"
    )
    page.get_by_role("button", name="Confirm booking at 09:30").click()
    page.wait_for_url(re.compile(r"/appointments/$"))
    page.get_by_text("Booked: Dr Ada Lee").wait_for()
    assert page.get_by_role("heading", level=1).inner_text() == "My appointments"
    card = page.locator("#appointment-list li.card").first
    assert "Dr Ada Lee" in card.inner_text()
    assert "Pending" in card.inner_text()

    appointment = Appointment.objects.get()
    assert appointment.patient == patient
    assert appointment.reason == "Cough for two weeks, worse at night"

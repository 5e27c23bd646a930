"""The .ics file: what a calendar may hold of an appointment."""

import pytest
from icalendar import Calendar

from appointments import ics
from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def test_no_health_detail_reaches_any_calendar_field():
    appointment = AppointmentFactory(
        reason="Lump in the left breast",
        status=Appointment.Status.CANCELLED,
        cancellation_reason="Referred to oncology",
    )
    text = ics.build(appointment).replace("\r\n ", "")  # unfold long lines
    (event,) = Calendar.from_ical(text).walk("VEVENT")
    assert "Lump" not in text and "oncology" not in text
    assert appointment.get_absolute_url() in str(event["description"])

"""The .ics file: what a calendar may hold of an appointment, served by both doors."""

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from accounts.tests.api import ApiClient
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


@time_machine.travel("2026-11-02 10:00Z", tick=False)
def test_the_page_and_the_api_serve_the_same_file(client, patient):
    appointment = AppointmentFactory(patient=patient)
    client.force_login(patient)
    page = client.get(reverse("appointments:ics", args=[appointment.pk]))
    api = ApiClient(patient).get(f"/api/v1/appointments/{appointment.pk}/ics/")
    assert page.content == api.content
    for header in ("Content-Type", "Content-Disposition"):
        assert page[header] == api[header]
    assert api["Content-Disposition"] == (
        f'attachment; filename="appointment-{appointment.pk}.ics"'
    )

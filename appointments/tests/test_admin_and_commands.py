import datetime as dt
from http import HTTPStatus
from io import StringIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory, SlotFactory
from notifications.models import Notification

pytestmark = pytest.mark.django_db

Status = Appointment.Status


def appointment_at(hours: float, **fields) -> Appointment:
    start = timezone.now() + dt.timedelta(hours=hours)
    return AppointmentFactory(
        slot=SlotFactory(
            starts_at=start, ends_at=start + dt.timedelta(minutes=30), is_booked=True
        ),
        **fields,
    )


def test_admin_lists_filters_and_searches_appointments(staff_client):
    appointment = appointment_at(24, patient__full_name="Greta Search")
    appointment_at(48)
    url = reverse("admin:appointments_appointment_changelist")
    assert staff_client.get(url).status_code == HTTPStatus.OK
    found = staff_client.get(url, {"q": "greta"})
    assert list(found.context["cl"].result_list) == [appointment]
    by_status = staff_client.get(url, {"status__exact": "confirmed"})
    assert list(by_status.context["cl"].result_list) == []
    detail = staff_client.get(
        reverse("admin:appointments_appointment_change", args=[appointment.pk])
    )
    assert detail.status_code == HTTPStatus.OK


def test_admin_cancel_selected_asks_a_reason_then_calls_the_service(staff_client):
    pending = appointment_at(24)
    done = appointment_at(-24, status=Status.COMPLETED)
    url = reverse("admin:appointments_appointment_changelist")
    data = {"action": "cancel_selected", ACTION_CHECKBOX_NAME: [pending.pk, done.pk]}
    page = staff_client.post(url, data)
    assert page.status_code == HTTPStatus.OK
    assert "Cancel appointments" in page.content.decode()
    response = staff_client.post(url, {**data, "reason": "Clinic closed for repairs"})
    assert response.status_code == HTTPStatus.FOUND
    pending.refresh_from_db()
    done.refresh_from_db()
    assert pending.status == Status.CANCELLED
    assert pending.cancellation_reason == "Clinic closed for repairs"
    assert pending.events.get().actor.is_staff
    assert done.status == Status.COMPLETED  # refused by the table, reported
    pending.slot.refresh_from_db()
    assert pending.slot.is_booked is False
    assert Notification.objects.filter(recipient=pending.patient).exists()
    assert Notification.objects.filter(recipient=pending.doctor.user).exists()


def test_close_past_appointments_command_prints_counts_and_is_idempotent():
    appointment_at(-2, status=Status.CONFIRMED)
    appointment_at(-1)
    out = StringIO()
    call_command("close_past_appointments", stdout=out)
    assert "Completed 1, cancelled 1" in out.getvalue()
    out = StringIO()
    call_command("close_past_appointments", stdout=out)
    assert "Completed 0, cancelled 0" in out.getvalue()

"""The reminder email's one-click links: signed, single-use, until the visit
starts; cancelling obeys the cancellation cutoff. No login: the link is the
credential."""

import datetime as dt
import json
import re
from http import HTTPStatus

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from appointments import reminders, services
from appointments.models import Appointment, AppointmentEvent
from appointments.tests.factories import AppointmentFactory, SlotFactory

Status = Appointment.Status
pytestmark = pytest.mark.django_db


def confirmed(hours: float, **kwargs) -> Appointment:
    return AppointmentFactory(
        slot__starts_at=timezone.now() + dt.timedelta(hours=hours),
        status=Status.CONFIRMED,
        time_set_at=timezone.now() - dt.timedelta(days=30),
        **kwargs,
    )


def path_of(appointment: Appointment, action: str) -> str:
    return reverse(
        "appointments:reminder_action",
        args=[reminders.action_token(appointment, action)],
    )


def test_the_reminder_email_carries_both_links(django_capture_on_commit_callbacks):
    appointment = confirmed(3)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_due_reminders() == 1
    [email] = mail.outbox
    links = re.findall(
        r"http://127\.0\.0\.1:8000(/appointments/reminder/\S+/)", email.body
    )
    assert len(links) == 2
    html = email.alternatives[0][0]
    for link in links:
        assert link in html
    assert {reminders.read_token(link.split("/")[-2])[1] for link in links} == {
        reminders.ATTEND,
        reminders.CANCEL,
    }
    assert all(
        reminders.read_token(link.split("/")[-2])[0] == appointment for link in links
    )


def test_get_asks_post_confirms_attendance_once_without_login(client):
    appointment = confirmed(30)
    path = path_of(appointment, reminders.ATTEND)
    page = client.get(path)
    assert page.status_code == HTTPStatus.OK
    assert b"Yes, I will come" in page.content
    appointment.refresh_from_db()
    assert appointment.attendance_confirmed_at is None  # GET changes nothing
    done = client.post(path)
    assert done.status_code == HTTPStatus.OK
    assert b"your doctor knows you are coming" in done.content
    appointment.refresh_from_db()
    assert appointment.attendance_confirmed_at is not None
    assert appointment.status == Status.CONFIRMED
    event = AppointmentEvent.objects.get(appointment=appointment)
    assert event.note == "The patient confirmed they will come."
    assert event.actor == appointment.patient
    # Single use.
    again = client.post(path)
    assert again.status_code == HTTPStatus.NOT_FOUND
    assert b"no longer works" in again.content
    assert client.get(path).status_code == HTTPStatus.NOT_FOUND
    assert AppointmentEvent.objects.filter(appointment=appointment).count() == 1


def test_the_cancel_link_cancels_as_the_patient(client):
    appointment = confirmed(30)
    response = client.post(path_of(appointment, reminders.CANCEL))
    assert response.status_code == HTTPStatus.OK
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    assert appointment.cancelled_by == appointment.patient
    appointment.slot.refresh_from_db()
    assert appointment.slot.is_booked is False


def test_the_cancel_link_obeys_the_cutoff_and_says_so(client):
    appointment = confirmed(1)  # inside the 2-hour cutoff
    path = path_of(appointment, reminders.CANCEL)
    response = client.post(path)
    assert response.status_code == HTTPStatus.CONFLICT
    assert b"2 hours" in response.content
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED


@pytest.mark.parametrize("action", [reminders.ATTEND, reminders.CANCEL])
def test_a_tampered_token_is_refused(client, action):
    appointment = confirmed(30)
    token = reminders.action_token(appointment, action)
    other = confirmed(40)
    # The other visit's claims under this visit's signature.
    claims, _, signature = token.partition(":")
    payload = json.loads(signing.b64_decode(claims.encode()))
    assert payload["a"] == appointment.pk
    forged_claims = signing.b64_encode(json.dumps({**payload, "a": other.pk}).encode())
    forged = f"{forged_claims.decode()}:{signature}"
    for bad in (forged, token[:-2] + "xx", "nonsense"):
        path = reverse("appointments:reminder_action", args=[bad])
        assert client.post(path).status_code == HTTPStatus.NOT_FOUND
    other.refresh_from_db()
    assert other.status == Status.CONFIRMED


def test_a_link_expires_when_the_visit_starts(client):
    appointment = confirmed(3)
    token = reminders.action_token(appointment, reminders.ATTEND)
    with pytest.raises(reminders.LinkInvalid):
        reminders.read_token(token, now=appointment.starts_at)
    reminders.read_token(token, now=appointment.starts_at - dt.timedelta(minutes=1))


def test_a_link_for_the_old_time_is_refused_after_a_reschedule(client):
    appointment = confirmed(30)
    path = path_of(appointment, reminders.CANCEL)
    new_slot = SlotFactory(
        doctor=appointment.doctor,
        starts_at=appointment.starts_at + dt.timedelta(days=1),
        ends_at=appointment.ends_at + dt.timedelta(days=1),
    )
    services.reschedule(
        user=appointment.patient, appointment_id=appointment.pk, new_slot_id=new_slot.pk
    )
    assert client.post(path).status_code == HTTPStatus.NOT_FOUND
    appointment.refresh_from_db()
    assert appointment.is_active


def test_the_links_are_rate_limited(one_rate_window, client):
    appointment = confirmed(30)
    path = path_of(appointment, reminders.ATTEND)
    statuses = [client.get(path).status_code for _ in range(21)]
    assert statuses[:20] == [HTTPStatus.OK] * 20
    assert statuses[20] == HTTPStatus.TOO_MANY_REQUESTS

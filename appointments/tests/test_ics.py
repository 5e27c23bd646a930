"""Calendar objects (RFC 5545/5546): what a calendar may hold of an appointment,
how it changes through the lifecycle, and how the emails carry it."""

import datetime as dt
from email.utils import parseaddr

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.tests.api import ApiClient
from appointments import ics, services
from appointments.models import Appointment
from appointments.tests.calendars import parse, the_event
from appointments.tests.factories import AppointmentFactory, SlotFactory
from doctors.tests.factories import DoctorProfileFactory
from notifications.tests.mail import calendar_parts

pytestmark = pytest.mark.django_db

Status = Appointment.Status
HEALTH = ("Lump in the left breast", "Referred to oncology", "Oncology")


def unfolded(text: str) -> str:
    return text.replace("\r\n ", "")


@pytest.fixture
def sensitive():
    """A visit whose reason, cancellation reason and specialization all say
    something about the patient's health."""
    doctor = DoctorProfileFactory(
        user__full_name="Ada Lee",
        specialization__name="Oncology",
        clinic_name="Mitte Health",
    )
    return AppointmentFactory(
        slot__doctor=doctor,
        reason="Lump in the left breast",
        status=Status.CANCELLED,
        cancellation_reason="Referred to oncology",
    )


@pytest.mark.parametrize("method", [ics.REQUEST, ics.CANCEL, ics.PUBLISH])
def test_no_health_detail_reaches_any_calendar_field(sensitive, method):
    text = ics.build(sensitive, method=method)
    _calendar, event = the_event(text)
    for detail in HEALTH:
        assert detail.lower() not in unfolded(text).lower()
    assert str(event["summary"]) == "Appointment with Dr Ada Lee · Mitte Health"
    assert sensitive.get_absolute_url() in str(event["description"])
    assert str(event["class"]) == "PRIVATE"


def test_the_practice_organizes_and_the_patient_attends(patient):
    appointment = AppointmentFactory(
        patient=patient, slot__doctor__user__full_name="Ada Lee"
    )
    _calendar, event = the_event(ics.build(appointment, method=ics.REQUEST))
    organizer, attendee = event["organizer"], event["attendee"]
    sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    assert str(organizer) == f"mailto:{sender}"
    assert organizer.params["CN"] == "Dr Ada Lee"
    assert str(attendee) == f"mailto:{patient.email}"
    assert attendee.params["CN"] == "Pat Patient"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["CUTYPE"] == "INDIVIDUAL"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    # The clinic reads no replies: no Accept/Decline mailing the no-reply address.
    assert attendee.params["RSVP"] == "FALSE"


def test_a_published_file_names_the_organizer_but_no_attendee(patient):
    """RFC 5546 3.2.1: PUBLISH has an ORGANIZER and no ATTENDEE."""
    appointment = AppointmentFactory(patient=patient)
    calendar, event = the_event(ics.build(appointment, method=ics.PUBLISH))
    assert str(calendar["method"]) == "PUBLISH"
    assert "organizer" in event and "attendee" not in event


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
    parse(page.content.decode())


# --- Through the lifecycle ------------------------------------------------------


@pytest.fixture
def start():
    day = timezone.now().date() + dt.timedelta(days=3)
    return dt.datetime.combine(day, dt.time(14, 0), tzinfo=dt.UTC)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(service, **kwargs):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def objects_sent() -> dict[str, tuple[str, object, object]]:
    """For each email sent: recipient -> (Content-Type, calendar, its VEVENT),
    each calendar read by all three parsers."""
    sent = {}
    for email in mail.outbox:
        [(_filename, text, content_type)] = calendar_parts(email)
        calendar, event = the_event(text)
        sent[email.to[0]] = (content_type, calendar, event)
    return sent


def check(sent, *, method: str, sequence: int, status: str, uid: str):
    for content_type, calendar, event in sent.values():
        assert content_type == f"text/calendar; charset=utf-8; method={method}"
        assert str(calendar["method"]) == method
        assert int(event["sequence"]) == sequence
        assert str(event["status"]) == status
        assert str(event["uid"]) == uid


def test_confirm_reschedule_cancel_raise_the_sequence_in_the_emails(
    committed, patient, doctor, start
):
    first = SlotFactory(doctor=doctor, starts_at=start)
    later = SlotFactory(doctor=doctor, starts_at=start + dt.timedelta(hours=2))
    appointment = committed(
        services.book, patient=patient, slot_id=first.pk, reason="Cough"
    )
    uid = ics.uid(appointment)
    sent = objects_sent()
    assert set(sent) == {doctor.user.email}  # asked to confirm, tentatively
    check(sent, method="REQUEST", sequence=0, status="TENTATIVE", uid=uid)

    committed(services.confirm, user=doctor.user, appointment_id=appointment.pk)
    sent = objects_sent()
    assert set(sent) == {patient.email}
    check(sent, method="REQUEST", sequence=1, status="CONFIRMED", uid=uid)

    committed(
        services.reschedule,
        user=patient,
        appointment_id=appointment.pk,
        new_slot_id=later.pk,
    )
    sent = objects_sent()
    assert set(sent) == {patient.email, doctor.user.email}
    check(sent, method="REQUEST", sequence=2, status="TENTATIVE", uid=uid)
    for _type, _calendar, event in sent.values():
        assert event.decoded("dtstart") == later.starts_at

    committed(
        services.cancel, user=patient, appointment_id=appointment.pk, reason="Better"
    )
    sent = objects_sent()
    assert set(sent) == {patient.email, doctor.user.email}
    check(sent, method="CANCEL", sequence=3, status="CANCELLED", uid=uid)


def test_a_move_and_a_cancellation_by_the_doctor_reach_the_patient(
    committed, patient, doctor, start
):
    first = SlotFactory(doctor=doctor, starts_at=start)
    later = SlotFactory(doctor=doctor, starts_at=start + dt.timedelta(hours=2))
    appointment = AppointmentFactory(patient=patient, slot=first, status="confirmed")
    uid = ics.uid(appointment)
    committed(
        services.reschedule,
        user=doctor.user,
        appointment_id=appointment.pk,
        new_slot_id=later.pk,
    )
    sent = objects_sent()
    assert set(sent) == {patient.email}
    check(sent, method="REQUEST", sequence=1, status="CONFIRMED", uid=uid)
    committed(
        services.cancel,
        user=doctor.user,
        appointment_id=appointment.pk,
        reason="Closed",
    )
    sent = objects_sent()
    assert set(sent) == {patient.email}
    check(sent, method="CANCEL", sequence=2, status="CANCELLED", uid=uid)


@pytest.mark.parametrize(
    ("action", "status", "minutes_after_start"),
    [
        ("confirm", Status.PENDING, -600),
        ("decline", Status.PENDING, -600),
        ("complete", Status.CONFIRMED, 40),
        ("mark_no_show", Status.CONFIRMED, 40),
    ],
)
def test_every_status_change_raises_the_sequence(
    doctor, start, action, status, minutes_after_start
):
    appointment = AppointmentFactory(
        slot=SlotFactory(doctor=doctor, starts_at=start), status=status
    )
    kwargs = {"reason": "Away"} if action == "decline" else {}
    getattr(services, action)(
        user=doctor.user,
        appointment_id=appointment.pk,
        now=start + dt.timedelta(minutes=minutes_after_start),
        **kwargs,
    )
    appointment.refresh_from_db()
    assert appointment.calendar_sequence == 1
    _calendar, event = the_event(ics.build(appointment))
    assert int(event["sequence"]) == 1


def test_a_booking_never_confirmed_is_withdrawn_from_both_calendars(
    committed, patient, doctor, start
):
    """The doctor got it as tentative with the booking: both get the CANCEL."""
    appointment = AppointmentFactory(
        patient=patient, slot=SlotFactory(doctor=doctor, starts_at=start)
    )
    committed(services.close_past_appointments, now=start + dt.timedelta(minutes=1))
    sent = objects_sent()
    assert set(sent) == {patient.email, doctor.user.email}
    check(
        sent, method="CANCEL", sequence=1, status="CANCELLED", uid=ics.uid(appointment)
    )

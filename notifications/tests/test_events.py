"""Each event of the notifications issue's table produces exactly the listed
notifications (in-app) and emails, with names, times in the recipient's zone, a
link back and, for a booking, confirmation, move or cancellation, the calendar
object (test_calendar_emails).

event                                  recipient           in-app / email
someone follows me                     doctor              yes / no
appointment booked (pending)           doctor              yes / yes + .ics
appointment booked with auto-confirm   doctor and patient  yes / yes + .ics
confirmed                              patient             yes / yes + .ics
declined / cancelled by doctor         patient             yes / yes + reason, .ics
cancelled by patient                   doctor (+ receipt)  yes / yes + .ics
rescheduled                            the other party     yes / yes + .ics
                                       (+ receipt)
completed                              patient             yes (review) / yes
reminder 24 h before a confirmed visit patient             test_send_reminders
doctor application approved / rejected applicant           yes / yes
review hidden (reviews issue)          author              yes / yes
"""

import datetime as dt
import logging
import zoneinfo
from http import HTTPStatus

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from appointments import services as appointments
from appointments.models import Appointment
from appointments.tests.factories import SlotFactory
from doctors import services as doctors
from doctors.models import DoctorProfile
from doctors.tests.factories import DoctorProfileFactory
from notifications import tasks
from notifications.models import Notification
from notifications.tests import backends
from notifications.tests.mail import calendar_parts
from reviews import services as reviews
from reviews.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
SITE = "http://127.0.0.1:8000"
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _no_retry_wait(monkeypatch):
    monkeypatch.setattr(tasks.time, "sleep", lambda seconds: None)


@pytest.fixture
def doctor(doctor):
    """Dr Ada Lee reads times in Berlin; she confirms bookings herself."""
    doctor.user.timezone = "Europe/Berlin"
    doctor.user.save()
    return doctor


@pytest.fixture
def patient(patient):
    """Pat Patient reads times in New York."""
    patient.timezone = "America/New_York"
    patient.save()
    return patient


@pytest.fixture
def start():
    day = timezone.now().date() + dt.timedelta(days=3)
    return dt.datetime.combine(day, dt.time(14, 0), tzinfo=dt.UTC)


@pytest.fixture
def slot(doctor, start):
    return SlotFactory(doctor=doctor, starts_at=start)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service and its on-commit emails, as after a real commit."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def local(moment: dt.datetime, zone) -> str:
    """ "Tue 3 Dec 2026, 09:30" in `zone`."""
    moment = moment.astimezone(zone)
    return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M}"


def inbox() -> list[tuple[str, str]]:
    return sorted(
        (n.recipient.email, n.kind)
        for n in Notification.objects.select_related("recipient")
    )


def sent() -> list[tuple[str, str]]:
    return sorted((email.to[0], email.subject) for email in mail.outbox)


def html_of(email) -> str:
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    return html


def book(committed, patient, slot) -> Appointment:
    return committed(
        appointments.book, patient=patient, slot_id=slot.pk, reason="Chest pain"
    )


def fresh(appointment: Appointment) -> Appointment:
    """Booked and acted on, with the booking's notifications and emails cleared."""
    Notification.objects.all().delete()
    mail.outbox.clear()
    return appointment


def test_someone_follows_me_is_in_app_only(committed, patient, doctor):
    committed(doctors.follow, patient=patient, doctor=doctor)
    assert inbox() == [(doctor.user.email, Kind.FOLLOWED)]
    assert "Pat P. started following you." in Notification.objects.get().message
    assert mail.outbox == []


def test_a_pending_booking_tells_the_doctor_in_app_and_by_email(
    committed, patient, doctor, slot, start
):
    appointment = book(committed, patient, slot)
    assert appointment.status == Appointment.Status.PENDING
    assert inbox() == [(doctor.user.email, Kind.APPOINTMENT_BOOKED)]
    when = local(start, BERLIN)
    assert sent() == [
        (
            doctor.user.email,
            f"[Clinic] New appointment request from Pat Patient, {when}",
        )
    ]
    [email] = mail.outbox
    assert "Please confirm or decline it." in email.body
    assert f"{when}–" in email.body
    assert "(Europe/Berlin)" in email.body
    assert f"{SITE}{appointment.get_absolute_url()}" in email.body
    assert f'href="{SITE}{appointment.get_absolute_url()}"' in html_of(email)
    assert "Pat Patient" in html_of(email)
    [(filename, content, content_type)] = calendar_parts(email)
    assert content_type == "text/calendar; charset=utf-8; method=REQUEST"
    assert "STATUS:TENTATIVE" in content


def test_an_auto_confirmed_booking_tells_doctor_and_patient(
    committed, patient, doctor, slot, start
):
    DoctorProfile.objects.filter(pk=doctor.pk).update(auto_confirm=True)
    appointment = book(committed, patient, slot)
    assert appointment.status == Appointment.Status.CONFIRMED
    assert inbox() == sorted(
        [
            (doctor.user.email, Kind.APPOINTMENT_BOOKED),
            (patient.email, Kind.APPOINTMENT_CONFIRMED),
        ]
    )
    assert sent() == sorted(
        [
            (
                doctor.user.email,
                f"[Clinic] New appointment with Pat Patient, {local(start, BERLIN)}",
            ),
            (
                patient.email,
                f"[Clinic] Appointment confirmed: Dr Ada Lee, {local(start, NEW_YORK)}",
            ),
        ]
    )
    for email in mail.outbox:
        [(filename, content, content_type)] = calendar_parts(email)
        assert (filename, content_type) == (
            f"appointment-{appointment.pk}.ics",
            "text/calendar; charset=utf-8; method=REQUEST",
        )
        assert f"DTSTART:{start:%Y%m%dT%H%M%S}Z" in content


def test_a_confirmation_tells_the_patient_with_the_ics_attached(
    committed, patient, doctor, slot, start
):
    appointment = fresh(book(committed, patient, slot))
    committed(appointments.confirm, user=doctor.user, appointment_id=appointment.pk)
    assert inbox() == [(patient.email, Kind.APPOINTMENT_CONFIRMED)]
    when = local(start, NEW_YORK)
    assert sent() == [
        (patient.email, f"[Clinic] Appointment confirmed: Dr Ada Lee, {when}")
    ]
    [email] = mail.outbox
    assert f"{when}–" in email.body
    assert "(America/New_York)" in email.body
    assert "The calendar invitation is attached." in email.body
    [(filename, content, content_type)] = calendar_parts(email)
    assert filename == f"appointment-{appointment.pk}.ics"
    assert content_type == "text/calendar; charset=utf-8; method=REQUEST"
    assert "BEGIN:VCALENDAR" in content
    assert f"DTSTART:{start:%Y%m%dT%H%M%S}Z" in content


@pytest.mark.parametrize("confirm_first", [False, True], ids=["declined", "cancelled"])
def test_declined_or_cancelled_by_the_doctor_tells_the_patient_why(
    committed, patient, doctor, slot, start, confirm_first
):
    appointment = book(committed, patient, slot)
    if confirm_first:
        committed(appointments.confirm, user=doctor.user, appointment_id=appointment.pk)
    fresh(appointment)
    committed(
        appointments.cancel,
        user=doctor.user,
        appointment_id=appointment.pk,
        reason="The clinic is closed for repairs",
    )
    assert inbox() == [(patient.email, Kind.APPOINTMENT_CANCELLED)]
    when = local(start, NEW_YORK)
    assert sent() == [
        (patient.email, f"[Clinic] Appointment with Dr Ada Lee cancelled: {when}")
    ]
    [email] = mail.outbox
    assert "Reason: The clinic is closed for repairs" in email.body
    assert "The clinic is closed for repairs" in html_of(email)
    verb = "cancelled" if confirm_first else "declined"
    assert f"Dr Ada Lee {verb} your appointment" in email.body


def test_cancelled_by_the_patient_tells_the_doctor(
    committed, patient, doctor, slot, start
):
    appointment = book(committed, patient, slot)
    committed(appointments.confirm, user=doctor.user, appointment_id=appointment.pk)
    fresh(appointment)
    committed(
        appointments.cancel,
        user=patient,
        appointment_id=appointment.pk,
        reason="Feeling better",
    )
    assert inbox() == sorted(
        [
            (doctor.user.email, Kind.APPOINTMENT_CANCELLED),
            (patient.email, Kind.APPOINTMENT_CANCELLED),
        ]
    )
    assert sent() == sorted(
        [
            (
                doctor.user.email,
                "[Clinic] Pat Patient cancelled the appointment on "
                f"{local(start, BERLIN)}",
            ),
            (
                patient.email,
                "[Clinic] Appointment with Dr Ada Lee cancelled: "
                f"{local(start, NEW_YORK)}",
            ),
        ]
    )
    receipt = next(e for e in mail.outbox if e.to == [patient.email])
    assert "You cancelled your appointment with Dr Ada Lee" in receipt.body
    assert "Feeling better" not in calendar_parts(receipt)[0][1]


def test_a_reschedule_tells_the_other_party(committed, patient, doctor, slot, start):
    appointment = fresh(book(committed, patient, slot))
    later = SlotFactory(doctor=doctor, starts_at=start + dt.timedelta(hours=2))
    committed(
        appointments.reschedule,
        user=patient,
        appointment_id=appointment.pk,
        new_slot_id=later.pk,
    )
    assert inbox() == sorted(
        [
            (doctor.user.email, Kind.APPOINTMENT_RESCHEDULED),
            (patient.email, Kind.APPOINTMENT_RESCHEDULED),
        ]
    )
    new_when = local(later.starts_at, BERLIN)
    assert sent() == sorted(
        [
            (
                doctor.user.email,
                f"[Clinic] Appointment moved to {new_when} (Pat Patient)",
            ),
            (
                patient.email,
                "[Clinic] Appointment moved to "
                f"{local(later.starts_at, NEW_YORK)} (Dr Ada Lee)",
            ),
        ]
    )
    email = next(e for e in mail.outbox if e.to == [doctor.user.email])
    assert f"It was at {local(start, BERLIN)}." in email.body
    assert f"{new_when}–" in email.body


def test_a_completed_visit_invites_the_patient_to_review(
    committed, patient, doctor, slot, start
):
    appointment = book(committed, patient, slot)
    committed(appointments.confirm, user=doctor.user, appointment_id=appointment.pk)
    fresh(appointment)
    committed(
        appointments.complete,
        user=doctor.user,
        appointment_id=appointment.pk,
        now=start + dt.timedelta(minutes=40),
    )
    [notification] = Notification.objects.all()
    assert (notification.recipient, notification.kind) == (
        patient,
        Kind.APPOINTMENT_COMPLETED,
    )
    assert "review" in notification.message.lower()
    assert sent() == [(patient.email, "[Clinic] How was your visit with Dr Ada Lee?")]
    [email] = mail.outbox
    assert "Write a review:" in email.body
    assert f"{SITE}{notification.link}" in email.body


def test_an_approved_application_tells_the_applicant(committed, staff):
    profile = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    committed(doctors.approve, profile=profile, by=staff)
    assert inbox() == [(profile.user.email, Kind.APPLICATION_APPROVED)]
    assert sent() == [
        (profile.user.email, "[Clinic] You are now listed as a doctor on Clinic")
    ]
    assert f"{SITE}{profile.get_absolute_url()}" in mail.outbox[0].body


def test_a_rejected_application_tells_the_applicant_why(committed, staff):
    profile = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    committed(
        doctors.reject, profile=profile, by=staff, reason="License number unknown"
    )
    assert inbox() == [(profile.user.email, Kind.APPLICATION_REJECTED)]
    assert sent() == [
        (profile.user.email, "[Clinic] Your doctor application was not approved")
    ]
    assert "Reason: License number unknown" in mail.outbox[0].body


def test_a_hidden_review_tells_its_author(committed, staff):
    review = ReviewFactory()
    committed(
        reviews.hide, staff=staff, review_id=review.pk, reason="Personal data inside"
    )
    assert inbox() == [(review.patient.email, Kind.REVIEW_HIDDEN)]
    doctor = review.doctor.user.full_name
    assert sent() == [
        (review.patient.email, f"[Clinic] Your review of Dr {doctor} was hidden")
    ]
    assert "Personal data inside" in mail.outbox[0].body


def test_a_booking_rolled_back_sends_nothing(
    patient, slot, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        appointments.book(patient=patient, slot_id=slot.pk, reason="Chest pain")
        raise RuntimeError("something after the booking failed")
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()
    assert not Appointment.objects.exists()


def test_a_failing_smtp_server_does_not_break_the_booking(
    committed, patient, doctor, slot, settings, caplog
):
    settings.EMAIL_BACKEND = "notifications.tests.backends.FailingEmailBackend"
    backends.FailingEmailBackend.attempts = 0
    with caplog.at_level(logging.WARNING, logger="notifications.tasks"):
        appointment = book(committed, patient, slot)
    assert Appointment.objects.filter(pk=appointment.pk).exists()
    assert inbox() == [(doctor.user.email, Kind.APPOINTMENT_BOOKED)]
    assert backends.FailingEmailBackend.attempts == tasks.SEND_ATTEMPTS
    assert "Giving up on '[Clinic] New appointment request" in caplog.text


def test_a_failing_smtp_server_does_not_break_the_booking_page(
    client, patient, doctor, slot, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "notifications.tests.backends.FailingEmailBackend"
    backends.FailingEmailBackend.attempts = 0
    client.force_login(patient)
    with (
        caplog.at_level(logging.WARNING, logger="notifications.tasks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            reverse("appointments:confirm", args=[slot.pk]),
            {"reason": "Chest pain since Monday"},
        )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("appointments:list")
    assert Appointment.objects.filter(patient=patient, slot=slot).exists()
    assert backends.FailingEmailBackend.attempts == tasks.SEND_ATTEMPTS
    assert "Giving up" in caplog.text


def test_an_auto_confirmed_booking_does_not_say_the_doctor_confirmed_it(
    committed, patient, doctor, slot
):
    DoctorProfile.objects.filter(pk=doctor.pk).update(auto_confirm=True)
    book(committed, patient, slot)
    notice = Notification.objects.get(recipient=patient)
    [email] = [email for email in mail.outbox if email.to == [patient.email]]
    for text in (notice.message, email.body, html_of(email)):
        assert "Dr Ada Lee confirmed" not in text
    assert "Your appointment with Dr Ada Lee is confirmed." in email.body
    assert notice.message.startswith("Your appointment with Dr Ada Lee on ")


def test_a_confirmation_by_the_doctor_says_the_doctor_confirmed_it(
    committed, patient, doctor, slot
):
    appointment = fresh(book(committed, patient, slot))
    committed(appointments.confirm, user=doctor.user, appointment_id=appointment.pk)
    notice = Notification.objects.get(recipient=patient)
    [email] = mail.outbox
    assert notice.message.startswith("Dr Ada Lee confirmed your appointment on ")
    assert "Dr Ada Lee confirmed your appointment." in email.body
    assert "Dr Ada Lee confirmed your appointment." in html_of(email)


def test_emails_carry_the_clinics_name(committed, patient, doctor, slot, settings):
    settings.CLINIC_NAME = "Praxis Mitte"
    book(committed, patient, slot)
    [email] = mail.outbox
    assert email.subject.startswith("[Praxis Mitte] ")
    assert "\n-- \nPraxis Mitte\n" in email.body
    assert "Praxis Mitte" in html_of(email)

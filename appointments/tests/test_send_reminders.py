"""`appointments.reminders` and its door `manage.py send_reminders`: each confirmed
visit's 24-hour reminder, exactly once."""

import datetime as dt
import io
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from appointments import reminders, services
from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory, SlotFactory
from notifications.models import EmailPreference, Notification

Kind = Notification.Kind
Status = Appointment.Status


def in_hours(hours: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0)


def confirmed(starts_at: dt.datetime, **kwargs) -> Appointment:
    return AppointmentFactory(
        slot__starts_at=starts_at, status=Status.CONFIRMED, **kwargs
    )


def send_reminders() -> str:
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    return out.getvalue()


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Send the due reminders with the emails queued on commit actually sent;
    returns how many were sent."""

    def run_service() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return reminders.send_due_reminders()

    return run_service


@pytest.mark.django_db
def test_the_command_sends_the_due_reminders_and_says_how_many(
    django_capture_on_commit_callbacks,
):
    confirmed(in_hours(3))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders() == "Sent 1 reminder.\n"
    assert len(mail.outbox) == 1
    assert send_reminders() == "Sent 0 reminders.\n"


@pytest.mark.django_db
def test_a_confirmed_visit_within_24_hours_gets_one_reminder_in_app_and_by_email(
    run, patient, doctor
):
    patient.timezone = "Asia/Tokyo"
    patient.save()
    starts_at = in_hours(3)
    appointment = confirmed(starts_at, patient=patient, slot__doctor=doctor)

    assert run() == 1

    appointment.refresh_from_db()
    assert appointment.reminder_sent_at is not None
    [notification] = Notification.objects.filter(recipient=patient)
    assert notification.kind == Kind.APPOINTMENT_REMINDER
    assert notification.link == appointment.get_absolute_url()
    tokyo = starts_at.astimezone(dt.timezone(dt.timedelta(hours=9)))
    when = f"{tokyo:%a} {tokyo.day} {tokyo:%b %Y, %H:%M}"
    assert when in notification.message
    [email] = mail.outbox
    assert email.to == [patient.email]
    assert email.subject == f"[Clinic] Reminder: your visit with Dr Ada Lee, {when}"
    assert f"{when}–" in email.body
    assert "(Asia/Tokyo)" in email.body
    assert f"http://127.0.0.1:8000{appointment.get_absolute_url()}" in email.body
    assert Notification.objects.filter(recipient=doctor.user).count() == 0


@pytest.mark.django_db
def test_running_twice_sends_nothing_the_second_time(run):
    confirmed(in_hours(5))
    confirmed(in_hours(20))
    assert run() == 2
    assert run() == 0
    assert Notification.objects.filter(kind=Kind.APPOINTMENT_REMINDER).count() == 2
    assert len(mail.outbox) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("hours", "status"),
    [
        (25, Status.CONFIRMED),  # too early: more than 24 h ahead
        (-1, Status.CONFIRMED),  # already started
        (3, Status.PENDING),
        (3, Status.CANCELLED),
        (3, Status.COMPLETED),
    ],
)
def test_only_confirmed_visits_in_the_next_24_hours_are_reminded(run, hours, status):
    AppointmentFactory(slot__starts_at=in_hours(hours), status=status)
    assert run() == 0
    assert not Notification.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_reminder_already_marked_sent_is_not_sent_again(run):
    confirmed(in_hours(2), reminder_sent_at=timezone.now())
    assert run() == 0


@pytest.mark.django_db
def test_a_patient_who_switched_reminder_emails_off_still_sees_it_in_the_inbox(
    run, patient
):
    EmailPreference.objects.create(
        user=patient, kind=Kind.APPOINTMENT_REMINDER, enabled=False
    )
    confirmed(in_hours(2), patient=patient)
    assert run() == 1
    assert Notification.objects.filter(recipient=patient).count() == 1
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_failing_notification_leaves_the_reminder_unsent_for_the_next_run(
    run, monkeypatch
):
    appointment = confirmed(in_hours(2))

    def broken_notify(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(reminders, "notify", broken_notify)
    with pytest.raises(RuntimeError):
        run()
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at is None  # rolled back with the failure
    monkeypatch.undo()
    assert run() == 1


@pytest.mark.django_db
def test_a_rescheduled_visit_is_reminded_again_for_its_new_time(run, patient, doctor):
    doctor.auto_confirm = True  # the moved visit stays confirmed
    doctor.save()
    appointment = confirmed(in_hours(5), patient=patient, slot__doctor=doctor)
    assert run() == 1
    new_slot = SlotFactory(doctor=doctor, starts_at=in_hours(8), ends_at=in_hours(9))
    services.reschedule(
        user=patient, appointment_id=appointment.pk, new_slot_id=new_slot.pk
    )
    assert run() == 1
    assert run() == 0
    first, second = Notification.objects.filter(
        recipient=patient, kind=Kind.APPOINTMENT_REMINDER
    ).order_by("pk")
    assert first.message != second.message  # the new time


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_each_reminder_exactly_once():
    appointments = [confirmed(in_hours(1 + i)) for i in range(5)]
    runs = 8
    barrier = threading.Barrier(runs)
    outputs, errors = [], []

    def one_run():
        try:
            barrier.wait(timeout=30)
            outputs.append(reminders.send_due_reminders())
        except Exception as error:  # noqa: BLE001 — asserted empty below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(outputs) == runs
    assert sum(outputs) == len(appointments)
    assert Notification.objects.filter(kind=Kind.APPOINTMENT_REMINDER).count() == 5
    assert sorted(email.to[0] for email in mail.outbox) == sorted(
        a.patient.email for a in appointments
    )
    assert not Appointment.objects.filter(reminder_sent_at__isnull=True).exists()

"""`appointments.reminders` and its door `manage.py send_reminders`: each confirmed
visit's reminders (REMINDER_OFFSETS, default 7 days and 24 hours before), each
exactly once, and the notice of a booking still pending."""

import datetime as dt
import io
import threading
from http import HTTPStatus

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from appointments import reminders, services
from appointments.models import Appointment, SentReminder
from appointments.tests.factories import AppointmentFactory, SlotFactory
from notifications.models import EmailPreference, Notification, OptOut

Kind = Notification.Kind
Status = Appointment.Status


def in_hours(hours: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0)


def confirmed(starts_at: dt.datetime, **kwargs) -> Appointment:
    """A confirmed visit booked a month ago: every reminder's moment came after."""
    kwargs.setdefault("time_set_at", timezone.now() - dt.timedelta(days=30))
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
        (24 * 7 + 1, Status.CONFIRMED),  # too early: more than 7 days ahead
        (-1, Status.CONFIRMED),  # already started
        (3, Status.PENDING),
        (3, Status.CANCELLED),
        (3, Status.COMPLETED),
    ],
)
def test_only_confirmed_visits_within_an_offset_are_reminded(
    run, settings, hours, status
):
    settings.PENDING_NOTICE_AFTER = "0"  # the pending notice is tested below
    AppointmentFactory(
        slot__starts_at=in_hours(hours),
        status=status,
        time_set_at=timezone.now() - dt.timedelta(days=30),
    )
    assert run() == 0
    assert not Notification.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_reminder_already_sent_is_not_sent_again(run):
    appointment = confirmed(in_hours(2))
    for offset in (dt.timedelta(days=7), dt.timedelta(hours=24)):
        SentReminder.objects.create(
            appointment=appointment, kind=SentReminder.Kind.BEFORE_VISIT, offset=offset
        )
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
    assert not SentReminder.objects.filter(appointment=appointment).exists()
    monkeypatch.undo()
    assert run() == 1


@pytest.mark.django_db
def test_each_offset_is_sent_once_at_its_own_moment(run, settings):
    settings.REMINDER_OFFSETS = "7d,24h"
    now = timezone.now()
    appointment = confirmed(now + dt.timedelta(days=10))
    later = reminders.send_due_reminders
    assert later(now=now) == 0
    assert later(now=now + dt.timedelta(days=3, hours=1)) == 1  # 7 days before
    assert later(now=now + dt.timedelta(days=3, hours=2)) == 0
    assert later(now=now + dt.timedelta(days=9, hours=1)) == 1  # 24 hours before
    assert later(now=now + dt.timedelta(days=9, hours=2)) == 0
    assert sorted(
        SentReminder.objects.filter(appointment=appointment).values_list(
            "offset", flat=True
        )
    ) == [dt.timedelta(hours=24), dt.timedelta(days=7)]
    assert Notification.objects.filter(kind=Kind.APPOINTMENT_REMINDER).count() == 2


@pytest.mark.django_db
def test_the_clinic_sets_the_schedule(run, settings):
    settings.REMINDER_OFFSETS = "2h"
    confirmed(in_hours(3))
    assert run() == 0  # not within 2 hours yet
    confirmed(in_hours(1))
    assert run() == 1


@pytest.mark.django_db
def test_a_bad_schedule_is_a_configuration_error(settings):
    settings.REMINDER_OFFSETS = "7 days"
    with pytest.raises(ImproperlyConfigured):
        reminders.send_due_reminders()


@pytest.mark.django_db
def test_a_reminder_whose_moment_passed_before_the_booking_is_not_sent_late(run):
    # Booked two days ahead: no 7-day reminder now, the 24-hour one later.
    now = timezone.now()
    appointment = confirmed(now + dt.timedelta(days=2), time_set_at=now)
    assert reminders.send_due_reminders(now=now + dt.timedelta(minutes=5)) == 0
    assert reminders.send_due_reminders(now=now + dt.timedelta(hours=25)) == 1
    assert list(
        SentReminder.objects.filter(appointment=appointment).values_list(
            "offset", flat=True
        )
    ) == [dt.timedelta(hours=24)]


@pytest.mark.django_db
def test_several_due_at_once_send_one_reminder(run):
    # The command did not run for a week: one reminder, both offsets settled.
    appointment = confirmed(in_hours(3))
    assert run() == 1
    assert SentReminder.objects.filter(appointment=appointment).count() == 2
    assert Notification.objects.count() == 1


@pytest.mark.django_db
def test_a_patient_who_turned_reminders_off_gets_none(run, patient, client):
    client.force_login(patient)
    # Reminders unticked (an email box ticked, as the page sends).
    response = client.post(
        reverse("notifications:settings"), {"appointment_booked": "on"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert OptOut.objects.filter(user=patient).exists()
    confirmed(in_hours(2), patient=patient)
    run()
    assert not Notification.objects.filter(recipient=patient).exists()
    assert mail.outbox == []
    # Ticked again: the next visit is reminded.
    client.post(
        reverse("notifications:settings"), {"optional-appointment_reminder": "on"}
    )
    confirmed(in_hours(4), patient=patient)
    assert run() == 1
    assert Notification.objects.filter(recipient=patient).count() == 1


@pytest.mark.django_db
def test_a_rescheduled_visit_is_reminded_again_for_its_new_time(patient, doctor):
    doctor.auto_confirm = True  # the moved visit stays confirmed
    doctor.save()
    now = timezone.now()
    appointment = confirmed(in_hours(5), patient=patient, slot__doctor=doctor)
    assert reminders.send_due_reminders(now=now) == 1
    new_slot = SlotFactory(doctor=doctor, starts_at=in_hours(48), ends_at=in_hours(49))
    services.reschedule(
        user=patient, appointment_id=appointment.pk, new_slot_id=new_slot.pk, now=now
    )
    assert not SentReminder.objects.filter(appointment=appointment).exists()
    # Moved two days ahead: the 24-hour reminder of the new time, not the 7-day.
    assert reminders.send_due_reminders(now=now + dt.timedelta(hours=1)) == 0
    assert reminders.send_due_reminders(now=now + dt.timedelta(hours=25)) == 1
    assert reminders.send_due_reminders(now=now + dt.timedelta(hours=26)) == 0
    first, second = Notification.objects.filter(
        recipient=patient, kind=Kind.APPOINTMENT_REMINDER
    ).order_by("pk")
    assert first.message != second.message  # the new time


@pytest.mark.django_db
def test_a_booking_still_pending_tells_its_patient_once(settings, patient):
    settings.PENDING_NOTICE_AFTER = "24h"
    now = timezone.now()
    appointment = AppointmentFactory(
        patient=patient,
        slot__starts_at=now + dt.timedelta(days=5),
        status=Status.PENDING,
        time_set_at=now,
    )
    assert reminders.send_due_reminders(now=now + dt.timedelta(hours=23)) == 0
    assert reminders.send_due_reminders(now=now + dt.timedelta(hours=25)) == 1
    assert reminders.send_due_reminders(now=now + dt.timedelta(hours=26)) == 0
    [notice] = Notification.objects.filter(recipient=patient)
    assert notice.kind == Kind.APPOINTMENT_PENDING
    assert "still waiting for the doctor's confirmation" in notice.message
    assert notice.link == appointment.get_absolute_url()


@pytest.mark.django_db
def test_a_confirmed_booking_gets_no_pending_notice(settings):
    settings.PENDING_NOTICE_AFTER = "24h"
    now = timezone.now()
    AppointmentFactory(
        slot__starts_at=now + dt.timedelta(days=5),
        status=Status.CONFIRMED,
        time_set_at=now,
    )
    assert reminders.due_pending_notices(now=now + dt.timedelta(hours=25)) == []


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
    # Both offsets were due; each settled once.
    assert SentReminder.objects.count() == 2 * len(appointments)

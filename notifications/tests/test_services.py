import datetime as dt
import logging

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from notifications import services, tasks
from notifications.models import EmailPreference, Notification
from notifications.tests import backends
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


@pytest.fixture(autouse=True)
def _no_retry_wait(monkeypatch):
    monkeypatch.setattr(tasks.time, "sleep", lambda seconds: None)


def notify_booked(recipient, **kwargs):
    return services.notify(
        recipient=recipient,
        kind=Kind.APPOINTMENT_BOOKED,
        message="Pat Patient booked Tue 3 Dec 2026, 09:30.",
        link="/appointments/1/",
        **kwargs,
    )


def test_notify_writes_the_row_and_emails_after_commit(
    patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify_booked(patient)
        assert mail.outbox == []  # not before the commit
    assert notification.recipient == patient
    assert notification.is_unread
    [email] = mail.outbox
    assert email.to == [patient.email]
    assert email.subject == "[Clinic] Pat Patient booked Tue 3 Dec 2026, 09:30."
    assert "http://127.0.0.1:8000/appointments/1/" in email.body
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    assert 'href="http://127.0.0.1:8000/appointments/1/"' in html


def test_nothing_is_sent_when_the_transaction_rolls_back(
    patient, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify_booked(patient)
        raise RuntimeError("the booking failed after notifying")
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_in_app_only_kinds_never_email(doctor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            recipient=doctor.user, kind=Kind.FOLLOWED, message="Pat P. follows you."
        )
    assert Notification.objects.filter(recipient=doctor.user).count() == 1
    assert mail.outbox == []


def test_a_kind_switched_off_still_reaches_the_inbox_but_not_the_mailbox(
    patient, django_capture_on_commit_callbacks
):
    EmailPreference.objects.create(
        user=patient, kind=Kind.APPOINTMENT_BOOKED, enabled=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        notify_booked(patient)
        services.notify(
            recipient=patient, kind=Kind.APPOINTMENT_REMINDER, message="Tomorrow"
        )
    assert Notification.objects.filter(recipient=patient).count() == 2
    assert [email.subject for email in mail.outbox] == ["[Clinic] Tomorrow"]


def test_email_is_on_by_default_for_every_kind_but_in_app_only_ones(patient):
    for kind in Kind:
        expected = kind != Kind.FOLLOWED
        assert services.wants_email(user=patient, kind=kind) is expected


def test_a_user_without_an_email_address_gets_the_row_only(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(email="")
    with django_capture_on_commit_callbacks(execute=True):
        notify_booked(user)
    assert Notification.objects.filter(recipient=user).exists()
    assert mail.outbox == []


def test_a_failing_smtp_server_is_retried_logged_and_does_not_raise(
    patient, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "notifications.tests.backends.FailingEmailBackend"
    backends.FailingEmailBackend.attempts = 0
    with (
        caplog.at_level(logging.WARNING, logger="notifications.tasks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification = notify_booked(patient)
    assert Notification.objects.filter(pk=notification.pk).exists()
    assert backends.FailingEmailBackend.attempts == tasks.SEND_ATTEMPTS
    assert "attempt 1 of 3" in caplog.text
    assert "Giving up" in caplog.text


def test_a_flaky_smtp_server_delivers_on_the_retry(
    patient, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "notifications.tests.backends.FlakyEmailBackend"
    backends.FlakyEmailBackend.attempts = 0
    with django_capture_on_commit_callbacks(execute=True):
        notify_booked(patient)
    assert backends.FlakyEmailBackend.attempts == 2
    assert len(mail.outbox) == 1


def test_a_queue_that_cannot_take_the_task_is_logged_not_raised(
    patient, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    class BrokenQueue:
        def enqueue(self, **kwargs):
            raise ConnectionError("queue down")

    monkeypatch.setattr(services, "send_email", BrokenQueue())
    with django_capture_on_commit_callbacks(execute=True):
        notify_booked(patient)
    assert "Could not queue the email" in caplog.text
    assert Notification.objects.filter(recipient=patient).exists()


def test_the_email_shows_times_in_the_recipients_zone(
    patient, doctor, django_capture_on_commit_callbacks
):
    from appointments.tests.factories import AppointmentFactory

    patient.timezone = "America/New_York"
    patient.save()
    starts = dt.datetime(2026, 12, 8, 15, 30, tzinfo=dt.UTC)
    appointment = AppointmentFactory(
        patient=patient,
        slot__doctor=doctor,
        slot__starts_at=starts,
        status="confirmed",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            recipient=patient,
            kind=Kind.APPOINTMENT_REMINDER,
            message="Reminder",
            email_context={"appointment": appointment},
        )
    [email] = mail.outbox
    assert "Tue 8 Dec 2026, 10:30" in email.subject  # 15:30 UTC in New York
    assert "Tue 8 Dec 2026, 10:30–11:00 (America/New_York)" in email.body
    assert "Dr Ada Lee" in email.subject


def test_mark_read_keeps_the_first_read_time(patient):
    notification = NotificationFactory(recipient=patient)
    assert services.mark_read(notification=notification) is True
    first = Notification.objects.get(pk=notification.pk).read_at
    assert first is not None
    assert services.mark_read(notification=notification) is False
    assert Notification.objects.get(pk=notification.pk).read_at == first


def test_mark_all_read_touches_only_the_users_unread_notifications(
    patient, other_patient
):
    NotificationFactory.create_batch(3, recipient=patient)
    earlier = timezone.now() - dt.timedelta(days=1)
    NotificationFactory(recipient=patient, read_at=earlier)
    NotificationFactory(recipient=other_patient)
    assert services.mark_all_read(user=patient) == 3
    assert not Notification.objects.for_user(patient).unread().exists()
    assert Notification.objects.for_user(other_patient).unread().count() == 1
    assert Notification.objects.filter(read_at=earlier).count() == 1


def test_save_email_preferences_stores_choices_and_ignores_in_app_only_kinds(
    patient,
):
    services.save_email_preferences(
        user=patient,
        enabled={Kind.APPOINTMENT_REMINDER: False, Kind.FOLLOWED: True},
    )
    services.save_email_preferences(
        user=patient, enabled={Kind.APPOINTMENT_REMINDER: True}
    )
    assert list(
        EmailPreference.objects.filter(user=patient).values_list("kind", "enabled")
    ) == [(Kind.APPOINTMENT_REMINDER.value, True)]


@pytest.mark.django_db(transaction=True)
def test_with_the_database_queue_the_worker_sends_the_email(patient, settings):
    """Production: TASKS_BACKEND=database queues the email; `db_worker` sends it.

    A real commit (transaction=True): the worker manages its own connections."""
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with transaction.atomic():
        notify_booked(patient)
    assert DBTaskResult.objects.count() == 1
    assert mail.outbox == []
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    [email] = mail.outbox
    assert email.to == [patient.email]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"

"""/api/v1/notifications/ and /api/v1/me/email-preferences/."""

from http import HTTPStatus

import pytest

from accounts.tests.api import ApiClient
from notifications.models import EmailPreference, Notification
from notifications.services import notify
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_anonymous_is_401(client):
    for url in ["/api/v1/notifications/", "/api/v1/notifications/unread-count/"]:
        assert client.get(url).status_code == HTTPStatus.UNAUTHORIZED


def test_my_notifications_paginated_newest_first(patient, other_patient):
    for n in range(22):
        NotificationFactory(recipient=patient, message=f"n{n}")
    NotificationFactory(recipient=other_patient)
    api = ApiClient(patient)
    first = api.get("/api/v1/notifications/").json()
    assert first["count"] == 22
    assert len(first["results"]) == 20
    assert first["results"][0]["message"] == "n21"
    assert api.get(first["next"]).json()["results"][-1]["message"] == "n0"


def test_unread_count_mark_one_and_all(patient, other_patient):
    one, _two, _three = NotificationFactory.create_batch(3, recipient=patient)
    theirs = NotificationFactory(recipient=other_patient)
    api = ApiClient(patient)
    assert api.get("/api/v1/notifications/unread-count/").json() == {"unread": 3}
    response = api.post(f"/api/v1/notifications/{one.pk}/read/")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["is_read"] is True
    assert api.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}
    unread = api.get("/api/v1/notifications/", {"unread": "1"}).json()
    assert unread["count"] == 2
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked": 2}
    assert api.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}
    # Another person's notification is a 404 and stays unread.
    assert api.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_email_preferences(patient):
    api = ApiClient(patient)
    body = api.get("/api/v1/me/email-preferences/").json()
    assert body["appointment_reminder"] is True
    assert "followed" not in body  # in-app only
    response = api.patch(
        "/api/v1/me/email-preferences/", {"appointment_reminder": False}
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json()["appointment_reminder"] is False
    assert response.json()["appointment_booked"] is True
    assert (
        EmailPreference.objects.get(
            user=patient, kind=Notification.Kind.APPOINTMENT_REMINDER
        ).enabled
        is False
    )
    bad = api.patch("/api/v1/me/email-preferences/", {"appointment_booked": "maybe"})
    assert bad.status_code == HTTPStatus.BAD_REQUEST


def test_the_list_query_count_is_flat(patient, django_assert_max_num_queries):
    NotificationFactory.create_batch(15, recipient=patient)
    api = ApiClient(patient)
    with django_assert_max_num_queries(5):  # session + user (token), count, page
        assert api.get("/api/v1/notifications/").json()["count"] == 15


def test_an_unknown_unread_filter_is_a_400(patient):
    response = ApiClient(patient).get("/api/v1/notifications/", {"unread": "yes"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    [error] = response.json()["errors"]
    assert error["attr"] == "unread"
    assert error["detail"] == "Unknown value “yes”. Allowed: true, false, 1, 0."


def test_a_patient_turns_reminders_off_and_on_through_the_api(patient):
    api = ApiClient(patient)
    assert api.get("/api/v1/me/notifications-on/").json() == {
        "appointment_reminder": True
    }
    response = api.patch(
        "/api/v1/me/notifications-on/", {"appointment_reminder": False}
    )
    assert response.json() == {"appointment_reminder": False}
    assert (
        notify(
            recipient=patient,
            kind=Notification.Kind.APPOINTMENT_REMINDER,
            message="Tomorrow at 09:00",
        )
        is None
    )
    api.patch("/api/v1/me/notifications-on/", {"appointment_reminder": True})
    assert api.get("/api/v1/me/notifications-on/").json()["appointment_reminder"]


def test_only_a_signed_in_person_sees_their_notification_switches(client):
    assert (
        client.get("/api/v1/me/notifications-on/").status_code
        == HTTPStatus.UNAUTHORIZED
    )

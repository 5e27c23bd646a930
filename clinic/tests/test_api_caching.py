"""Conditional GETs on the API's lists and profiles (accounts.caching): ETag and
Last-Modified, 304 on a match, Cache-Control by whose answer it is, and an ETag
that changes with every change a person can make to what the answer shows."""

import datetime as dt
from http import HTTPStatus

import pytest
import time_machine
from django.utils import timezone
from django.utils.http import http_date

from accounts.tests.api import ApiClient
from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory, SlotFactory, tomorrow_at
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def free_slot(doctor, n: int = 0):
    start = tomorrow_at(0, 15) + dt.timedelta(minutes=30 * n)
    return SlotFactory(
        doctor=doctor, starts_at=start, ends_at=start + dt.timedelta(minutes=30)
    )


def etag(api, url: str) -> str:
    response = api.get(url)
    assert response.status_code == HTTPStatus.OK, response.content
    return response["ETag"]


def test_a_matching_etag_is_a_304_without_a_body(client, doctor):
    url = f"/api/v1/doctors/{doctor.slug}/"
    first = client.get(url)
    assert first["ETag"].startswith('"')
    assert first["Cache-Control"] == "public, no-cache"
    assert "Authorization" in first["Vary"]
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    weak = client.get(url, HTTP_IF_NONE_MATCH=f'"other", W/{first["ETag"]}')
    assert weak.status_code == HTTPStatus.NOT_MODIFIED
    other = client.get(url, HTTP_IF_NONE_MATCH='"something-else"')
    assert other.status_code == HTTPStatus.OK
    assert other.content == first.content


def test_if_modified_since_is_a_304_until_the_answer_changes(client, doctor):
    url = f"/api/v1/doctors/{doctor.slug}/reviews/"
    first = client.get(url)
    since = first["Last-Modified"]
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=since).status_code == 304
    older = http_date(0)
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=older).status_code == 200
    # If-None-Match wins over If-Modified-Since.
    stale = client.get(url, HTTP_IF_MODIFIED_SINCE=since, HTTP_IF_NONE_MATCH='"x"')
    assert stale.status_code == HTTPStatus.OK


def test_signed_in_answers_are_private(patient, doctor):
    api = ApiClient(patient)
    for url in [
        "/api/v1/doctors/",
        f"/api/v1/doctors/{doctor.slug}/",
        f"/api/v1/doctors/{doctor.slug}/slots/",
        f"/api/v1/doctors/{doctor.slug}/reviews/",
        "/api/v1/appointments/",
        "/api/v1/notifications/",
    ]:
        response = api.get(url)
        assert response["Cache-Control"] == "private, no-cache", url
        assert response["ETag"] and response["Last-Modified"], url


def test_errors_and_writes_carry_no_etag(patient, client):
    assert "ETag" not in client.get("/api/v1/doctors/nobody/")
    assert "ETag" not in ApiClient(patient).post("/api/v1/appointments/", {})


def test_a_follow_changes_the_doctors_etags(patient, doctor):
    api = ApiClient(patient)
    urls = ["/api/v1/doctors/", f"/api/v1/doctors/{doctor.slug}/"]
    before = [etag(api, url) for url in urls]
    api.post(f"/api/v1/doctors/{doctor.slug}/follow/")
    after = [etag(api, url) for url in urls]
    assert all(a != b for a, b in zip(before, after, strict=True))


def test_a_review_changes_the_reviews_etag(patient, doctor):
    visit = AppointmentFactory(
        patient=patient, slot__doctor=doctor, status=Appointment.Status.COMPLETED
    )
    api = ApiClient(patient)
    url = f"/api/v1/doctors/{doctor.slug}/reviews/"
    before = etag(api, url)
    response = api.post(
        f"/api/v1/appointments/{visit.pk}/review/", {"rating": 5, "comment": "Kind"}
    )
    assert response.status_code == HTTPStatus.CREATED
    assert etag(api, url) != before


def test_a_booking_and_a_cancellation_change_the_slots_and_my_appointments(
    patient, doctor
):
    api = ApiClient(patient)
    slot = free_slot(doctor)
    slots, mine = f"/api/v1/doctors/{doctor.slug}/slots/", "/api/v1/appointments/"
    before = etag(api, slots), etag(api, mine)
    booked = api.post(mine, {"slot": slot.pk, "reason": "Persistent cough"})
    assert booked.status_code == HTTPStatus.CREATED
    after_booking = etag(api, slots), etag(api, mine)
    assert after_booking[0] != before[0] and after_booking[1] != before[1]
    api.post(f"/api/v1/appointments/{booked.json()['id']}/cancel/", {})
    after_cancelling = etag(api, slots), etag(api, mine)
    assert after_cancelling[0] != after_booking[0]
    assert after_cancelling[1] != after_booking[1]


def test_a_schedule_change_changes_the_slots_etag(client, doctor):
    free_slot(doctor)
    url = f"/api/v1/doctors/{doctor.slug}/slots/"
    before = etag(client, url)
    day = tomorrow_at(12).astimezone(doctor.zone).date().isoformat()
    response = ApiClient(doctor.user).post(
        "/api/v1/me/time-off/", {"first_day": day, "last_day": day}
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    assert etag(client, url) != before


def test_reading_a_notification_changes_the_notifications_etag(patient):
    notification = NotificationFactory(recipient=patient)
    api = ApiClient(patient)
    before = etag(api, "/api/v1/notifications/")
    api.post(f"/api/v1/notifications/{notification.pk}/read/")
    assert etag(api, "/api/v1/notifications/") != before


def test_an_answer_that_changes_back_gets_a_new_last_modified(patient, doctor):
    """A -> B -> A: the second A is newer than B (If-Modified-Since from B must
    not get a 304 for A)."""
    api = ApiClient(patient)
    url = f"/api/v1/doctors/{doctor.slug}/"
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        first = api.get(url)
    with time_machine.travel(now + dt.timedelta(minutes=1), tick=False):
        api.post(f"/api/v1/doctors/{doctor.slug}/follow/")
        followed = api.get(url)
    with time_machine.travel(now + dt.timedelta(minutes=2), tick=False):
        api.delete(f"/api/v1/doctors/{doctor.slug}/follow/")
        back = api.get(url, HTTP_IF_MODIFIED_SINCE=followed["Last-Modified"])
    assert back.status_code == HTTPStatus.OK
    assert back["ETag"] == first["ETag"]
    assert back["Last-Modified"] != first["Last-Modified"]


def test_a_cache_outage_costs_the_304_not_the_answer(client, doctor):
    from unittest import mock

    from accounts import caching

    with mock.patch.object(caching.cache, "get", side_effect=ConnectionError):
        response = client.get(f"/api/v1/doctors/{doctor.slug}/")
    assert response.status_code == HTTPStatus.OK
    assert response["ETag"] and response["Last-Modified"]

"""The free slots API's answers kept in the shared cache (appointments.api,
FreeSlotsView): never stale, never in another viewer's time zone.

Each test fills the cache with a first request, changes something through the
service a person would use, and reads again: the very next request shows it."""

import datetime as dt
from http import HTTPStatus

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.api import ApiClient
from accounts.tests.factories import UserFactory
from appointments import services
from appointments.tests.factories import SlotFactory, tomorrow_at
from doctors import services as doctor_services

pytestmark = pytest.mark.django_db


def tomorrow_slot(doctor, n: int = 0):
    """A free slot tomorrow at 09:00 + n half hours (UTC), whatever the factory's
    sequence has reached in a long run (its slots drift days ahead)."""
    starts = tomorrow_at(9) + dt.timedelta(minutes=30 * n)
    return SlotFactory(
        doctor=doctor, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30)
    )


@pytest.fixture(autouse=True)
def _fragment_cache_on(settings):
    settings.FRAGMENT_CACHE = True


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what the transaction would run on commit (the
    test's own transaction never commits): the services' version bumps."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def clock_cache(settings):
    """The process's own cache: Redis counts its expiries in real time, and
    time_machine moves only this process's clock."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }


def slot_ids(client, doctor, **params) -> list[int]:
    response = client.get(f"/api/v1/doctors/{doctor.slug}/slots/", params)
    assert response.status_code == HTTPStatus.OK
    return [row["id"] for row in response.json()["results"]]


def test_a_second_answer_comes_from_the_cache(
    client, doctor, django_assert_num_queries
):
    slot = tomorrow_slot(doctor)
    assert slot_ids(client, doctor) == [slot.pk]
    with django_assert_num_queries(0):
        assert slot_ids(client, doctor) == [slot.pk]


def test_a_hold_and_its_release_show_on_the_next_answer(
    client, doctor, patient, committed
):
    slot, other = tomorrow_slot(doctor), tomorrow_slot(doctor, 1)
    assert slot_ids(client, doctor) == [slot.pk, other.pk]
    with committed():
        services.hold(patient=patient, slot_id=slot.pk)
    assert slot_ids(client, doctor) == [other.pk]
    with committed():
        services.release_hold(patient=patient, slot_id=slot.pk)
    assert slot_ids(client, doctor) == [slot.pk, other.pk]


def test_a_booking_and_its_cancellation_show_on_the_next_answer(
    client, doctor, patient, committed
):
    slot = tomorrow_slot(doctor)
    assert slot_ids(client, doctor) == [slot.pk]
    with committed():
        appointment = services.book(patient=patient, slot_id=slot.pk, reason="A cough")
    assert slot_ids(client, doctor) == []
    with committed():
        services.cancel(user=patient, appointment_id=appointment.pk)
    assert slot_ids(client, doctor) == [slot.pk]


def test_a_change_to_the_doctors_notice_shows_on_the_next_answer(
    client, doctor, committed
):
    slot = SlotFactory(doctor=doctor, starts_at=tomorrow_at(0, 15))
    assert slot_ids(client, doctor) == [slot.pk]
    with committed():
        doctor.min_notice = dt.timedelta(days=3)
        doctor.save()
    assert slot_ids(client, doctor) == []


def test_a_doctor_no_longer_approved_is_gone_at_once(client, doctor, committed):
    tomorrow_slot(doctor)
    slot_ids(client, doctor)
    doctor.status = doctor.Status.PENDING
    with committed():
        doctor.save()
    response = client.get(f"/api/v1/doctors/{doctor.slug}/slots/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    with committed():
        doctor_services.approve(profile=doctor, by=UserFactory(is_staff=True))
    assert client.get(f"/api/v1/doctors/{doctor.slug}/slots/").status_code == 200


def test_the_clock_passing_a_slots_notice_drops_it_without_any_write(
    client, doctor, clock_cache
):
    soon = timezone.now() + doctor.min_notice + dt.timedelta(minutes=5)
    slot = SlotFactory(
        doctor=doctor, starts_at=soon, ends_at=soon + dt.timedelta(minutes=30)
    )
    assert slot_ids(client, doctor) == [slot.pk]
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
        assert slot_ids(client, doctor) == []


def test_an_expired_hold_frees_the_slot_without_any_write(
    client, doctor, patient, clock_cache, committed
):
    slot = tomorrow_slot(doctor)
    with committed():
        held = services.hold(patient=patient, slot_id=slot.pk)
    assert slot_ids(client, doctor) == []
    with time_machine.travel(held.held_until + dt.timedelta(seconds=1)):
        assert slot_ids(client, doctor) == [slot.pk]


def test_answers_are_in_each_viewers_own_time_zone(client, doctor):
    slot = tomorrow_slot(doctor)
    visitor = client.get(f"/api/v1/doctors/{doctor.slug}/slots/").json()
    berliner = UserFactory(timezone="Europe/Berlin")
    in_berlin = ApiClient(berliner).get(f"/api/v1/doctors/{doctor.slug}/slots/")
    again = client.get(f"/api/v1/doctors/{doctor.slug}/slots/").json()
    local = slot.starts_at.astimezone(timezone.zoneinfo.ZoneInfo("Europe/Berlin"))
    assert in_berlin.json()["results"][0]["starts_at"] == local.isoformat()
    assert visitor["results"][0]["starts_at"].endswith("Z")
    assert again == visitor


def test_each_date_range_is_its_own_answer(client, doctor):
    slot = tomorrow_slot(doctor)
    day = slot.starts_at.date()
    assert slot_ids(client, doctor) == [slot.pk]
    assert slot_ids(client, doctor, **{"from": day + dt.timedelta(days=1)}) == []
    assert slot_ids(client, doctor, **{"from": day, "to": day}) == [slot.pk]


def test_the_cached_answer_keeps_its_etag_and_answers_304(client, doctor):
    tomorrow_slot(doctor)
    url = f"/api/v1/doctors/{doctor.slug}/slots/"
    first = client.get(url)
    second = client.get(url)
    assert first["ETag"] == second["ETag"]
    assert second["Content-Type"] == "application/json"
    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == HTTPStatus.NOT_MODIFIED


def test_a_kept_answer_is_not_modified_since_it_was_made_until_it_changes(
    client, doctor, patient, committed
):
    slot = tomorrow_slot(doctor)
    url = f"/api/v1/doctors/{doctor.slug}/slots/"
    first = client.get(url)
    since = {"If-Modified-Since": first["Last-Modified"]}
    assert client.get(url, headers=since).status_code == HTTPStatus.NOT_MODIFIED
    with committed():
        services.hold(patient=patient, slot_id=slot.pk)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=2)):
        changed = client.get(url, headers=since)
    assert changed.status_code == HTTPStatus.OK
    assert changed.json()["results"] == []


def test_an_answer_kept_in_another_shape_is_not_served(client, doctor):
    """What an older release kept under the same key is read as a miss."""
    from django.core.cache import cache

    from appointments.api import FreeSlotsView

    slot = tomorrow_slot(doctor)
    view = FreeSlotsView()
    view.request = client.get(f"/api/v1/doctors/{doctor.slug}/slots/").wsgi_request
    cache.set(view._answer_key(), (doctor.pk, "v", timezone.now(), b"[]"))
    assert slot_ids(client, doctor) == [slot.pk]


def test_a_wrong_guess_of_the_answers_doctor_is_never_trusted(
    client, doctor, patient, committed
):
    """A kept answer's doctor is guessed (per process) to read its version in the
    same round trip; a guess naming another doctor reads the right one."""
    from appointments import api
    from doctors.tests.factories import DoctorProfileFactory

    slot, other = tomorrow_slot(doctor), tomorrow_slot(doctor, 1)
    assert slot_ids(client, doctor) == [slot.pk, other.pk]
    assert slot_ids(client, doctor) == [slot.pk, other.pk]  # the guess learnt
    assert set(api._doctor_of.values()) >= {doctor.pk}
    stranger = DoctorProfileFactory()
    for key in api._doctor_of:
        api._doctor_of[key] = stranger.pk
    with committed():
        services.hold(patient=patient, slot_id=slot.pk)
    assert slot_ids(client, doctor) == [other.pk]

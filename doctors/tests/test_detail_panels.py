"""A doctor's page with its slots and reviews panels rendered in (one request),
kept whole for visitors (doctors.views.detail): what a hold, a booking, a
cancellation, time off, a review or the clock changes in either panel shows on
the very next request; no page crosses viewers or time zones."""

import datetime as dt
import re
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from appointments import schedule
from appointments import services as booking
from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory, SlotFactory
from doctors import cache
from doctors.tests.factories import DoctorProfileFactory
from reviews import services as reviews

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _slots_from_tomorrow():
    SlotFactory.reset_sequence()


@pytest.fixture(autouse=True)
def _fragment_cache_on(settings):
    settings.FRAGMENT_CACHE = True


@pytest.fixture
def clock_cache(settings):
    """The process's own cache: time_machine moves only this process's clock."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def page(client, doctor, **headers) -> str:
    response = client.get(doctor.get_absolute_url(), headers=headers)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def untokened(html: str) -> str:
    """The page without its CSRF tokens (masked anew on every response)."""
    return re.sub(r'(csrftoken": "|name="csrfmiddlewaretoken" value=")[^"]+', "", html)


def shows(html: str, slot) -> bool:
    return f'data-slot-id="{slot.pk}"' in html


def test_the_page_holds_both_panels_as_their_fragments_give_them(client, doctor):
    slot = SlotFactory(doctor=doctor)
    html = page(client, doctor)
    assert shows(html, slot)
    assert 'hx-trigger="load"' not in html
    assert 'id="reviews-panel"' in html and "No reviews yet." in html
    assert cache.CSRF not in html and cache.NEXT not in html
    # The kept page: the same, its placeholders filled.
    assert untokened(html) == untokened(page(client, doctor))


def test_a_visitors_page_is_kept_without_a_query(
    client, doctor, django_assert_num_queries
):
    SlotFactory(doctor=doctor)
    page(client, doctor)
    with django_assert_num_queries(0):
        page(client, doctor)


def test_a_hold_a_booking_and_a_cancellation_show_on_the_next_request(
    client, doctor, patient, committed
):
    held, booked = SlotFactory(doctor=doctor), SlotFactory(doctor=doctor)
    html = page(client, doctor)
    assert shows(html, held) and shows(html, booked)
    with committed():
        booking.hold(patient=patient, slot_id=held.pk)
    assert not shows(page(client, doctor), held)
    with committed():
        appointment = booking.book(
            patient=UserFactory(), slot_id=booked.pk, reason="A cough"
        )
    assert not shows(page(client, doctor), booked)
    with committed():
        booking.cancel(
            user=appointment.patient, appointment_id=appointment.pk, reason="Better"
        )
    assert shows(page(client, doctor), booked)


def test_time_off_shows_on_the_next_request(client, doctor, committed):
    slot = SlotFactory(doctor=doctor)
    assert shows(page(client, doctor), slot)
    with committed():
        schedule.add_time_off(
            doctor=doctor,
            starts_at=slot.starts_at - dt.timedelta(hours=1),
            ends_at=slot.ends_at + dt.timedelta(hours=1),
        )
    assert not shows(page(client, doctor), slot)


def test_a_review_shows_in_the_panel_on_the_next_request(
    client, doctor, patient, committed
):
    assert "No reviews yet." in page(client, doctor)
    visit = AppointmentFactory(
        patient=patient, slot__doctor=doctor, status=Appointment.Status.COMPLETED
    )
    with committed():
        reviews.create(
            patient=patient, appointment_id=visit.pk, rating=4, comment="Kind and clear"
        )
    html = page(client, doctor)
    assert "Kind and clear" in html and "No reviews yet." not in html


def test_the_clock_passing_a_slots_notice_drops_it(client, doctor, clock_cache):
    soon = timezone.now() + doctor.min_notice + dt.timedelta(minutes=5)
    slot = SlotFactory(
        doctor=doctor, starts_at=soon, ends_at=soon + dt.timedelta(minutes=30)
    )
    assert shows(page(client, doctor), slot)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
        assert not shows(page(client, doctor), slot)


def test_a_lapsed_hold_gives_the_slot_back(client, doctor, patient, clock_cache):
    slot = SlotFactory(doctor=doctor)
    booking.hold(patient=patient, slot_id=slot.pk)
    assert not shows(page(client, doctor), slot)
    slot.refresh_from_db()
    with time_machine.travel(slot.held_until + dt.timedelta(seconds=1)):
        assert shows(page(client, doctor), slot)


def test_the_page_never_crosses_time_zones_or_viewers(client):
    doctor = DoctorProfileFactory(timezone="Asia/Tokyo")
    starts = (timezone.now() + dt.timedelta(days=2)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    slot = SlotFactory(
        doctor=doctor, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30)
    )
    anonymous = page(client, doctor)
    assert reverse("appointments:pick", args=[slot.pk]) in anonymous
    practice = starts.astimezone(doctor.zone)
    for zone in ("Europe/Berlin", "America/New_York"):
        client.force_login(UserFactory(timezone=zone))
        html = page(client, doctor)
        local = starts.astimezone(timezone.zoneinfo.ZoneInfo(zone))
        assert f">{practice:%H:%M}</time>" in html
        assert f'"slot-viewer-time">({local:%H:%M})</span>' in html
        assert f"Yours ({zone}) in brackets" in html
        assert cache.CSRF not in html and cache.NEXT not in html
    client.logout()
    assert untokened(page(client, doctor)) == untokened(anonymous)


def test_a_hidden_review_a_reply_and_a_renamed_reviewer_show_at_once(
    client, doctor, patient, committed
):
    visit = AppointmentFactory(
        patient=patient, slot__doctor=doctor, status=Appointment.Status.COMPLETED
    )
    with committed():
        review = reviews.create(
            patient=patient, appointment_id=visit.pk, rating=5, comment="Ok."
        )
    assert "Pat P." in page(client, doctor)
    patient.full_name = "Quinn Zed"
    with committed():
        patient.save()
    html = page(client, doctor)
    assert "Quinn Z." in html and "Pat P." not in html
    with committed():
        reviews.reply(
            doctor_user=doctor.user, review_id=review.pk, text="Thank you, Quinn."
        )
    assert "Thank you, Quinn." in page(client, doctor)
    staff = UserFactory(is_staff=True, is_superuser=True)
    with committed():
        reviews.hide(staff=staff, review_id=review.pk, reason="Off topic")
    assert "Thank you, Quinn." not in page(client, doctor)

"""Cached fragments (doctors.cache): never stale, never crossing viewers.

Each test fills the cache with a first request, changes something through the
service a person would use, and reads again: the very next request shows it."""

import datetime as dt
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from appointments import schedule
from appointments import services as booking
from appointments.models import Appointment, Slot
from appointments.tests.factories import AppointmentFactory, SlotFactory
from doctors import cache, services
from doctors.tests.factories import DoctorProfileFactory, LanguageFactory
from reviews import services as reviews

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _slots_from_tomorrow():
    """SlotFactory's times step 30 minutes per slot made in the whole run: after
    other apps' tests they lie weeks ahead, past the picker's first week."""
    SlotFactory.reset_sequence()


@pytest.fixture(autouse=True)
def _fragment_cache_on(settings):
    settings.FRAGMENT_CACHE = True


@pytest.fixture
def clock_cache(settings):
    """The process's own cache: Redis counts its expiries in real time, and
    time_machine moves only this process's clock."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }


HTMX = {"HX-Request": "true"}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what the transaction would run on commit (the
    test's own transaction never commits): the services' cache bumps."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def directory(client) -> str:
    response = client.get(reverse("doctors:list"))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def picker(client, doctor, headers=HTMX) -> str:
    url = reverse("appointments:doctor_slots", args=[doctor.slug])
    response = client.get(url, headers=headers)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def panel(client, doctor) -> str:
    url = reverse("reviews:doctor_reviews", args=[doctor.slug])
    response = client.get(url, headers=HTMX)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_a_follow_shows_on_the_next_directory_request_of_everyone(
    client, doctor, patient, committed
):
    assert "0 followers" in directory(client)  # a visitor's page, cached
    other = UserFactory()
    client.force_login(other)
    assert "0 followers" in directory(client)
    client.force_login(patient)
    assert f'action="{reverse("doctors:follow", args=[doctor.slug])}"' in (
        directory(client)
    )

    with committed():
        services.follow(patient=patient, doctor=doctor)

    page = directory(client)
    assert "1 follower" in page
    assert f'action="{reverse("doctors:unfollow", args=[doctor.slug])}"' in page
    # Another viewer: the new count, and their own (not the follower's) button.
    client.force_login(other)
    page = directory(client)
    assert "1 follower" in page
    assert f'action="{reverse("doctors:follow", args=[doctor.slug])}"' in page
    client.logout()
    assert "1 follower" in directory(client)


def test_an_unfollow_over_htmx_shows_on_the_next_request(
    client, doctor, patient, committed
):
    services.follow(patient=patient, doctor=doctor)
    client.force_login(patient)
    assert "1 follower" in directory(client)
    with committed():
        client.post(reverse("doctors:unfollow", args=[doctor.slug]), headers=HTMX)
    page = directory(client)
    assert "0 followers" in page
    assert f'action="{reverse("doctors:follow", args=[doctor.slug])}"' in page


def test_each_viewer_gets_their_own_csrf_token_and_page_in_a_cached_card(
    client, doctor, patient
):
    client.force_login(patient)
    client.get(reverse("doctors:list") + "?sort=rating")
    other = UserFactory()
    client.force_login(other)
    response = client.get(reverse("doctors:list") + "?sort=name")
    page = response.content.decode()
    token = response.wsgi_request.META["CSRF_COOKIE"]
    assert cache.CSRF not in page and cache.NEXT not in page
    assert 'name="next" value="/doctors/?sort=name"' in page
    assert f'name="csrfmiddlewaretoken" value="{token}"' not in page  # masked
    assert 'name="csrfmiddlewaretoken" value="' in page


def test_a_review_shows_on_the_next_request_of_the_panel_and_the_card(
    client, doctor, patient, committed
):
    visit = AppointmentFactory(
        patient=patient, slot__doctor=doctor, status=Appointment.Status.COMPLETED
    )
    assert "No reviews yet" in panel(client, doctor)
    assert "· 1 review" not in directory(client)

    with committed():
        reviews.create(
            patient=patient,
            appointment_id=visit.pk,
            rating=4,
            comment="Kind, clear.",
        )

    assert "Kind, clear." in panel(client, doctor)
    assert "4.0 · 1 review" in directory(client)


def test_a_hidden_review_leaves_the_cached_panel_at_once(
    client, doctor, patient, committed
):
    """Only the version (bumped by recompute_rating) says so: the panel's key
    holds the rating, but a hidden review of two equal ones keeps the average."""
    for text in ("First visit was fine.", "Second visit was fine."):
        visit = AppointmentFactory(
            patient=UserFactory(),
            slot__doctor=doctor,
            status=Appointment.Status.COMPLETED,
        )
        review = reviews.create(
            patient=visit.patient, appointment_id=visit.pk, rating=5, comment=text
        )
    assert "Second visit was fine." in panel(client, doctor)
    staff = UserFactory(is_staff=True, is_superuser=True)
    third = AppointmentFactory(
        patient=UserFactory(), slot__doctor=doctor, status=Appointment.Status.COMPLETED
    )
    with committed():
        reviews.create(
            patient=third.patient, appointment_id=third.pk, rating=5, comment="Third."
        )
    assert "Third." in panel(client, doctor)
    with committed():
        reviews.hide(staff=staff, review_id=review.pk, reason="Off topic")
    page = panel(client, doctor)
    assert "Second visit was fine." not in page
    assert "Third." in page


def test_a_doctors_reply_shows_on_the_next_request(client, doctor, patient, committed):
    visit = AppointmentFactory(
        patient=patient, slot__doctor=doctor, status=Appointment.Status.COMPLETED
    )
    review = reviews.create(
        patient=patient, appointment_id=visit.pk, rating=5, comment="Great."
    )
    assert "Thanks, see you." not in panel(client, doctor)
    with committed():
        reviews.reply(
            doctor_user=doctor.user,
            review_id=review.pk,
            text="Thanks, see you.",
        )
    assert "Thanks, see you." in panel(client, doctor)


def test_a_reviewer_renamed_shows_on_the_next_request(
    client, doctor, patient, committed
):
    visit = AppointmentFactory(
        patient=patient, slot__doctor=doctor, status=Appointment.Status.COMPLETED
    )
    reviews.create(patient=patient, appointment_id=visit.pk, rating=5, comment="Ok.")
    assert "Pat P." in panel(client, doctor)
    patient.full_name = "Quinn Zed"
    with committed():
        patient.save()
    page = panel(client, doctor)
    assert "Quinn Z." in page and "Pat P." not in page


def test_a_booking_and_its_cancellation_show_on_the_next_request(
    client, doctor, patient, committed
):
    slot = SlotFactory(doctor=doctor)
    other = UserFactory()
    client.force_login(other)
    assert f'data-slot-id="{slot.pk}"' in picker(client, doctor)
    assert f'data-slot-id="{slot.pk}"' in directory(client)

    with committed():
        appointment = booking.book(patient=patient, slot_id=slot.pk, reason="A cough")
    assert f'data-slot-id="{slot.pk}"' not in picker(client, doctor)
    assert f'data-slot-id="{slot.pk}"' not in directory(client)

    with committed():
        booking.cancel(user=patient, appointment_id=appointment.pk, reason="Better")
    assert f'data-slot-id="{slot.pk}"' in picker(client, doctor)
    assert f'data-slot-id="{slot.pk}"' in directory(client)


def test_a_hold_shows_on_the_next_request_of_others(client, doctor, patient, committed):
    slot = SlotFactory(doctor=doctor)
    client.force_login(UserFactory())
    assert f'data-slot-id="{slot.pk}"' in picker(client, doctor)
    assert f'data-slot-id="{slot.pk}"' in directory(client)
    with committed():
        booking.hold(patient=patient, slot_id=slot.pk)
    assert f'data-slot-id="{slot.pk}"' not in picker(client, doctor)
    assert f'data-slot-id="{slot.pk}"' not in directory(client)


def test_time_off_shows_on_the_next_request(client, doctor, committed):
    slot = SlotFactory(doctor=doctor)
    assert f'data-slot-id="{slot.pk}"' in picker(client, doctor)
    assert f'data-slot-id="{slot.pk}"' in directory(client)
    with committed():
        schedule.add_time_off(
            doctor=doctor,
            starts_at=slot.starts_at - dt.timedelta(hours=1),
            ends_at=slot.ends_at + dt.timedelta(hours=1),
        )
    assert f'data-slot-id="{slot.pk}"' not in picker(client, doctor)
    assert f'data-slot-id="{slot.pk}"' not in directory(client)


def test_a_profile_edit_shows_on_the_next_request(client, doctor, committed):
    doctor.languages.add(LanguageFactory())
    assert doctor.city in directory(client)
    client.force_login(doctor.user)
    data = {
        field: value
        for field, value in client.get(reverse("doctors:edit"))
        .context["form"]
        .initial.items()
        if value is not None
    }
    data["languages"] = [language.pk for language in doctor.languages.all()]
    data["city"] = "Tromsø"
    with committed():
        response = client.post(reverse("doctors:edit"), data)
    assert response.status_code == HTTPStatus.FOUND, response.context["form"].errors
    client.logout()
    assert "Tromsø" in directory(client)


def test_a_new_city_shows_in_the_filter_at_once(client, doctor, committed):
    assert "Atlantis" not in directory(client)
    with committed():
        DoctorProfileFactory(city="Atlantis")
    assert '<option value="Atlantis">' in directory(client)


def test_the_slot_picker_never_crosses_time_zones_or_viewers(client):
    doctor = DoctorProfileFactory(timezone="Asia/Tokyo")
    starts = (timezone.now() + dt.timedelta(days=2)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    slot = SlotFactory(
        doctor=doctor, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30)
    )
    berlin = UserFactory(timezone="Europe/Berlin")
    new_york = UserFactory(timezone="America/New_York")
    client.force_login(berlin)
    in_berlin = picker(client, doctor)
    client.force_login(new_york)
    in_new_york = picker(client, doctor)
    starts = slot.starts_at
    # The practice's time, and each viewer's own beside it.
    practice = starts.astimezone(doctor.zone)
    for zone, page in (("Europe/Berlin", in_berlin), ("America/New_York", in_new_york)):
        local = starts.astimezone(timezone.zoneinfo.ZoneInfo(zone))
        assert f">{practice:%H:%M}</time>" in page
        assert f'"slot-viewer-time">({local:%H:%M})</span>' in page
        assert f"Yours ({zone}) in brackets" in page
    client.logout()
    anonymous = picker(client, doctor)
    assert reverse("appointments:pick", args=[slot.pk]) in anonymous
    assert "csrfmiddlewaretoken" not in anonymous


def test_the_picker_marks_what_this_viewer_may_not_book(client, doctor, patient):
    """The overlay per viewer: a patient's own booking rules, not a neighbour's."""
    first, second = SlotFactory(doctor=doctor), SlotFactory(doctor=doctor)
    client.force_login(UserFactory())
    assert "disabled" not in picker(client, doctor)
    booking.book(patient=patient, slot_id=first.pk, reason="A cough")
    client.force_login(patient)
    mine = picker(client, doctor)
    client.force_login(UserFactory())
    theirs = picker(client, doctor)
    assert (
        f'data-slot-id="{second.pk}"' in mine
        and f'data-slot-id="{second.pk}"' in theirs
    )
    assert mine != theirs or "disabled" not in mine


def test_fragments_answer_304_until_they_change(client, doctor, patient, committed):
    slot = SlotFactory(doctor=doctor)
    url = reverse("appointments:doctor_slots", args=[doctor.slug])
    first = client.get(url, headers=HTMX)
    etag = first["ETag"]
    assert first["Cache-Control"] == "private, no-cache"
    again = client.get(url, headers={**HTMX, "If-None-Match": etag})
    assert again.status_code == HTTPStatus.NOT_MODIFIED
    with committed():
        booking.book(patient=patient, slot_id=slot.pk, reason="A cough")
    changed = client.get(url, headers={**HTMX, "If-None-Match": etag})
    assert changed.status_code == HTTPStatus.OK
    assert changed["ETag"] != etag

    reviews_url = reverse("reviews:doctor_reviews", args=[doctor.slug])
    etag = client.get(reviews_url, headers=HTMX)["ETag"]
    response = client.get(reviews_url, headers={**HTMX, "If-None-Match": etag})
    assert response.status_code == HTTPStatus.NOT_MODIFIED


def test_pages_without_javascript_still_hold_the_fragments(client, doctor):
    slot = SlotFactory(doctor=doctor)
    page = client.get(reverse("appointments:doctor_slots", args=[doctor.slug]))
    assert "<html" in page.content.decode()
    assert f'data-slot-id="{slot.pk}"' in page.content.decode()
    reviews_page = client.get(reverse("reviews:doctor_reviews", args=[doctor.slug]))
    assert "<html" in reviews_page.content.decode()
    assert "No reviews yet" in reviews_page.content.decode()


def test_bump_waits_for_the_commit(django_capture_on_commit_callbacks, doctor):
    before = cache.version(doctor.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        cache.bump_on_commit([doctor.pk])
    assert cache.version(doctor.pk) == before
    for callback in callbacks:
        callback()
    assert cache.version(doctor.pk) != before


def test_now_moving_past_a_slot_drops_it_without_any_write(client, doctor, clock_cache):
    soon = timezone.now() + doctor.min_notice + dt.timedelta(minutes=5)
    slot = SlotFactory(
        doctor=doctor, starts_at=soon, ends_at=soon + dt.timedelta(minutes=30)
    )
    assert f'data-slot-id="{slot.pk}"' in picker(client, doctor)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
        assert f'data-slot-id="{slot.pk}"' not in picker(client, doctor)


def test_a_visitors_doctor_page_shows_a_follow_and_a_review_at_once(
    client, doctor, patient, committed
):
    url = doctor.get_absolute_url()
    assert "0 followers" in client.get(url).content.decode()
    with committed():
        services.follow(patient=patient, doctor=doctor)
    assert "1 follower" in client.get(url).content.decode()
    visit = AppointmentFactory(
        patient=patient, slot__doctor=doctor, status=Appointment.Status.COMPLETED
    )
    with committed():
        reviews.create(patient=patient, appointment_id=visit.pk, rating=3, comment="")
    assert "3.0 · 1 review" in client.get(url).content.decode()


def test_a_visitors_cached_page_gets_their_own_csrf_token(client, doctor):
    first = client.get(reverse("home"))
    second = client.get(reverse("home"))
    for response in (first, second):
        page = response.content.decode()
        assert cache.CSRF not in page
        assert '"x-csrftoken": "' in page
    assert second.cookies.get("csrftoken") or first.cookies.get("csrftoken")


def test_a_new_specialization_shows_on_the_home_page_at_once(client, committed):
    from doctors.tests.factories import SpecializationFactory

    assert "Aerospace medicine" not in client.get(reverse("home")).content.decode()
    with committed():
        SpecializationFactory(name="Aerospace medicine", slug="aerospace")
    assert "Aerospace medicine" in client.get(reverse("home")).content.decode()


def test_a_page_with_a_message_waiting_is_never_served_from_the_cache(client, patient):
    client.get(reverse("home"))  # cached for visitors
    client.force_login(patient)
    response = client.post(reverse("account_logout"), follow=True)
    assert "You have logged out." in response.content.decode()


def test_the_directorys_next_free_time_moves_with_the_clock_alone(
    client, doctor, clock_cache
):
    soon = timezone.now() + doctor.min_notice + dt.timedelta(minutes=5)
    SlotFactory(doctor=doctor, starts_at=soon, ends_at=soon + dt.timedelta(minutes=30))
    later = SlotFactory(doctor=doctor, starts_at=soon + dt.timedelta(days=1))
    from appointments.schedule import refresh_next_free

    refresh_next_free([doctor.pk], now=timezone.now())
    first = f'data-slot-id="{Slot.objects.get(starts_at=soon).pk}"'
    assert first in directory(client)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
        page = directory(client)
        assert first not in page  # inside the notice now
        assert f'data-slot-id="{later.pk}"' in page


def test_an_approval_shows_the_doctors_links_on_their_next_page(client, committed):
    """The navigation's role names are cached per user (accounts.context_processors)
    and read again once their groups change."""
    from doctors.models import DoctorProfile

    profile = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(profile.user)
    availability = reverse("appointments:availability")
    assert availability not in client.get(reverse("home")).content.decode()
    with committed():
        services.approve(profile=profile, by=staff)
    assert availability in client.get(reverse("home")).content.decode()


def test_a_visitors_picker_drops_a_later_slot_held_or_booked_at_once(
    client, doctor, patient, committed
):
    """Visitors' pickers skip the slot query when cached: the version bumped by
    refresh_next_free (after every slot change) is all that tells them."""
    first, second, third = (SlotFactory(doctor=doctor) for _ in range(3))
    page = picker(client, doctor)
    assert f'data-slot-id="{second.pk}"' in page
    with committed():
        booking.hold(patient=patient, slot_id=second.pk)
    page = picker(client, doctor)
    assert f'data-slot-id="{first.pk}"' in page
    assert f'data-slot-id="{second.pk}"' not in page
    with committed():
        booking.book(patient=UserFactory(), slot_id=third.pk, reason="A cough")
    assert f'data-slot-id="{third.pk}"' not in picker(client, doctor)


def test_a_visitors_picker_gets_a_slot_back_when_a_hold_ends(
    client, doctor, patient, clock_cache
):
    _first, second = SlotFactory(doctor=doctor), SlotFactory(doctor=doctor)
    booking.hold(patient=patient, slot_id=second.pk)
    assert f'data-slot-id="{second.pk}"' not in picker(client, doctor)
    second.refresh_from_db()
    with time_machine.travel(second.held_until + dt.timedelta(seconds=1)):
        assert f'data-slot-id="{second.pk}"' in picker(client, doctor)

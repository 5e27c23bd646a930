"""The directory's cards and search (issue 20): fee, rating, the next free times
as buttons, typo-tolerant search, filter chips, all specialties, Back."""

import datetime as dt
import re
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from appointments import services as booking
from appointments.models import Slot
from appointments.tests.factories import SlotFactory
from doctors import cache, selectors, services
from doctors.models import DoctorProfile
from doctors.tests.factories import (
    DoctorProfileFactory,
    SpecializationFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("doctors:list")
HTMX = {"HX-Request": "true"}


def in_hours(hours: float) -> dt.datetime:
    return timezone.now().replace(microsecond=0) + dt.timedelta(hours=hours)


def page(client, path=LIST, **params) -> str:
    response = client.get(path, params)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def offered(content: str) -> list[int]:
    """The slot ids the page offers as buttons, in order."""
    return [int(pk) for pk in re.findall(r'data-slot-id="(\d+)"', content)]


@pytest.fixture
def fragment_cache(settings):
    settings.FRAGMENT_CACHE = True


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- The card ---------------------------------------------------------------------
def test_card_shows_initials_fee_rating_and_the_next_three_times(client):
    doctor = DoctorProfileFactory(
        user__full_name="Ada Lee", consultation_fee=Decimal("75.50")
    )
    DoctorProfile.objects.filter(pk=doctor.pk).update(rating_avg=4.5, rating_count=8)
    slots = [SlotFactory(doctor=doctor, starts_at=in_hours(20 + n)) for n in range(4)]
    content = page(client)
    assert 'aria-label="Ada Lee">AL</span>' in content  # initials, named
    assert "75.50 EUR per visit" in content
    assert "4.5 · 8 reviews" in content
    assert offered(content) == [slot.pk for slot in slots[:3]]
    # As on the doctor's page: signed out, a link to pick the time (log in or
    # sign up, then back to it); signed in, a button that holds it.
    pick = reverse("appointments:pick", args=[slots[0].pk])
    hold = reverse("appointments:hold", args=[slots[0].pk])
    assert f'href="{pick}" data-slot-id="{slots[0].pk}"' in content
    assert hold not in content
    client.force_login(UserFactory())
    content = page(client)
    assert f'<form method="post" action="{hold}">' in content
    assert pick not in content


def test_card_times_skip_booked_held_too_soon_and_beyond_the_horizon(client):
    doctor = DoctorProfileFactory(
        min_notice=dt.timedelta(hours=2), booking_horizon=dt.timedelta(days=2)
    )
    SlotFactory(doctor=doctor, starts_at=in_hours(1))  # inside the notice
    SlotFactory(doctor=doctor, starts_at=in_hours(3), is_booked=True)
    SlotFactory(
        doctor=doctor,
        starts_at=in_hours(4),
        held_by=UserFactory(),
        held_until=timezone.now() + dt.timedelta(minutes=5),
    )
    expired_hold = SlotFactory(
        doctor=doctor,
        starts_at=in_hours(5),
        held_by=UserFactory(),
        held_until=timezone.now() - dt.timedelta(minutes=1),
    )
    free = SlotFactory(doctor=doctor, starts_at=in_hours(6))
    SlotFactory(doctor=doctor, starts_at=in_hours(60))  # beyond the horizon
    assert offered(page(client)) == [expired_hold.pk, free.pk]


def test_card_times_are_the_first_bookable_slots_by_the_booking_rule():
    """The selector restates no rule: its times are bookable()'s first three."""
    now = timezone.now()
    doctors = DoctorProfileFactory.create_batch(
        3, min_notice=dt.timedelta(hours=1), booking_horizon=dt.timedelta(days=1)
    )
    for index, doctor in enumerate(doctors):
        for hours in (0.5, 2, 5, 9, 20, 30):
            SlotFactory(
                doctor=doctor,
                starts_at=in_hours(hours + index),
                is_booked=hours == 5 and index == 1,
            )
    rows = DoctorProfile.objects.filter(pk__in=[d.pk for d in doctors])
    times = selectors.next_free_times(list(rows), now=now)
    for doctor in doctors:
        expected = (
            Slot.objects.bookable(now)
            .filter(doctor=doctor)
            .order_by("starts_at")
            .values_list("pk", "starts_at")[:3]
        )
        assert times[doctor.pk].slots == tuple(expected)


def test_a_pages_times_come_from_one_query_whatever_the_number_of_doctors(client):
    for doctor in DoctorProfileFactory.create_batch(20):
        for hours in (20, 21, 22, 23):
            SlotFactory(doctor=doctor, starts_at=in_hours(hours))
    with CaptureQueriesContext(connection) as queries:
        content = page(client)
    assert len(offered(content)) == 60
    windowed = [q["sql"] for q in queries.captured_queries if "ROW_NUMBER" in q["sql"]]
    assert len(windowed) == 1


def test_card_times_read_in_the_viewers_zone(client, patient):
    patient.timezone = "Asia/Tokyo"
    patient.save()
    doctor = DoctorProfileFactory(user__full_name="Ada Lee")
    start = dt.datetime.combine(
        timezone.now().date() + dt.timedelta(days=2), dt.time(0, 30), tzinfo=dt.UTC
    )
    SlotFactory(doctor=doctor, starts_at=start)
    client.force_login(patient)
    tokyo = start.astimezone(dt.timezone(dt.timedelta(hours=9)))
    content = page(client)
    assert f"{tokyo:%a} {tokyo.day} {tokyo:%b}</span> <strong>09:30</strong>" in content
    assert "with Dr Ada Lee</span>" in content


# --- Never stale, never crossing viewers ---------------------------------------------
def test_a_booking_and_its_cancellation_move_the_cards_times_at_once(
    client, patient, fragment_cache, committed
):
    doctor = DoctorProfileFactory()
    slots = [SlotFactory(doctor=doctor, starts_at=in_hours(20 + n)) for n in range(4)]
    viewer = UserFactory()
    assert offered(page(client)) == [s.pk for s in slots[:3]]  # visitor, cached
    client.force_login(viewer)
    assert offered(page(client)) == [s.pk for s in slots[:3]]

    with committed():
        visit = booking.book(patient=patient, slot_id=slots[0].pk, reason="Cough")
    assert offered(page(client)) == [s.pk for s in slots[1:]]
    client.logout()
    assert offered(page(client)) == [s.pk for s in slots[1:]]

    with committed():
        booking.cancel(user=patient, appointment_id=visit.pk, reason="Better")
    assert offered(page(client)) == [s.pk for s in slots[:3]]
    client.force_login(viewer)
    assert offered(page(client)) == [s.pk for s in slots[:3]]


def test_signed_in_viewers_share_the_cached_directory_with_their_own_follow_state(
    client, patient, django_assert_max_num_queries, fragment_cache, committed
):
    doctors = DoctorProfileFactory.create_batch(3)
    for doctor in doctors:
        SlotFactory(doctor=doctor, starts_at=in_hours(30))
    page(client)  # a visitor fills the cache
    client.force_login(patient)
    # The session, the user, the navbar's roles (cached after this first
    # page) and badge, and the follows on the page: nothing of the directory.
    with django_assert_max_num_queries(5) as queries:
        content = page(client)
    assert not any("doctors_doctorprofile" in q["sql"] for q in queries)
    # Their follows are kept too, under the same listing version.
    with django_assert_max_num_queries(4) as queries:
        page(client)
    assert not any("doctors_follow" in q["sql"] for q in queries)
    follow = reverse("doctors:follow", args=[doctors[0].slug])
    assert f'action="{follow}"' in content
    assert cache.FOLLOW.format(doctors[0].pk) not in content

    with committed():
        services.follow(patient=patient, doctor=doctors[0])
    content = page(client)
    unfollow = reverse("doctors:unfollow", args=[doctors[0].slug])
    assert f'action="{unfollow}"' in content
    assert "1 follower" in content
    # Another viewer: the same cards, their own buttons.
    client.force_login(UserFactory())
    content = page(client)
    assert f'action="{follow}"' in content and f'action="{unfollow}"' not in content


def test_a_doctor_sees_their_own_card_marked_in_the_shared_directory(
    client, doctor, fragment_cache
):
    DoctorProfileFactory()
    page(client)
    client.force_login(doctor.user)
    content = page(client)
    assert content.count("Your profile</span>") == 1
    assert reverse("doctors:follow", args=[doctor.slug]) not in content


def test_the_cached_directory_never_crosses_time_zones(client, fragment_cache):
    doctor = DoctorProfileFactory()
    start = dt.datetime.combine(
        timezone.now().date() + dt.timedelta(days=2), dt.time(0, 30), tzinfo=dt.UTC
    )
    SlotFactory(doctor=doctor, starts_at=start)
    assert "<strong>00:30</strong>" in page(client)  # a visitor: UTC
    client.force_login(UserFactory(timezone="Asia/Tokyo"))
    content = page(client)
    assert "<strong>09:30</strong>" in content and "<strong>00:30</strong>" not in (
        content
    )


# --- Typos ----------------------------------------------------------------------------
@pytest.fixture
def cardiologist():
    return DoctorProfileFactory(
        user__full_name="Ada Lee",
        specialization=SpecializationFactory(name="Cardiology", slug="cardiology"),
        city="Munich",
    )


@pytest.mark.parametrize(
    ("typed", "corrected"),
    [
        ("cardiolgy", "cardiology"),
        ("Cardiolgoy", "cardiology"),
        ("munihc cardiology", "munich cardiology"),
    ],
)
def test_a_typo_finds_the_doctors_and_says_what_it_searched(
    client, cardiologist, typed, corrected
):
    DoctorProfileFactory(user__full_name="Grace Hopper", city="Paris")
    content = page(client, q=typed)
    assert cardiologist.get_absolute_url() in content
    assert "Dr Grace Hopper" not in content
    assert f"Showing results for “{corrected}”" in content
    assert f'value="{typed}"' in content  # the box keeps what was typed


def test_an_exact_search_is_not_corrected(client, cardiologist):
    content = page(client, q="cardio")
    assert cardiologist.get_absolute_url() in content
    assert "Showing results for" not in content


def test_a_word_like_nothing_in_the_directory_still_finds_nothing(client, cardiologist):
    content = page(client, q="xylophone")
    assert "No doctors match your search." in content
    assert "Showing results for" not in content


def test_numbers_are_never_corrected(client):
    DoctorProfileFactory(clinic_name="Practice 12345")
    content = page(client, q="12346")
    assert "No doctors match your search." in content
    assert "Showing results for" not in content


def test_a_new_specialty_is_corrected_to_at_once(
    client, cardiologist, fragment_cache, committed
):
    assert "No doctors match" in page(client, q="dermatolgy")
    with committed():
        DoctorProfileFactory(
            specialization=SpecializationFactory(name="Dermatology", slug="derm")
        )
    assert "Showing results for “dermatology”" in page(client, q="dermatolgy")


# --- Filters: chips, count, the form bound to the URL ------------------------------
def test_chips_name_what_they_remove(client, cardiologist):
    content = page(client, q="lee", specialization="cardiology", city="Munich")
    assert "Remove “lee”" in content
    assert "Remove “Cardiology”" in content
    assert "Remove “Munich”" in content
    assert "Remove “Search”" not in content


def test_an_empty_search_has_no_chip(client, cardiologist):
    content = page(client, q="  ", city="Munich")
    assert "Remove “" in content
    assert content.count("Remove “") == 1


def test_the_filters_button_counts_the_active_filters(client, cardiologist):
    content = page(client, q="lee", city="Munich", available_within="7")
    button = content.split('class="btn btn-outline-dark directory-filter-toggle"')[
        1
    ].split("</a>")[0]
    assert ">2<span" in button and "active filters" in button
    fragment = client.get(LIST, {"city": "Munich"}, headers=HTMX).content.decode()
    assert 'id="filter-count"' in fragment and 'hx-swap-oob="true"' in fragment


def test_the_page_for_a_search_holds_it_in_its_form(client, cardiologist):
    content = page(client, q="ada", city="Munich", sort="name")
    assert 'name="q" id="id_q" class="form-control" value="ada"' in content
    assert '<option value="Munich" selected>' in content
    assert '<option value="name" selected>' in content


def test_a_history_restore_gets_the_whole_page_with_its_form(client, cardiologist):
    headers = {**HTMX, "HX-History-Restore-Request": "true"}
    response = client.get(LIST, {"q": "ada"}, headers=headers)
    content = response.content.decode()
    assert "<html" in content
    assert 'value="ada"' in content


# --- All specialties ---------------------------------------------------------------
def test_home_links_every_specialty_through_the_all_specialties_page(client):
    for number in range(15):
        SpecializationFactory(name=f"Specialty {number:02d}", slug=f"s-{number}")
    DoctorProfileFactory(specialization=SpecializationFactory(slug="s-14"))
    home = page(client, reverse("home"))
    assert home.count('href="/specializations/s-') == 12
    assert 'href="/specializations/">All 15 specialties' in home
    every = page(client, reverse("doctors:specializations"))
    assert every.count('href="/specializations/s-') == 15
    assert "1 doctor</span>" in every


@pytest.mark.parametrize("who", ["anonymous", "patient", "doctor", "staff"])
def test_the_all_specialties_page_is_open_to_everyone(client, who, request):
    SpecializationFactory(name="Cardiology")
    if who != "anonymous":
        client.force_login(
            getattr(request.getfixturevalue(who), "user", None)
            or (request.getfixturevalue(who))
        )
    assert "Cardiology" in page(client, reverse("doctors:specializations"))


def test_the_all_specialties_page_says_when_there_are_none(client):
    assert "No specialties are listed yet." in page(
        client, reverse("doctors:specializations")
    )


def test_a_signed_in_directory_is_kept_whole_until_the_bell_or_a_follow_moves(
    client, patient, django_assert_max_num_queries, fragment_cache, committed
):
    from notifications import services as notifications

    doctor = DoctorProfileFactory()
    client.force_login(patient)
    page(client)
    with django_assert_max_num_queries(1):  # the session at most: no page query
        assert "notification-badge" not in page(client)
    with committed():
        notifications.notify(recipient=patient, kind="appointment_booked", message="")
    assert "notification-badge" in page(client)
    with committed():
        services.follow(patient=patient, doctor=doctor)
    content = page(client)
    assert f'action="{reverse("doctors:unfollow", args=[doctor.slug])}"' in content

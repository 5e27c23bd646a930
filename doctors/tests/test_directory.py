"""The directory: /doctors/ and /specializations/<slug>/ (issue 4)."""

import datetime as dt
import re
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from appointments.schedule import refresh_next_free
from appointments.tests.factories import SlotFactory
from doctors.filters import MAX_QUERY_LENGTH
from doctors.models import DoctorProfile
from doctors.tests.factories import (
    DoctorProfileFactory,
    FollowFactory,
    LanguageFactory,
    SpecializationFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("doctors:list")
HOUR = dt.timedelta(hours=1)


def listed(response) -> list[str]:
    """The doctors' slugs on the page, in order."""
    return [doctor.slug for doctor in response.context["doctors"]]


@pytest.fixture(params=["searched", "stored"])
def next_free(request):
    """Runs a test twice: each doctor's next free slot searched from the slots
    (never stored), then stored as the booking services and cron keep it. Call
    the returned function once the slots are in place."""

    def ready():
        if request.param == "stored":
            doctor_ids = DoctorProfile.objects.values_list("pk", flat=True)
            refresh_next_free(list(doctor_ids), now=timezone.now())

    return ready


def get(client, **params):
    response = client.get(LIST, params)
    assert response.status_code == HTTPStatus.OK
    return response


# --- Pages and routes -----------------------------------------------------------------
def test_home_page_links_specializations_to_their_directory(client):
    SpecializationFactory(name="Cardiology", slug="cardiology")
    response = client.get(reverse("home"))
    assert response.status_code == HTTPStatus.OK
    assert b'href="/specializations/cardiology/"' in response.content
    assert b'action="/doctors/"' in response.content


def test_directory_lists_only_approved_doctors(client):
    approved = DoctorProfileFactory(slug="approved")
    DoctorProfileFactory(slug="pending", status=DoctorProfile.Status.PENDING)
    DoctorProfileFactory(slug="rejected", status=DoctorProfile.Status.REJECTED)
    response = get(client)
    assert listed(response) == [approved.slug]
    assert b"<h1" in response.content and b"Find a doctor" in response.content


def test_specialization_page_lists_its_doctors_under_its_name(client):
    cardio = DoctorProfileFactory(
        slug="cardio", specialization__name="Cardiology", specialization__slug="cardio"
    )
    DoctorProfileFactory(slug="other")
    response = client.get(reverse("doctors:specialization", args=["cardio"]))
    assert response.status_code == HTTPStatus.OK
    assert listed(response) == [cardio.slug]
    assert re.search(rb"<h1[^>]*>\s*Cardiology\s*</h1>", response.content)
    assert b"<title>Cardiology \xc2\xb7 Clinic</title>" in response.content


def test_specialization_page_ignores_another_specialization_parameter(client):
    cardio = DoctorProfileFactory(specialization__slug="cardio")
    DoctorProfileFactory(specialization__slug="derma")
    response = client.get(
        reverse("doctors:specialization", args=["cardio"]),
        {"specialization": "derma"},
    )
    assert listed(response) == [cardio.slug]


def test_unknown_specialization_page_is_404(client):
    response = client.get(reverse("doctors:specialization", args=["nope"]))
    assert response.status_code == HTTPStatus.NOT_FOUND


# --- Search ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    ["ada", "LOVELACE", "cardio", "heart centre", "berlin", "Lovelace  Berlin"],
)
def test_search_matches_name_specialization_clinic_and_city(client, query):
    match = DoctorProfileFactory(
        user__full_name="Ada Lovelace",
        specialization__name="Cardiology",
        clinic_name="Heart Centre",
        city="Berlin",
    )
    DoctorProfileFactory(
        user__full_name="Bob Brown",
        specialization__name="Dermatology",
        clinic_name="Skin Place",
        city="Paris",
    )
    assert listed(get(client, q=query)) == [match.slug]


def test_search_needs_every_word_to_match(client):
    DoctorProfileFactory(user__full_name="Ada Lovelace", city="Paris")
    assert listed(get(client, q="lovelace berlin")) == []


# --- Filters --------------------------------------------------------------------------
def test_filter_by_specialization_slug(client):
    cardio = DoctorProfileFactory(specialization__slug="cardio")
    DoctorProfileFactory(specialization__slug="derma")
    assert listed(get(client, specialization="cardio")) == [cardio.slug]


def test_filter_by_city_ignores_case(client):
    berlin = DoctorProfileFactory(city="Berlin")
    DoctorProfileFactory(city="Paris")
    assert listed(get(client, city="berlin")) == [berlin.slug]


def test_filter_by_language(client):
    german = LanguageFactory(slug="german")
    speaks = DoctorProfileFactory()
    speaks.languages.add(german, LanguageFactory(slug="french"))
    DoctorProfileFactory().languages.add(LanguageFactory(slug="spanish"))
    assert listed(get(client, language="german")) == [speaks.slug]


def test_filters_combine(client):
    wanted = DoctorProfileFactory(
        specialization__slug="cardio", city="Berlin", user__full_name="Ada Lee"
    )
    DoctorProfileFactory(specialization__slug="cardio", city="Paris")
    DoctorProfileFactory(specialization__slug="derma", city="Berlin")
    DoctorProfileFactory(
        specialization__slug="cardio", city="Berlin", user__full_name="Bo Chen"
    )
    response = get(client, specialization="cardio", city="Berlin", q="lee")
    assert listed(response) == [wanted.slug]


# --- Sorts ----------------------------------------------------------------------------
def test_default_sort_is_most_followed_first(client):
    few = DoctorProfileFactory(followers_count=1)
    many = DoctorProfileFactory(followers_count=9)
    assert listed(get(client)) == [many.slug, few.slug]
    assert listed(get(client, sort="popular")) == [many.slug, few.slug]


def test_sort_by_rating_then_number_of_ratings(client):
    low = DoctorProfileFactory(rating_avg="3.5", rating_count=40)
    high_few = DoctorProfileFactory(rating_avg="4.8", rating_count=2)
    high_many = DoctorProfileFactory(rating_avg="4.8", rating_count=30)
    assert listed(get(client, sort="rating")) == [
        high_many.slug,
        high_few.slug,
        low.slug,
    ]


def test_sort_by_name(client):
    zed = DoctorProfileFactory(user__full_name="Zed Young")
    ada = DoctorProfileFactory(user__full_name="Ada Lee")
    assert listed(get(client, sort="name")) == [ada.slug, zed.slug]


def test_sort_by_newest(client):
    old = DoctorProfileFactory()
    new = DoctorProfileFactory()
    DoctorProfile.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=30)
    )
    assert listed(get(client, sort="newest")) == [new.slug, old.slug]


# --- Next available (real slots) ------------------------------------------------------
def in_hours(hours: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


def test_next_available_sort_puts_soonest_first_and_doctors_without_slots_last(
    client, next_free
):
    DoctorProfileFactory(slug="none", followers_count=100)
    later = DoctorProfileFactory(slug="later")
    sooner = DoctorProfileFactory(slug="sooner")
    SlotFactory(doctor=later, starts_at=in_hours(50))
    SlotFactory(doctor=sooner, starts_at=in_hours(70))
    SlotFactory(doctor=sooner, starts_at=in_hours(5))
    next_free()
    response = get(client, sort="next_available")
    assert listed(response) == ["sooner", "later", "none"]
    assert response.context["doctors"][0].next_available == (
        sooner.slots.order_by("starts_at").first().starts_at
    )
    assert response.context["doctors"][2].next_available is None


def test_next_available_skips_booked_held_and_too_soon_slots(client, next_free):
    doctor = DoctorProfileFactory(min_notice=dt.timedelta(hours=2))
    SlotFactory(doctor=doctor, starts_at=in_hours(1))  # inside the notice
    SlotFactory(doctor=doctor, starts_at=in_hours(3), is_booked=True)
    SlotFactory(
        doctor=doctor,
        starts_at=in_hours(4),
        held_by=DoctorProfileFactory().user,
        held_until=in_hours(0.1),
    )
    bookable = SlotFactory(doctor=doctor, starts_at=in_hours(6))
    next_free()
    doctors = get(client, sort="next_available").context["doctors"]
    assert doctors[0].next_available == bookable.starts_at


def test_available_within_days_filters_on_the_next_bookable_slot(client, next_free):
    tomorrow = DoctorProfileFactory(slug="tomorrow")
    next_week = DoctorProfileFactory(slug="next-week")
    DoctorProfileFactory(slug="never")
    booked_soon = DoctorProfileFactory(slug="booked-soon")
    SlotFactory(doctor=tomorrow, starts_at=in_hours(20))
    SlotFactory(doctor=next_week, starts_at=in_hours(24 * 6))
    SlotFactory(doctor=booked_soon, starts_at=in_hours(10), is_booked=True)
    next_free()
    within_1 = get(client, available_within="1", sort="name")
    assert listed(within_1) == ["tomorrow"]
    within_7 = get(client, available_within="7", sort="next_available")
    assert listed(within_7) == ["tomorrow", "next-week"]


def test_card_shows_the_next_free_time_in_the_viewers_zone(client, patient, next_free):
    patient.timezone = "Asia/Tokyo"
    patient.save()
    client.force_login(patient)
    doctor = DoctorProfileFactory(user__full_name="Ada Lee")
    far = SlotFactory(
        doctor=doctor, starts_at=dt.datetime(2030, 12, 3, 0, 30, tzinfo=dt.UTC)
    )
    DoctorProfile.objects.filter(pk=doctor.pk).update(
        booking_horizon=dt.timedelta(days=180)
    )
    next_free()
    with_horizon = get(client).content.decode()
    # Beyond the horizon: not offered.
    assert f'data-slot-id="{far.pk}"' not in with_horizon
    assert "No free times online for now." in with_horizon
    soon = SlotFactory(doctor=doctor, starts_at=in_hours(30))
    next_free()
    expected = timezone.localtime(
        in_hours(30), timezone=dt.timezone(dt.timedelta(hours=9))
    )
    content = get(client).content.decode()
    assert f'data-slot-id="{soon.pk}"' in content
    assert f'data-slot-id="{far.pk}"' not in content
    day = f"{expected:%a} {expected.day} {expected:%b}"
    assert f"{day}</span> <strong>{expected:%H:%M}</strong>" in content


# --- Pagination -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "sort", ["popular", "rating", "name", "newest", "next_available"]
)
def test_walking_every_page_shows_each_doctor_exactly_once(client, sort):
    # Everything ties (same followers, rating, name, creation second, no slots):
    # only the id tie-break keeps pages stable.
    doctors = DoctorProfileFactory.create_batch(
        45, user__full_name="Same Name", followers_count=3
    )
    DoctorProfile.objects.update(created_at=timezone.now())
    seen = []
    for number in (1, 2, 3):
        response = get(client, sort=sort, page=number)
        assert len(response.context["doctors"]) == (20 if number < 3 else 5)
        seen += listed(response)
    assert len(seen) == len(set(seen)) == 45
    assert set(seen) == {doctor.slug for doctor in doctors}


def test_page_links_keep_the_filters(client):
    DoctorProfileFactory.create_batch(21, city="Berlin")
    response = get(client, city="Berlin", sort="name")
    assert 'href="?city=Berlin&amp;sort=name&amp;page=2"' in response.content.decode()


@pytest.mark.parametrize(
    ("page", "expected"), [("99", 2), ("junk", 1), ("-1", 2), ("0", 2), ("", 1)]
)
def test_out_of_range_or_junk_page_shows_the_nearest_valid_page(client, page, expected):
    DoctorProfileFactory.create_batch(21)
    response = get(client, page=page)
    assert response.context["page_obj"].number == expected


# --- Bad input ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"sort": "price; DROP TABLE doctors_doctorprofile"},
        {"specialization": "no-such-thing"},
        {"language": "klingon"},
        {"city": "Atlantis"},
        {"available_within": "forever"},
        {"available_within": "-3"},
    ],
)
def test_unknown_values_are_ignored(client, params):
    doctor = DoctorProfileFactory()
    assert listed(get(client, **params)) == [doctor.slug]


def test_a_2000_character_query_is_cut_and_answered(client):
    DoctorProfileFactory()
    response = get(client, q="a" * 2000)
    assert listed(response) == []
    assert response.context["form"]["q"].value() == "a" * MAX_QUERY_LENGTH


def test_sql_like_query_is_plain_text(client):
    DoctorProfileFactory()
    assert listed(get(client, q="' OR 1=1 --")) == []
    assert listed(get(client, q="%")) == []
    assert listed(get(client, q="_")) == []


def test_html_in_the_query_is_escaped(client):
    response = get(client, q='<script>alert("x")</script>')
    content = response.content.decode()
    assert '<script>alert("x")</script>' not in content
    assert "&lt;script&gt;" in content


# --- Empty states ---------------------------------------------------------------------
def test_empty_results_suggest_removing_a_filter(client):
    DoctorProfileFactory(city="Berlin")
    response = get(client, q="nobody", city="Berlin", sort="name")
    content = response.content.decode()
    assert "No doctors match your search." in content
    assert 'href="/doctors/?city=Berlin&amp;sort=name"' in content  # without q
    assert 'href="/doctors/?q=nobody&amp;sort=name"' in content  # without city
    assert "Clear all filters" in content


def test_empty_directory_says_so(client):
    assert "No doctors are listed yet." in get(client).content.decode()


# --- htmx -----------------------------------------------------------------------------
def test_htmx_request_gets_only_the_results_fragment(client):
    doctor = DoctorProfileFactory(user__full_name="Ada Lee")
    response = client.get(LIST, {"q": "ada"}, headers={"HX-Request": "true"})
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "<html" not in content and "<form" not in content.split("card")[0]
    assert doctor.get_absolute_url() in content
    assert 'id="results-count"' in content


def test_full_page_has_the_htmx_form_and_the_live_results_region(client):
    DoctorProfileFactory()
    content = get(client).content.decode()
    assert "<html" in content
    assert 'method="get" action="/doctors/"' in content
    assert 'hx-get="/doctors/"' in content and 'hx-push-url="true"' in content
    assert 'id="doctor-results" aria-live="polite"' in content


# --- Viewer's follow state and query counts -------------------------------------------
def test_cards_show_the_viewers_follow_state(patient_client, patient):
    followed = DoctorProfileFactory(slug="followed")
    DoctorProfileFactory(slug="not-followed")
    FollowFactory(patient=patient, doctor=followed)
    FollowFactory(doctor=DoctorProfileFactory(slug="someone-elses"))
    doctors = {d.slug: d.is_followed for d in get(patient_client).context["doctors"]}
    assert doctors == {
        "followed": True,
        "not-followed": False,
        "someone-elses": False,
    }
    content = get(patient_client).content.decode()
    assert reverse("doctors:unfollow", args=["followed"]) in content
    assert reverse("doctors:follow", args=["not-followed"]) in content


def count_queries(client, django_assert_max_num_queries, limit, **params):
    """Queries of the page when nothing of it is cached (doctors.cache)."""
    cache.clear()
    with django_assert_max_num_queries(limit) as captured:
        get(client, **params)
    return len(captured)


@pytest.mark.parametrize(
    ("signed_in", "sort", "limit"),
    [
        # Specializations, languages, cities, count, page, the page's next
        # free times (+ the page's users and specializations for the
        # next-available sort); signed in adds the session, the user and the
        # navbar's notification badge.
        (False, "popular", 6),
        (False, "next_available", 8),
        (True, "popular", 10),
        (True, "next_available", 12),
    ],
)
def test_query_count_does_not_grow_with_the_number_of_doctors(
    client, patient, django_assert_max_num_queries, signed_in, sort, limit
):
    if signed_in:
        client.force_login(patient)
    params = {"sort": sort, "language": "german", "q": "a"}
    german = LanguageFactory(slug="german")

    def add_doctors(count):
        for doctor in DoctorProfileFactory.create_batch(count, user__full_name="Ada"):
            doctor.languages.add(german)
            SlotFactory(doctor=doctor, starts_at=in_hours(30))
            FollowFactory(doctor=doctor, patient=patient)

    add_doctors(5)
    few = count_queries(client, django_assert_max_num_queries, limit, **params)
    add_doctors(55)
    many = count_queries(client, django_assert_max_num_queries, limit, **params)
    assert few == many


def test_next_available_pages_mix_stored_and_searched_doctors_in_one_order(client):
    """Doctors whose stored next free slot is current and doctors searched from
    their slots (never checked, or stale) sort together, page after page."""
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=3)
    doctors = DoctorProfileFactory.create_batch(50)
    for index, doctor in enumerate(doctors):
        if index % 5 == 4:
            continue  # no slots: listed last
        if index % 5 == 3:  # only in two days: not "within 1 day"
            SlotFactory(doctor=doctor, starts_at=start + dt.timedelta(days=2))
            continue
        for step in range(index % 3, 6, 2):  # ties across doctors on purpose
            SlotFactory(doctor=doctor, starts_at=start + step * HOUR)
        if index % 7 == 0:
            SlotFactory(doctor=doctor, starts_at=start - HOUR, is_booked=True)
    refresh_next_free([doctor.pk for doctor in doctors[::2]], now=timezone.now())
    first_free = {
        doctor.pk: doctor.slots.filter(is_booked=False).order_by("starts_at").first()
        for doctor in doctors
    }
    expected = sorted(
        doctors,
        key=lambda doctor: (
            first_free[doctor.pk] is None,
            getattr(first_free[doctor.pk], "starts_at", start),
            doctor.pk,
        ),
    )
    shown = []
    for number in (1, 2, 3):
        shown += listed(get(client, page=number, sort="next_available"))
    assert shown == [doctor.slug for doctor in expected]
    tomorrow = start + dt.timedelta(days=1)
    within_a_day = []
    for number in (1, 2):
        within_a_day += listed(
            get(client, page=number, available_within="1", sort="next_available")
        )
    assert within_a_day == [
        doctor.slug
        for doctor in expected
        if first_free[doctor.pk] and first_free[doctor.pk].starts_at < tomorrow
    ]
    assert len(within_a_day) == 30

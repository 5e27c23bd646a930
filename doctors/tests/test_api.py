"""/api/v1/doctors/ and /api/v1/me/doctor-application/: the directory with the
page's own filter, profiles, following, applying."""

from http import HTTPStatus

import pytest

from accounts.tests.api import ApiClient
from accounts.tests.factories import UserFactory
from doctors.models import DoctorProfile, Follow
from doctors.tests.factories import (
    DoctorProfileFactory,
    LanguageFactory,
    SpecializationFactory,
)

pytestmark = pytest.mark.django_db


def test_the_directory_is_public_paginated_and_stably_ordered(client):
    for n in range(25):
        DoctorProfileFactory(followers_count=n % 3, city="Berlin")
    DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    first = client.get("/api/v1/doctors/").json()
    assert first["count"] == 25
    second = client.get(first["next"]).json()
    slugs = [d["slug"] for d in first["results"] + second["results"]]
    assert len(slugs) == len(set(slugs)) == 25  # no repeats, no gaps
    followers = [d["followers_count"] for d in first["results"]]
    assert followers == sorted(followers, reverse=True)
    card = first["results"][0]
    assert card["consultation_fee"] == "60.00"  # money as a decimal string
    assert card["currency"] == "EUR"
    assert card["is_followed"] is False


def test_the_directory_uses_the_pages_filters_and_sort(client):
    cardio = SpecializationFactory(slug="cardiology", name="Cardiology")
    greek = LanguageFactory(slug="greek", name="Greek")
    match = DoctorProfileFactory(
        specialization=cardio, city="Athens", user__full_name="Eleni Papas"
    )
    match.languages.add(greek)
    DoctorProfileFactory(specialization=cardio, city="Berlin")
    DoctorProfileFactory(city="Athens")
    response = client.get(
        "/api/v1/doctors/",
        {"specialization": "cardiology", "city": "Athens", "language": "greek"},
    )
    assert [d["slug"] for d in response.json()["results"]] == [match.slug]
    assert client.get("/api/v1/doctors/", {"q": "eleni"}).json()["count"] == 1
    named = client.get("/api/v1/doctors/", {"sort": "name"}).json()["results"]
    assert [d["name"] for d in named] == sorted(d["name"] for d in named)
    # Unknown values are a 400 (the page ignores them): see below.
    response = client.get("/api/v1/doctors/", {"sort": "nonsense", "city": "Nowhere"})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_the_directory_query_count_does_not_grow_with_the_page(
    client, django_assert_max_num_queries
):
    for _ in range(20):
        DoctorProfileFactory()
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/doctors/").status_code == HTTPStatus.OK


def test_a_doctors_profile(client, doctor):
    body = client.get(f"/api/v1/doctors/{doctor.slug}/").json()
    assert body["name"] == "Ada Lee"
    assert body["specialization"]["slug"] == doctor.specialization.slug
    assert "license_number" not in body


def test_a_pending_profile_is_404_except_to_its_owner(client):
    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    url = f"/api/v1/doctors/{pending.slug}/"
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert ApiClient(UserFactory()).get(url).status_code == HTTPStatus.NOT_FOUND
    assert ApiClient(pending.user).get(url).status_code == HTTPStatus.OK


def test_follow_and_unfollow(patient, doctor):
    api = ApiClient(patient)
    url = f"/api/v1/doctors/{doctor.slug}/follow/"
    response = api.post(url)
    assert response.status_code == HTTPStatus.CREATED
    assert response.json() == {"following": True, "followers_count": 1}
    assert api.post(url).status_code == HTTPStatus.OK  # already
    assert api.get(f"/api/v1/doctors/{doctor.slug}/").json()["is_followed"] is True
    response = api.delete(url)
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"following": False, "followers_count": 0}
    assert not Follow.objects.exists()


def test_following_needs_a_token(client, doctor):
    response = client.post(f"/api/v1/doctors/{doctor.slug}/follow/")
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_a_doctor_cannot_follow_themselves(doctor):
    response = ApiClient(doctor.user).post(f"/api/v1/doctors/{doctor.slug}/follow/")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["errors"][0]["code"] == "permission_denied"


def test_an_unknown_doctor_is_404(patient):
    response = ApiClient(patient).post("/api/v1/doctors/nobody/follow/")
    assert response.status_code == HTTPStatus.NOT_FOUND


APPLICATION = {
    "license_number": "ber-1",
    "bio": "Heart health.",
    "qualifications": "MD",
    "years_of_experience": 5,
    "clinic_name": "Praxis",
    "address": "Street 1",
    "city": "  berlin ",
    "consultation_fee": "80.00",
    "timezone": "Europe/Berlin",
}


def test_apply_then_see_the_status(patient):
    SpecializationFactory(slug="cardiology")
    LanguageFactory(slug="german")
    api = ApiClient(patient)
    assert api.get("/api/v1/me/doctor-application/").status_code == (
        HTTPStatus.NOT_FOUND
    )
    response = api.post(
        "/api/v1/me/doctor-application/",
        {**APPLICATION, "specialization": "cardiology", "languages": ["german"]},
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["city"] == "Berlin"  # the page's form cleaned it
    assert body["license_number"] == "BER-1"
    assert api.get("/api/v1/me/doctor-application/").json()["status"] == "pending"
    again = api.post(
        "/api/v1/me/doctor-application/",
        {**APPLICATION, "specialization": "cardiology", "languages": ["german"]},
    )
    assert again.status_code == HTTPStatus.CONFLICT
    assert again.json()["errors"][0]["code"] == "already_applied"


def test_an_application_with_bad_fields_is_400_per_field(patient):
    response = ApiClient(patient).post(
        "/api/v1/me/doctor-application/",
        {**APPLICATION, "specialization": "nope", "languages": ["nope"]},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    fields = {error["attr"] for error in response.json()["errors"]}
    assert {"specialization", "languages"} <= fields
    assert not DoctorProfile.objects.exists()


def test_the_application_form_rules_apply(patient):
    SpecializationFactory(slug="cardiology")
    LanguageFactory(slug="german")
    response = ApiClient(patient).post(
        "/api/v1/me/doctor-application/",
        {
            **APPLICATION,
            "specialization": "cardiology",
            "languages": ["german", "klingon"],
        },
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    (error,) = response.json()["errors"]
    assert error["attr"] == "languages"
    assert "klingon" in error["detail"]


def test_unknown_sort_and_filter_values_are_a_400_naming_them(client):
    SpecializationFactory(slug="cardiology", name="Cardiology")
    DoctorProfileFactory(specialization__slug="dermatology")
    response = client.get(
        "/api/v1/doctors/", {"sort": "bogus", "specialization": "nope"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    errors = {error["attr"]: error for error in response.json()["errors"]}
    assert set(errors) == {"sort", "specialization"}
    assert errors["sort"]["code"] == "invalid_choice"
    assert "“bogus”" in errors["sort"]["detail"]
    assert "popular, rating, name, newest, next_available" in errors["sort"]["detail"]
    assert "cardiology" in errors["specialization"]["detail"]
    # Known values (any case, as on the page) and empty ones are fine.
    ok = client.get("/api/v1/doctors/", {"sort": "Rating", "specialization": ""})
    assert ok.status_code == HTTPStatus.OK


def test_the_directory_page_still_ignores_unknown_values(client):
    DoctorProfileFactory()
    response = client.get("/doctors/", {"sort": "bogus", "specialization": "nope"})
    assert response.status_code == HTTPStatus.OK

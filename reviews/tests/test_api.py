"""/api/v1/ reviews: a doctor's reviews with aggregates, post, edit, delete, reply."""

import datetime as dt
from http import HTTPStatus

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.api import ApiClient
from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory
from reviews.models import Review
from reviews.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db


def test_a_doctors_reviews_with_the_aggregates(client, doctor, visit):
    ApiClient(visit.patient).post(
        f"/api/v1/appointments/{visit.pk}/review/", {"rating": 4, "comment": "Good"}
    )
    ReviewFactory(appointment__slot__doctor=doctor, is_hidden=True, rating=1)
    body = client.get(f"/api/v1/doctors/{doctor.slug}/reviews/").json()
    assert body["rating_avg"] == "4.00"
    assert body["rating_count"] == 1
    assert body["count"] == 1  # the hidden one is left out
    assert [share["count"] for share in body["distribution"]] == [0, 1, 0, 0, 0]
    assert body["results"][0]["author"] == "Pat P."


def test_post_a_review_once(visit):
    api = ApiClient(visit.patient)
    url = f"/api/v1/appointments/{visit.pk}/review/"
    response = api.post(url, {"rating": 5, "comment": "Thorough"})
    assert response.status_code == HTTPStatus.CREATED, response.content
    assert response.json()["rating"] == 5
    again = api.post(url, {"rating": 5})
    assert again.status_code == HTTPStatus.CONFLICT


@pytest.mark.parametrize("rating", [0, 6, "five"])
def test_a_bad_rating_is_400(visit, rating):
    response = ApiClient(visit.patient).post(
        f"/api/v1/appointments/{visit.pk}/review/", {"rating": rating}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"][0]["attr"] == "rating"


def test_an_uncompleted_visit_is_409_and_anothers_is_404(patient, other_patient):
    pending = AppointmentFactory(patient=patient)
    api = ApiClient(patient)
    url = f"/api/v1/appointments/{pending.pk}/review/"
    assert api.post(url, {"rating": 5}).status_code == HTTPStatus.CONFLICT
    theirs = AppointmentFactory(
        patient=other_patient, status=Appointment.Status.COMPLETED
    )
    response = api.post(f"/api/v1/appointments/{theirs.pk}/review/", {"rating": 5})
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_edit_within_30_days_then_409(visit):
    review = ReviewFactory(appointment=visit)
    api = ApiClient(visit.patient)
    response = api.patch(f"/api/v1/reviews/{review.pk}/", {"comment": "Even better"})
    assert response.status_code == HTTPStatus.OK
    assert response.json()["comment"] == "Even better"
    assert response.json()["rating"] == 5
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        late = ApiClient(visit.patient).patch(
            f"/api/v1/reviews/{review.pk}/", {"rating": 1}
        )
    assert late.status_code == HTTPStatus.CONFLICT


def test_only_the_author_edits_or_deletes(visit, other_patient, doctor):
    review = ReviewFactory(appointment=visit)
    for user in (other_patient, doctor.user):
        api = ApiClient(user)
        assert (
            api.patch(f"/api/v1/reviews/{review.pk}/", {"rating": 1}).status_code == 404
        )
        assert api.delete(f"/api/v1/reviews/{review.pk}/").status_code == 404
    response = ApiClient(visit.patient).delete(f"/api/v1/reviews/{review.pk}/")
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not Review.objects.exists()


def test_the_doctor_replies(visit, doctor, patient):
    review = ReviewFactory(appointment=visit)
    url = f"/api/v1/reviews/{review.pk}/reply/"
    assert ApiClient(patient).put(url, {"reply": "x"}).status_code == 403
    api = ApiClient(doctor.user)
    assert api.put(url, {"reply": ""}).status_code == HTTPStatus.BAD_REQUEST
    response = api.put(url, {"reply": "Thank you!"})
    assert response.status_code == HTTPStatus.OK
    assert response.json()["reply"] == "Thank you!"


def test_another_doctors_review_is_404_to_reply(visit):
    from doctors.tests.factories import DoctorProfileFactory

    review = ReviewFactory(appointment=visit)
    other = DoctorProfileFactory()
    response = ApiClient(other.user).put(
        f"/api/v1/reviews/{review.pk}/reply/", {"reply": "Hi"}
    )
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_the_reviews_query_count_is_flat(client, doctor, django_assert_max_num_queries):
    for _ in range(12):
        ReviewFactory(appointment__slot__doctor=doctor)
    with django_assert_max_num_queries(6):
        body = client.get(f"/api/v1/doctors/{doctor.slug}/reviews/").json()
    assert body["count"] == 12


def test_a_public_review_shows_the_month_of_the_visit_never_its_time(client, doctor):
    starts_at = dt.datetime(2026, 11, 3, 8, 30, tzinfo=dt.UTC)
    ReviewFactory(
        appointment__slot__doctor=doctor,
        appointment__slot__starts_at=starts_at,
        appointment__slot__ends_at=starts_at + dt.timedelta(minutes=30),
    )
    response = client.get(f"/api/v1/doctors/{doctor.slug}/reviews/")
    review = response.json()["results"][0]
    assert review["visit_month"] == "2026-11"
    assert "08:30" not in response.content.decode()
    assert "2026-11-03" not in response.content.decode()


def test_an_unknown_review_sort_is_a_400(client, doctor):
    response = client.get(f"/api/v1/doctors/{doctor.slug}/reviews/", {"sort": "best"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    [error] = response.json()["errors"]
    assert error["attr"] == "sort"
    assert "newest, highest, lowest" in error["detail"]

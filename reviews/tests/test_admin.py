from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from notifications.models import Notification
from reviews import services
from reviews.models import Review
from reviews.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:reviews_review_changelist")


@pytest.fixture
def reviews(doctor):
    made = [
        ReviewFactory(appointment__slot__doctor=doctor, rating=rating)
        for rating in (5, 1, 3)
    ]
    services.recompute_rating(doctor_id=doctor.pk)
    return made


def test_the_changelist_filters_and_searches_in_few_queries(
    staff_client, reviews, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = staff_client.get(CHANGELIST, {"is_hidden__exact": "0"})
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["cl"].result_list) == 3
    found = staff_client.get(CHANGELIST, {"q": "Kind and thorough"})
    assert len(found.context["cl"].result_list) == 3
    by_rating = staff_client.get(CHANGELIST, {"rating": "1"})
    assert [r.rating for r in by_rating.context["cl"].result_list] == [1]


def test_hide_asks_for_a_reason_on_an_intermediate_page(staff_client, reviews, doctor):
    selected = [reviews[1].pk, reviews[2].pk]
    data = {"action": "hide_selected", ACTION_CHECKBOX_NAME: selected}
    page = staff_client.post(CHANGELIST, data)
    assert page.status_code == HTTPStatus.OK
    assert "Reason for hiding" in page.content.decode()
    assert not Review.objects.filter(is_hidden=True).exists()

    empty = staff_client.post(CHANGELIST, {**data, "apply": "1", "reason": ""})
    assert "Give the reason for hiding." in empty.content.decode()
    assert not Review.objects.filter(is_hidden=True).exists()

    response = staff_client.post(
        CHANGELIST, {**data, "apply": "1", "reason": "Off-topic"}, follow=True
    )
    assert "2 reviews hidden" in response.content.decode()
    assert set(Review.objects.filter(is_hidden=True).values_list("pk", flat=True)) == (
        set(selected)
    )
    assert (
        Notification.objects.filter(kind=Notification.Kind.REVIEW_HIDDEN).count() == 2
    )
    doctor.refresh_from_db()
    assert (doctor.rating_avg, doctor.rating_count) == (Decimal("5.00"), 1)


def test_unhide_selected_goes_through_the_service(staff_client, staff, reviews, doctor):
    services.hide(staff=staff, review_id=reviews[1].pk, reason="Spam")
    response = staff_client.post(
        CHANGELIST,
        {"action": "unhide_selected", ACTION_CHECKBOX_NAME: [reviews[1].pk]},
        follow=True,
    )
    assert "1 review shown again." in response.content.decode()
    doctor.refresh_from_db()
    assert (doctor.rating_avg, doctor.rating_count) == (Decimal("3.00"), 3)


def test_staff_cannot_add_edit_or_delete_reviews_in_admin(staff_client, reviews):
    assert staff_client.get(reverse("admin:reviews_review_add")).status_code == (
        HTTPStatus.FORBIDDEN
    )
    url = reverse("admin:reviews_review_delete", args=[reviews[0].pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    change = reverse("admin:reviews_review_change", args=[reviews[0].pk])
    staff_client.post(change, {"rating": "1", "comment": "forged"})
    assert Review.objects.get(pk=reviews[0].pk).rating == 5


def test_patients_and_doctors_have_no_admin(client, patient, doctor):
    for user in (patient, doctor.user):
        client.force_login(user)
        response = client.get(CHANGELIST)
        assert response.status_code == HTTPStatus.FOUND
        assert reverse("admin:login") in response.url

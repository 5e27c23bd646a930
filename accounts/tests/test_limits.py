"""One budget per action per user, whichever door spends it (accounts/limits.py)."""

import datetime as dt
from http import HTTPStatus

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts import limits
from accounts.tests.api import ApiClient
from appointments.tests.factories import SlotFactory
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification
from reviews.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db

LIMITED = HTTPStatus.TOO_MANY_REQUESTS


def free_slot(hours: float):
    start = (timezone.now() + dt.timedelta(hours=hours)).replace(
        second=0, microsecond=0
    )
    return SlotFactory(
        doctor=DoctorProfileFactory(),
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
    )


def test_page_holds_and_api_holds_spend_one_booking_budget(
    patient, patient_client, settings
):
    settings.BOOKING_RATE_LIMIT = "4/m"
    api = ApiClient(patient)
    slots = [free_slot(48 + 2 * n) for n in range(6)]

    def page_hold(slot):
        return patient_client.post(reverse("appointments:hold", args=[slot.pk]))

    def api_hold(slot):
        return api.post(f"/api/v1/slots/{slot.pk}/hold/")

    spent = [page_hold(slots[0]), page_hold(slots[1]), api_hold(slots[2])]
    spent.append(api_hold(slots[3]))
    assert all(r.status_code < 400 for r in spent), [r.status_code for r in spent]
    assert api_hold(slots[4]).status_code == LIMITED
    assert page_hold(slots[5]).status_code == LIMITED


def test_the_api_says_how_long_to_wait(patient, settings):
    settings.BOOKING_RATE_LIMIT = "1/m"
    api = ApiClient(patient)
    api.post(f"/api/v1/slots/{free_slot(48).pk}/hold/")
    response = api.post(f"/api/v1/slots/{free_slot(50).pk}/hold/")
    assert response.status_code == LIMITED
    assert 1 <= int(response["Retry-After"]) <= 60


def test_review_edits_on_page_and_api_share_one_budget(
    patient, patient_client, monkeypatch
):
    monkeypatch.setitem(limits.BUDGETS, "review_change", "3/h")
    review = ReviewFactory(appointment__patient=patient)
    api = ApiClient(patient)
    edit = reverse("reviews:edit", args=[review.pk])
    body = {"rating": 4, "comment": "Kind, thorough and on time."}

    assert patient_client.post(edit, body).status_code == HTTPStatus.FOUND
    assert api.patch(f"/api/v1/reviews/{review.pk}/", body).status_code == 200
    assert patient_client.post(edit, body).status_code == HTTPStatus.FOUND
    assert api.patch(f"/api/v1/reviews/{review.pk}/", body).status_code == LIMITED
    assert patient_client.post(edit, body).status_code == LIMITED


def test_following_and_unfollowing_on_both_doors_share_one_budget(
    patient, patient_client, doctor, monkeypatch
):
    monkeypatch.setitem(limits.BUDGETS, "follow", "4/m")
    api = ApiClient(patient)
    api_url = f"/api/v1/doctors/{doctor.slug}/follow/"
    follow = reverse("doctors:follow", args=[doctor.slug])
    unfollow = reverse("doctors:unfollow", args=[doctor.slug])

    assert patient_client.post(follow).status_code == HTTPStatus.FOUND
    assert api.delete(api_url).status_code < 400
    assert api.post(api_url).status_code < 400
    assert patient_client.post(unfollow).status_code == HTTPStatus.FOUND
    assert api.post(api_url).status_code == LIMITED
    assert patient_client.post(follow).status_code == LIMITED


def test_marking_all_read_shares_a_budget_across_doors(
    patient, patient_client, monkeypatch
):
    monkeypatch.setitem(limits.BUDGETS, "notifications_read_all", "2/m")
    api = ApiClient(patient)
    assert patient_client.post(reverse("notifications:mark_all_read")).status_code < 400
    assert api.post("/api/v1/notifications/read-all/").status_code < 400
    assert api.post("/api/v1/notifications/read-all/").status_code == LIMITED
    page = patient_client.post(reverse("notifications:mark_all_read"))
    assert page.status_code == LIMITED


def test_each_user_has_their_own_budget(patient, other_patient, monkeypatch, doctor):
    monkeypatch.setitem(limits.BUDGETS, "follow", "1/m")
    url = f"/api/v1/doctors/{doctor.slug}/follow/"
    assert ApiClient(patient).post(url).status_code < 400
    assert ApiClient(other_patient).post(url).status_code < 400


def test_every_page_budget_has_an_api_twin_with_the_same_name():
    """Each API write that has a page twin names the page's budget."""
    from appointments import api as appointments_api
    from doctors import api as doctors_api
    from notifications import api as notifications_api
    from reviews import api as reviews_api

    named = {
        view.rate_action
        for module in (appointments_api, doctors_api, notifications_api, reviews_api)
        for view in vars(module).values()
        if isinstance(view, type) and getattr(view, "rate_action", None)
    }
    assert named <= set(limits.BUDGETS)
    assert {"booking", "appointment_change", "follow", "review_change"} <= named


# --- following, unfollowing, following again -------------------------------------


def test_toggling_follow_tells_the_doctor_at_most_once_a_day(patient_client, doctor):
    follow = reverse("doctors:follow", args=[doctor.slug])
    unfollow = reverse("doctors:unfollow", args=[doctor.slug])
    inbox = Notification.objects.filter(
        recipient=doctor.user, kind=Notification.Kind.FOLLOWED
    )
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        for _ in range(5):
            patient_client.post(follow)
            patient_client.post(unfollow)
        patient_client.post(follow)
        assert inbox.count() == 1
    with time_machine.travel(now + dt.timedelta(hours=23), tick=False):
        patient_client.post(unfollow)
        patient_client.post(follow)
        assert inbox.count() == 1
    with time_machine.travel(now + dt.timedelta(hours=25), tick=False):
        patient_client.post(unfollow)
        patient_client.post(follow)
        assert inbox.count() == 2


def test_another_patient_following_is_told_separately(
    client, patient, other_patient, doctor
):
    for who in (patient, other_patient):
        client.force_login(who)
        client.post(reverse("doctors:follow", args=[doctor.slug]))
    assert Notification.objects.filter(recipient=doctor.user).count() == 2

import datetime as dt
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Slot, TimeOff, WeeklyAvailability
from appointments.tests.factories import (
    SlotFactory,
    TimeOffFactory,
    WeeklyAvailabilityFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["weeklyavailability", "timeoff", "slot"])
def test_staff_see_the_schedule_lists_in_constant_queries(
    staff_client, model, django_assert_max_num_queries
):
    for _ in range(5):
        SlotFactory()
        TimeOffFactory()
        WeeklyAvailabilityFactory()
    url = reverse(f"admin:appointments_{model}_changelist")
    with django_assert_max_num_queries(15):
        response = staff_client.get(url, {"q": ""})
    assert response.status_code == HTTPStatus.OK


def test_patients_cannot_open_the_admin(patient_client):
    url = reverse("admin:appointments_slot_changelist")
    assert patient_client.get(url).status_code == HTTPStatus.FOUND


def test_staff_only_read_hours_and_time_off(staff_client):
    for model in ("weeklyavailability", "timeoff"):
        url = reverse(f"admin:appointments_{model}_add")
        assert staff_client.get(url).status_code == HTTPStatus.FORBIDDEN


def test_adding_hours_in_admin_regenerates_slots(admin_client, doctor):
    url = reverse("admin:appointments_weeklyavailability_add")
    response = admin_client.post(
        url,
        {
            "doctor": doctor.pk,
            "weekday": timezone.now().weekday(),
            "start_time": "00:00",
            "end_time": "23:30",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert WeeklyAvailability.objects.filter(doctor=doctor).exists()
    assert Slot.objects.filter(doctor=doctor).exists()


def test_slots_cannot_be_added_or_deleted_in_admin_even_by_superusers(admin_client):
    slot = SlotFactory()
    add = reverse("admin:appointments_slot_add")
    assert admin_client.get(add).status_code == HTTPStatus.FORBIDDEN
    url = reverse("admin:appointments_slot_delete", args=[slot.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    assert Slot.objects.filter(pk=slot.pk).exists()


def test_deleting_time_off_in_admin_regenerates(admin_client, doctor):
    period = TimeOffFactory(doctor=doctor)
    WeeklyAvailabilityFactory(doctor=doctor, weekday=period.starts_at.weekday())
    url = reverse("admin:appointments_timeoff_delete", args=[period.pk])
    admin_client.post(url, {"post": "yes"})
    assert not TimeOff.objects.exists()
    assert Slot.objects.filter(doctor=doctor).exists()


def test_hours_overlapping_the_doctors_others_are_refused_in_admin(
    admin_client, doctor
):
    WeeklyAvailabilityFactory(
        doctor=doctor, weekday=1, start_time=dt.time(9), end_time=dt.time(12)
    )
    url = reverse("admin:appointments_weeklyavailability_add")
    window = {"doctor": doctor.pk, "weekday": 1, "end_time": "13:00"}
    response = admin_client.post(url, {**window, "start_time": "11:00"})
    assert response.status_code == HTTPStatus.OK
    assert [
        (e.code, m)
        for e in response.context["adminform"].form.errors.as_data()["start_time"]
        for m in e.messages
    ] == [
        (
            "overlap",
            "Overlaps Tuesday 09:00–12:00: windows on one day must not overlap.",
        )
    ]
    assert WeeklyAvailability.objects.filter(doctor=doctor).count() == 1
    # Touching is fine.
    response = admin_client.post(url, {**window, "start_time": "12:00"})
    assert response.status_code == HTTPStatus.FOUND

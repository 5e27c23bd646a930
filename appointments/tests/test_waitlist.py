"""The waitlist: join (5 at most, one per doctor), told about freed slots in the
order joined, in batches, never twice about one slot, exactly once under
concurrent runs; ends on booking or when the date passes. Pages, API, access."""

import datetime as dt
import threading
from http import HTTPStatus

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from appointments import services, waitlist
from appointments.models import Slot, WaitlistNotice, WaitlistRequest
from appointments.tests.factories import SlotFactory
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification

Kind = Notification.Kind


def until(days=10) -> dt.date:
    return timezone.now().date() + dt.timedelta(days=days)


def free_slot(doctor, hours=48, freed=True) -> Slot:
    start = (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0)
    return SlotFactory(
        doctor=doctor,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        freed_at=timezone.now() if freed else None,
    )


def told(patient) -> list[Notification]:
    return list(
        Notification.objects.filter(recipient=patient, kind=Kind.WAITLIST_SLOT_FREE)
    )


@pytest.mark.django_db
def test_patients_are_told_in_the_order_they_joined_in_batches(doctor, settings):
    settings.WAITLIST_BATCH_SIZE = 2
    patients = [UserFactory() for _ in range(5)]
    for patient in patients:
        waitlist.join(patient=patient, doctor=doctor, until=until())
    slot = free_slot(doctor)
    assert waitlist.notify_waitlist() == 2
    assert [bool(told(p)) for p in patients] == [True, True, False, False, False]
    assert waitlist.notify_waitlist() == 2
    assert waitlist.notify_waitlist() == 1
    assert waitlist.notify_waitlist() == 0  # never twice about one slot
    assert WaitlistNotice.objects.filter(slot=slot).count() == 5
    [notice] = told(patients[0])
    assert notice.link.startswith(
        reverse("appointments:doctor_slots", args=[doctor.slug]) + "?week="
    )
    assert "The first to book it gets it" in notice.message


@pytest.mark.django_db
def test_only_slots_freed_after_joining_and_up_to_the_date(doctor, patient):
    before = free_slot(doctor, hours=30)  # freed before the patient joined
    Slot.objects.filter(pk=before.pk).update(
        freed_at=timezone.now() - dt.timedelta(hours=1)
    )
    waitlist.join(patient=patient, doctor=doctor, until=until(3))
    free_slot(doctor, hours=24 * 6)  # after their date
    free_slot(doctor, hours=40, freed=False)  # never freed (old data)
    assert waitlist.notify_waitlist() == 0
    inside = free_slot(doctor, hours=50)
    assert waitlist.notify_waitlist() == 1
    assert WaitlistNotice.objects.get().slot == inside


@pytest.mark.django_db
def test_a_cancellation_frees_the_slot_for_the_waitlist(doctor, patient, other_patient):
    slot = free_slot(doctor, freed=False)
    appointment = services.book(patient=other_patient, slot_id=slot.pk, reason="Cough")
    waitlist.join(patient=patient, doctor=doctor, until=until())
    assert waitlist.notify_waitlist() == 0  # booked: not free
    services.cancel(user=other_patient, appointment_id=appointment.pk)
    assert waitlist.notify_waitlist() == 1
    assert told(patient)


@pytest.mark.django_db
def test_a_held_or_booked_slot_is_not_offered(doctor, patient, other_patient):
    waitlist.join(patient=patient, doctor=doctor, until=until())
    slot = free_slot(doctor)
    services.hold(patient=other_patient, slot_id=slot.pk)
    assert waitlist.notify_waitlist() == 0


@pytest.mark.django_db
def test_a_request_ends_when_its_patient_books_with_the_doctor(doctor, patient):
    waitlist.join(patient=patient, doctor=doctor, until=until())
    mine = free_slot(doctor, freed=False)
    services.book(patient=patient, slot_id=mine.pk, reason="Cough")
    free_slot(doctor, hours=60)
    assert waitlist.notify_waitlist() == 0
    assert not WaitlistRequest.objects.active(timezone.now().date()).exists()


@pytest.mark.django_db
def test_a_request_ends_when_its_date_passes(doctor, patient):
    entry = waitlist.join(patient=patient, doctor=doctor, until=until(1))
    assert WaitlistRequest.objects.active(until(1)).filter(pk=entry.pk).exists()
    assert not WaitlistRequest.objects.active(until(2)).filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_at_most_five_active_requests_and_one_per_doctor(patient, doctor):
    waitlist.join(patient=patient, doctor=doctor, until=until())
    with pytest.raises(waitlist.AlreadyWaiting):
        waitlist.join(patient=patient, doctor=doctor, until=until())
    for _ in range(4):
        waitlist.join(patient=patient, doctor=DoctorProfileFactory(), until=until())
    with pytest.raises(waitlist.WaitlistFull):
        waitlist.join(patient=patient, doctor=DoctorProfileFactory(), until=until())
    # Leaving one makes room again.
    waitlist.leave(patient=patient, request_id=WaitlistRequest.objects.first().pk)
    waitlist.join(patient=patient, doctor=DoctorProfileFactory(), until=until())


@pytest.mark.django_db
def test_a_doctor_cannot_wait_for_themselves(doctor):
    with pytest.raises(waitlist.OwnWaitlist):
        waitlist.join(patient=doctor.user, doctor=doctor, until=until())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_tell_each_patient_about_each_slot_exactly_once(settings):
    settings.WAITLIST_BATCH_SIZE = 3
    doctor = DoctorProfileFactory()
    patients = [UserFactory() for _ in range(6)]
    for patient in patients:
        waitlist.join(patient=patient, doctor=doctor, until=until())
    slots = [free_slot(doctor, hours=30 + i) for i in range(4)]
    runs = 8
    barrier = threading.Barrier(runs)
    outputs, errors = [], []

    def one_run():
        try:
            barrier.wait(timeout=30)
            outputs.append(waitlist.notify_waitlist())
        except Exception as error:  # noqa: BLE001 — asserted empty below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    # Every (patient, slot) told at most once: as many notices as notifications
    # as the runs counted, and for each slot a prefix of the joining order (a run
    # that reaches a slot after another tells the next three).
    notices = WaitlistNotice.objects.count()
    assert sum(outputs) == notices
    assert Notification.objects.filter(kind=Kind.WAITLIST_SLOT_FREE).count() == notices
    for slot in slots:
        told_ids = list(
            WaitlistNotice.objects.filter(slot=slot)
            .order_by("request__created_at")
            .values_list("request__patient", flat=True)
        )
        assert len(told_ids) >= 3
        assert told_ids == [p.pk for p in patients[: len(told_ids)]]
    assert waitlist.notify_waitlist() == 6 * len(slots) - notices


# --- Pages --------------------------------------------------------------------------


@pytest.mark.django_db
def test_join_and_leave_from_the_pages(patient_client, patient, doctor):
    join = reverse("appointments:waitlist_join", args=[doctor.slug])
    page = patient_client.get(doctor.get_absolute_url())
    assert join.encode() in page.content
    assert patient_client.get(join).status_code == HTTPStatus.OK
    response = patient_client.post(join, {"until": until().isoformat()})
    assert response.status_code == HTTPStatus.FOUND
    entry = WaitlistRequest.objects.get(patient=patient)
    listing = patient_client.get(reverse("appointments:waitlist"))
    assert doctor.display_name.encode() in listing.content
    again = patient_client.post(join, {"until": until().isoformat()})
    assert again.status_code == HTTPStatus.CONFLICT
    assert b"on this doctor&#x27;s waitlist already" in again.content
    leave = reverse("appointments:waitlist_leave", args=[entry.pk])
    assert patient_client.get(leave).status_code == HTTPStatus.OK
    assert patient_client.post(leave).status_code == HTTPStatus.FOUND
    entry.refresh_from_db()
    assert entry.ended_at is not None
    empty = patient_client.get(reverse("appointments:waitlist"))
    assert b"You are not waiting for any doctor" in empty.content


@pytest.mark.django_db
def test_a_past_date_is_refused_beside_the_field(patient_client, doctor):
    response = patient_client.post(
        reverse("appointments:waitlist_join", args=[doctor.slug]),
        {"until": until(-3).isoformat()},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"This date has passed" in response.content
    assert until(-3).isoformat().encode() in response.content


@pytest.mark.django_db
def test_waitlist_list_query_count(
    patient_client, patient, django_assert_max_num_queries
):
    for _ in range(5):
        waitlist.join(patient=patient, doctor=DoctorProfileFactory(), until=until())
    with django_assert_max_num_queries(12):
        assert patient_client.get(reverse("appointments:waitlist")).status_code == 200


@pytest.mark.django_db
def test_page_access(client, patient, other_patient, doctor):
    join = reverse("appointments:waitlist_join", args=[doctor.slug])
    listing = reverse("appointments:waitlist")
    for url in (join, listing):
        assert client.get(url).status_code == HTTPStatus.FOUND  # to log in
    entry = waitlist.join(patient=patient, doctor=doctor, until=until())
    leave = reverse("appointments:waitlist_leave", args=[entry.pk])
    client.force_login(other_patient)
    assert client.get(leave).status_code == HTTPStatus.NOT_FOUND
    assert client.post(leave).status_code == HTTPStatus.NOT_FOUND
    assert doctor.display_name.encode() not in client.get(listing).content
    entry.refresh_from_db()
    assert entry.ended_at is None
    client.force_login(doctor.user)  # a doctor on their own page
    response = client.post(join, {"until": until().isoformat()})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"your own times" in response.content


# --- API ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_list_create_delete(patient_client, patient, other_patient, doctor):
    url = reverse("api:me-waitlist")
    body = {"doctor": doctor.slug, "until": until().isoformat()}
    response = patient_client.post(url, body, content_type="application/json")
    assert response.status_code == HTTPStatus.CREATED
    entry_id = response.json()["id"]
    assert [e["doctor"] for e in patient_client.get(url).json()] == [doctor.slug]
    again = patient_client.post(url, body, content_type="application/json")
    assert again.status_code == HTTPStatus.CONFLICT
    past = patient_client.post(
        url, {**body, "until": until(-1).isoformat()}, content_type="application/json"
    )
    assert past.status_code == HTTPStatus.BAD_REQUEST
    assert "until" in str(past.json())
    detail = reverse("api:me-waitlist-detail", args=[entry_id])
    patient_client.force_login(other_patient)
    assert patient_client.delete(detail).status_code == HTTPStatus.NOT_FOUND
    assert patient_client.get(url).json() == []
    patient_client.force_login(patient)
    assert patient_client.delete(detail).status_code == HTTPStatus.NO_CONTENT
    assert patient_client.delete(detail).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.django_db
def test_api_needs_a_signed_in_user(client):
    response = client.get(reverse("api:me-waitlist"))
    assert response.status_code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN)

"""`Idempotency-Key` on the API's appointment writes: a retried booking whose
answer was lost gets that answer again, not a second booking nor a 409 about
its own booking."""

import datetime as dt
import threading
from collections import Counter
from http import HTTPStatus
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import IdempotencyKey
from accounts.tests.api import ApiClient
from accounts.tests.factories import UserFactory
from appointments import services
from appointments.models import Appointment, Slot
from appointments.tests.factories import AppointmentFactory, SlotFactory, tomorrow_at

Status = Appointment.Status
REASON = "Chest pain when climbing stairs"


def free_slot(doctor, n: int = 0) -> Slot:
    start = tomorrow_at(0, 15) + dt.timedelta(minutes=30 * n)
    return SlotFactory(
        doctor=doctor, starts_at=start, ends_at=start + dt.timedelta(minutes=30)
    )


def book(api, slot, key, reason=REASON):
    return api.post(
        "/api/v1/appointments/",
        {"slot": slot.pk, "reason": reason},
        HTTP_IDEMPOTENCY_KEY=key,
    )


@pytest.mark.django_db
def test_a_booking_retried_after_a_lost_answer_replays_the_first_answer(
    patient, doctor
):
    api = ApiClient(patient)
    slot = free_slot(doctor)
    first = book(api, slot, "booking-1")  # the answer "lost" on the way back
    assert first.status_code == HTTPStatus.CREATED
    retry = book(api, slot, "booking-1")
    assert retry.status_code == HTTPStatus.CREATED
    assert retry.content == first.content
    assert retry["Idempotent-Replayed"] == "true"
    assert Appointment.objects.filter(patient=patient).count() == 1
    # Without the key, the same retry is the 409 the issue reported.
    plain = api.post("/api/v1/appointments/", {"slot": slot.pk, "reason": REASON})
    assert plain.status_code == HTTPStatus.CONFLICT


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_422(patient, doctor):
    api = ApiClient(patient)
    book(api, free_slot(doctor), "booking-1")
    response = book(api, free_slot(doctor, 1), "booking-1")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"
    # Another endpoint with the same key is another request too.
    appointment = Appointment.objects.get()
    cancel = api.post(
        f"/api/v1/appointments/{appointment.pk}/cancel/",
        {},
        HTTP_IDEMPOTENCY_KEY="booking-1",
    )
    assert cancel.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


@pytest.mark.django_db
def test_the_body_is_compared_as_data_not_as_text(patient, doctor):
    api = ApiClient(patient)
    slot = free_slot(doctor)
    book(api, slot, "k")
    reordered = api.post(
        "/api/v1/appointments/",
        f'{{ "reason": "{REASON}",  "slot": {slot.pk} }}',
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert reordered.status_code == HTTPStatus.CREATED
    assert reordered["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_keys_are_per_user(patient, other_patient, doctor):
    book(ApiClient(patient), free_slot(doctor), "same-key")
    other = book(ApiClient(other_patient), free_slot(doctor, 1), "same-key")
    assert other.status_code == HTTPStatus.CREATED
    assert "Idempotent-Replayed" not in other
    assert Appointment.objects.count() == 2


@pytest.mark.django_db
def test_a_refusal_is_replayed_too(patient, other_patient, doctor):
    slot = free_slot(doctor)
    AppointmentFactory(slot=slot, patient=other_patient)
    api = ApiClient(patient)
    first = book(api, slot, "k")
    assert first.status_code == HTTPStatus.CONFLICT
    assert book(api, slot, "k").content == first.content


@pytest.mark.django_db
def test_a_server_error_releases_the_key_so_the_retry_runs(patient, doctor):
    api = ApiClient(patient)
    api.raise_request_exception = False
    slot = free_slot(doctor)
    with mock.patch.object(services, "book", side_effect=RuntimeError("boom")):
        assert book(api, slot, "k").status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert not IdempotencyKey.objects.exists()
    assert book(api, slot, "k").status_code == HTTPStatus.CREATED


@pytest.mark.django_db
def test_a_key_lives_24_hours(patient, doctor):
    api = ApiClient(patient)
    slot = free_slot(doctor)
    book(api, slot, "k")
    later = timezone.now() + dt.timedelta(hours=24, minutes=1)
    with time_machine.travel(later, tick=False):
        api = ApiClient(patient)  # a fresh token: the first one expired
        # Expired: the key is new again, so this is a fresh (refused) request.
        assert book(api, slot, "k").status_code == HTTPStatus.CONFLICT


@pytest.mark.django_db
def test_clear_idempotency_keys_deletes_only_expired_ones(patient):
    old = IdempotencyKey.objects.create(
        user=patient, key="old", fingerprint="x", status=201
    )
    IdempotencyKey.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )
    IdempotencyKey.objects.create(user=patient, key="new", fingerprint="x")
    call_command("clear_idempotency_keys")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db
def test_while_the_first_request_runs_the_same_key_is_a_409(patient, doctor):
    IdempotencyKey.objects.create(user=patient, key="k", fingerprint="?")
    row = IdempotencyKey.objects.get()
    slot = free_slot(doctor)
    api = ApiClient(patient)
    # Give the running row this request's fingerprint (as the first one had).
    from accounts import idempotency

    with mock.patch.object(idempotency, "fingerprint", return_value="?"):
        response = book(api, slot, "k")
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["errors"][0]["code"] == "idempotency_key_in_use"
    assert IdempotencyKey.objects.get().pk == row.pk


@pytest.mark.django_db
def test_a_malformed_key_is_a_400_naming_the_header(patient, doctor):
    response = book(ApiClient(patient), free_slot(doctor), "has spaces")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"][0]["attr"] == "Idempotency-Key"


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["cancel", "reschedule", "confirm", "decline"])
def test_every_appointment_action_replays(patient, doctor, action):
    appointment = AppointmentFactory(patient=patient, slot=free_slot(doctor))
    actor = doctor.user if action in {"confirm", "decline"} else patient
    api = ApiClient(actor)
    body = {"reschedule": {"slot": free_slot(doctor, 3).pk}}.get(
        action, {"reason": "Away that week"}
    )
    url = f"/api/v1/appointments/{appointment.pk}/{action}/"
    first = api.post(url, body, HTTP_IDEMPOTENCY_KEY=f"{action}-1")
    assert first.status_code == HTTPStatus.OK, first.content
    again = api.post(url, body, HTTP_IDEMPOTENCY_KEY=f"{action}-1")
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert appointment.events.count() == 1  # one transition, not two


@pytest.mark.django_db
def test_holding_replays(patient, doctor):
    api = ApiClient(patient)
    slot = free_slot(doctor)
    url = f"/api/v1/slots/{slot.pk}/hold/"
    first = api.post(url, HTTP_IDEMPOTENCY_KEY="h")
    again = api.post(url, HTTP_IDEMPOTENCY_KEY="h")
    assert first.status_code == again.status_code == HTTPStatus.OK
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_make_one_booking(doctor):
    patient = UserFactory()
    slot = free_slot(doctor)
    clients = [ApiClient(patient), ApiClient(patient)]
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def send(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            response = book(clients[index], slot, "same-key")
            answers[index] = (response.status_code, response.json())
        finally:
            connection.close()

    for _round in range(5):
        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        statuses = Counter(status for status, _body in answers)
        # One ran; the other got its replay (201) or "still running" (409).
        assert Appointment.objects.filter(patient=patient).count() == 1
        assert statuses[HTTPStatus.CREATED] >= 1
        for status, body in answers:
            if status == HTTPStatus.CONFLICT:
                assert body["errors"][0]["code"] == "idempotency_key_in_use"
            else:
                assert status == HTTPStatus.CREATED
        # Next round: the same race again from scratch (measured on PostgreSQL:
        # one 201 and one 409 idempotency_key_in_use every time).
        IdempotencyKey.objects.all().delete()
        Appointment.objects.all().delete()
        Slot.objects.filter(pk=slot.pk).update(is_booked=False)

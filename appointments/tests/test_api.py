"""/api/v1/ booking, appointments and a doctor's schedule: the pages' services
behind JSON, with 201/400/401/403/404/409."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.utils import timezone

from accounts.tests.api import ApiClient
from accounts.tests.factories import UserFactory
from appointments.models import Appointment, Slot
from appointments.tests.factories import (
    AppointmentFactory,
    SlotFactory,
    tomorrow_at,
)
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db
Status = Appointment.Status
REASON = "Chest pain when climbing stairs"


def soon(doctor, n: int = 0, **fields) -> Slot:
    """A slot tomorrow at 00:15 + n half hours (UTC): always bookable whatever the
    factory's sequence has reached in a long run, and never at a factory slot's
    time (those start on the hour or half hour)."""
    start = tomorrow_at(0, 15) + dt.timedelta(minutes=30 * n)
    end = start + dt.timedelta(minutes=30)
    return SlotFactory(doctor=doctor, starts_at=start, ends_at=end, **fields)


def codes(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


# --- Free slots ---------------------------------------------------------------


def test_free_slots_between_two_dates_leave_out_taken_and_held(client, doctor):
    nine = tomorrow_at(9)

    def slot_at(minutes: int, **fields) -> Slot:
        start = nine + dt.timedelta(minutes=minutes)
        return SlotFactory(
            doctor=doctor,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=30),
            **fields,
        )

    free = slot_at(0)
    slot_at(30, is_booked=True)
    slot_at(60, held_by=UserFactory(), held_until=timezone.now() + dt.timedelta(5))
    slot_at(60 * 24 * 20)  # outside the dates asked for
    day = nine.date().isoformat()
    response = client.get(
        f"/api/v1/doctors/{doctor.slug}/slots/", {"from": day, "to": day}
    )
    assert response.status_code == HTTPStatus.OK
    results = response.json()["results"]
    assert [slot["id"] for slot in results] == [free.pk]
    assert dt.datetime.fromisoformat(results[0]["starts_at"]) == free.starts_at


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-12-10", "to": "2026-12-01"},
        {"from": "2026-12-01", "to": "2027-02-01"},
        {"from": "not-a-date"},
        {"from": "9999-12-31"},
        {"to": "0001-01-01"},
    ],
)
def test_a_bad_date_range_is_400(client, doctor, params):
    response = client.get(f"/api/v1/doctors/{doctor.slug}/slots/", params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["type"] == "validation_error"


def test_slots_of_an_unknown_doctor_are_404(client):
    assert client.get("/api/v1/doctors/nobody/slots/").status_code == 404


# --- Hold and book ------------------------------------------------------------


def test_hold_then_book(patient, doctor):
    slot = soon(doctor, 0)
    api = ApiClient(patient)
    response = api.post(f"/api/v1/slots/{slot.pk}/hold/")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["slot"] == slot.pk
    slot.refresh_from_db()
    assert slot.held_by == patient

    response = api.post("/api/v1/appointments/", {"slot": slot.pk, "reason": REASON})
    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["doctor"]["slug"] == doctor.slug
    assert body["patient"]["id"] == patient.pk
    assert "cancel" in body["actions"]
    assert body["starts_at"].endswith("Z") or "+" in body["starts_at"]
    slot.refresh_from_db()
    assert slot.is_booked


def test_someone_elses_hold_is_409(patient, other_patient, doctor):
    slot = soon(doctor, 1)
    held = ApiClient(other_patient).post(f"/api/v1/slots/{slot.pk}/hold/")
    assert held.status_code == HTTPStatus.OK
    response = ApiClient(patient).post(f"/api/v1/slots/{slot.pk}/hold/")
    assert response.status_code == HTTPStatus.CONFLICT
    assert codes(response) == ["slot_held"]


def test_releasing_a_hold(patient, doctor):
    slot = SlotFactory(doctor=doctor, held_by=patient, held_until=tomorrow_at(0))
    response = ApiClient(patient).delete(f"/api/v1/slots/{slot.pk}/hold/")
    assert response.status_code == HTTPStatus.NO_CONTENT
    slot.refresh_from_db()
    assert slot.held_by is None


def test_booking_a_taken_slot_is_409(patient, doctor):
    slot = soon(doctor, 2)
    AppointmentFactory(slot=slot)
    response = ApiClient(patient).post(
        "/api/v1/appointments/", {"slot": slot.pk, "reason": REASON}
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert codes(response) == ["slot_taken"]
    assert response.json()["errors"][0]["detail"].startswith("That time was just taken")


def test_booking_an_unknown_slot_is_409(patient):
    response = ApiClient(patient).post(
        "/api/v1/appointments/", {"slot": 999999, "reason": REASON}
    )
    assert response.status_code == HTTPStatus.CONFLICT


def test_a_short_reason_is_400_next_to_the_field(patient, doctor):
    slot = soon(doctor, 3)
    response = ApiClient(patient).post(
        "/api/v1/appointments/", {"slot": slot.pk, "reason": "ouch"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    (error,) = response.json()["errors"]
    assert error["attr"] == "reason"
    assert error["code"] == "min_length"
    assert not Appointment.objects.exists()


def test_a_booking_rule_saying_no_is_400_with_its_code(doctor):
    slot = soon(doctor, 0)
    response = ApiClient(doctor.user).post(
        "/api/v1/appointments/", {"slot": slot.pk, "reason": REASON}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert codes(response) == ["own_slot"]


def test_booking_needs_a_token(client, doctor):
    slot = soon(doctor, 1)
    response = client.post(
        "/api/v1/appointments/",
        {"slot": slot.pk, "reason": REASON},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.UNAUTHORIZED


# --- Lists and detail ---------------------------------------------------------


def test_my_appointments_as_patient_and_as_doctor(patient, other_patient, doctor):
    mine = AppointmentFactory(patient=patient, slot__doctor=doctor)
    AppointmentFactory(patient=other_patient)
    body = ApiClient(patient).get("/api/v1/appointments/").json()
    assert [a["id"] for a in body["results"]] == [mine.pk]
    as_doctor = ApiClient(doctor.user).get("/api/v1/appointments/", {"as": "doctor"})
    assert [a["id"] for a in as_doctor.json()["results"]] == [mine.pk]
    as_patient = ApiClient(doctor.user).get("/api/v1/appointments/", {"as": "patient"})
    assert as_patient.json()["results"] == []


def test_the_list_query_count_is_flat(patient, django_assert_max_num_queries):
    for _ in range(10):
        AppointmentFactory(patient=patient)
    api = ApiClient(patient)
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/appointments/").json()["count"] == 10


def test_someone_elses_appointment_is_404(patient, other_patient, staff):
    theirs = AppointmentFactory(patient=other_patient)
    for user in (patient, staff):
        api = ApiClient(user)
        assert api.get(f"/api/v1/appointments/{theirs.pk}/").status_code == 404
        assert api.post(f"/api/v1/appointments/{theirs.pk}/cancel/").status_code == 404
        assert api.get(f"/api/v1/appointments/{theirs.pk}/ics/").status_code == 404


def test_detail_has_the_history(patient, doctor):
    slot = soon(doctor, 2)
    api = ApiClient(patient)
    pk = api.post("/api/v1/appointments/", {"slot": slot.pk, "reason": REASON}).json()[
        "id"
    ]
    body = api.get(f"/api/v1/appointments/{pk}/").json()
    assert [e["to_status"] for e in body["events"]] == ["pending"]


def test_the_ics_file(patient):
    appointment = AppointmentFactory(patient=patient)
    response = ApiClient(patient).get(f"/api/v1/appointments/{appointment.pk}/ics/")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert b"BEGIN:VEVENT" in response.content


# --- Lifecycle ----------------------------------------------------------------


def test_the_doctor_confirms_and_a_second_confirm_is_409(patient, doctor):
    appointment = AppointmentFactory(patient=patient, slot__doctor=doctor)
    url = f"/api/v1/appointments/{appointment.pk}/confirm/"
    assert ApiClient(patient).post(url).status_code == HTTPStatus.FORBIDDEN
    api = ApiClient(doctor.user)
    response = api.post(url)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "confirmed"
    again = api.post(url)
    assert again.status_code == HTTPStatus.CONFLICT
    assert codes(again) == ["transition_refused"]


def test_declining_needs_a_reason(patient, doctor):
    appointment = AppointmentFactory(patient=patient, slot__doctor=doctor)
    url = f"/api/v1/appointments/{appointment.pk}/decline/"
    api = ApiClient(doctor.user)
    response = api.post(url, {})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"][0]["attr"] == "reason"
    response = api.post(url, {"reason": "Fully booked that day"})
    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "cancelled"
    assert ApiClient(patient).post(url, {"reason": "x"}).status_code == 403


def test_the_patient_cancels(patient):
    appointment = AppointmentFactory(patient=patient)
    response = ApiClient(patient).post(f"/api/v1/appointments/{appointment.pk}/cancel/")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "cancelled"
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED


def test_completing_before_the_visit_is_409(doctor):
    appointment = AppointmentFactory(slot__doctor=doctor, status=Status.CONFIRMED)
    response = ApiClient(doctor.user).post(
        f"/api/v1/appointments/{appointment.pk}/complete/"
    )
    assert response.status_code == HTTPStatus.CONFLICT


def test_completing_a_started_visit(doctor):
    start = timezone.now() - dt.timedelta(minutes=10)
    appointment = AppointmentFactory(
        slot=SlotFactory(
            doctor=doctor,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=30),
            is_booked=True,
        ),
        status=Status.CONFIRMED,
    )
    response = ApiClient(doctor.user).post(
        f"/api/v1/appointments/{appointment.pk}/complete/"
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "completed"


def test_rescheduling(patient, doctor):
    appointment = AppointmentFactory(patient=patient, slot__doctor=doctor)
    new = soon(doctor, 3)
    taken = soon(doctor, 0)
    AppointmentFactory(slot=taken)
    api = ApiClient(patient)
    url = f"/api/v1/appointments/{appointment.pk}/reschedule/"
    assert api.post(url, {"slot": taken.pk}).status_code == HTTPStatus.CONFLICT
    response = api.post(url, {"slot": new.pk})
    assert response.status_code == HTTPStatus.OK
    assert dt.datetime.fromisoformat(response.json()["starts_at"]) == new.starts_at
    assert api.post(url, {}).status_code == HTTPStatus.BAD_REQUEST
    # Only the patient moves it.
    assert ApiClient(doctor.user).post(url, {"slot": new.pk}).status_code == 404


# --- A doctor's schedule ------------------------------------------------------


def test_only_approved_doctors_have_a_schedule(patient, client):
    for url in ["/api/v1/me/availability/", "/api/v1/me/time-off/", "/api/v1/me/day/"]:
        assert ApiClient(patient).get(url).status_code == HTTPStatus.FORBIDDEN
        assert client.get(url).status_code == HTTPStatus.UNAUTHORIZED


def test_my_day_as_a_doctor(doctor):
    tomorrow = AppointmentFactory(slot=soon(doctor, is_booked=True))
    AppointmentFactory(slot=soon(doctor, 2 * 48, is_booked=True))  # 2 days later
    api = ApiClient(doctor.user)
    day = tomorrow.starts_at.date().isoformat()
    body = api.get("/api/v1/me/day/", {"date": day}).json()
    assert [a["id"] for a in body["results"]] == [tomorrow.pk]


def test_staff_have_no_schedule_and_see_only_their_own_appointments(staff, patient):
    AppointmentFactory(patient=patient)
    api = ApiClient(staff)
    for url in ["/api/v1/me/availability/", "/api/v1/me/time-off/", "/api/v1/me/day/"]:
        assert api.get(url).status_code == HTTPStatus.FORBIDDEN
    assert api.get("/api/v1/appointments/").json()["count"] == 0
    assert api.get("/api/v1/doctors/").status_code == HTTPStatus.OK


def test_far_dates_are_400_not_500(doctor):
    api = ApiClient(doctor.user)
    response = api.get("/api/v1/me/day/", {"date": "9999-12-31"})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_my_day_leaves_out_other_doctors_and_my_own_visits_as_a_patient(doctor):
    """On the same day: my visit as the doctor, a colleague's visit, and one I
    booked as a patient of that colleague. Only the first is my day."""
    colleague = DoctorProfileFactory()
    mine = AppointmentFactory(slot=soon(doctor, is_booked=True))
    AppointmentFactory(slot=soon(colleague, 1, is_booked=True))
    AppointmentFactory(patient=doctor.user, slot=soon(colleague, 2, is_booked=True))

    response = ApiClient(doctor.user).get(
        "/api/v1/me/day/", {"date": mine.starts_at.date().isoformat()}
    )

    assert response.status_code == HTTPStatus.OK
    assert [a["id"] for a in response.json()["results"]] == [mine.pk]


def test_declining_a_confirmed_appointment_is_409_and_changes_nothing(doctor):
    """Decline is for pending bookings; a confirmed one is cancelled, not declined."""
    appointment = AppointmentFactory(slot__doctor=doctor, status=Status.CONFIRMED)
    events = list(appointment.events.values_list("pk", flat=True))

    response = ApiClient(doctor.user).post(
        f"/api/v1/appointments/{appointment.pk}/decline/",
        {"reason": "Fully booked that day"},
    )

    assert response.status_code == HTTPStatus.CONFLICT
    assert codes(response) == ["transition_refused"]
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED
    assert (appointment.cancelled_by, appointment.cancellation_reason) == (None, "")
    assert list(appointment.events.values_list("pk", flat=True)) == events
    assert Slot.objects.get(pk=appointment.slot_id).is_booked

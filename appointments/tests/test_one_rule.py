"""Each rule answers once, the same through every door, and the holes that hid
while the rules were written several times stay closed."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.api import ApiClient
from accounts.tests.factories import UserFactory
from appointments import ics, rules, selectors, services
from appointments.models import Appointment, Slot
from appointments.tests.factories import AppointmentFactory, SlotFactory
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db

Status = Appointment.Status
REASON = "Persistent cough for two weeks"


def slot_in(doctor, hours: float, **fields) -> Slot:
    start = (timezone.now() + dt.timedelta(hours=hours)).replace(
        second=0, microsecond=0
    )
    return SlotFactory(
        doctor=doctor,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        **fields,
    )


def booked(patient, doctor, hours: float, **fields) -> Appointment:
    return AppointmentFactory(
        patient=patient, slot=slot_in(doctor, hours, is_booked=True), **fields
    )


# --- Bug 1: a slot left outside the hours is freed with its appointment ------------


@pytest.mark.parametrize("change", ["cancel", "reschedule"])
def test_a_slot_outside_the_hours_is_no_longer_booked_once_its_visit_goes(
    patient, doctor, change
):
    appointment = booked(patient, doctor, 72, status=Status.CONFIRMED)
    Slot.objects.filter(pk=appointment.slot_id).update(outside_schedule=True)
    if change == "cancel":
        services.cancel(user=patient, appointment_id=appointment.pk)
    else:
        new = slot_in(doctor, 96)
        services.reschedule(
            user=patient, appointment_id=appointment.pk, new_slot_id=new.pk
        )
    slot = Slot.objects.get(pk=appointment.slot_id)
    assert not slot.is_booked
    # Still never offered while the hours leave it out.
    assert not Slot.objects.bookable(timezone.now()).filter(pk=slot.pk).exists()


# --- Bug 2: the picker shows only what this viewer can book -------------------------


def picker_slots(client, doctor) -> dict[int, str]:
    url = reverse("appointments:doctor_slots", args=[doctor.slug])
    picker = client.get(url, headers={"HX-Request": "true"}).context["picker"]
    return {slot.pk: slot.unavailable for day in picker.days for slot in day.slots}


def test_the_picker_marks_a_time_that_overlaps_another_visit(client, patient, doctor):
    other_doctor = DoctorProfileFactory()
    visit = booked(patient, other_doctor, 50)
    clashing = slot_in(doctor, 50)
    later_that_week = slot_in(doctor, 74)
    client.force_login(patient)
    marks = picker_slots(client, doctor)
    assert marks[clashing.pk] == str(rules.Overlap.default_message)
    assert marks[later_that_week.pk] == ""
    # And the booking service says the same of it.
    with pytest.raises(services.Overlap):
        services.hold(patient=patient, slot_id=clashing.pk)
    assert visit.status == Status.PENDING


def test_the_picker_marks_the_other_times_of_a_day_with_this_doctor(
    client, patient, doctor
):
    booked(patient, doctor, 48)
    same_day = slot_in(doctor, 49)
    client.force_login(patient)
    assert picker_slots(client, doctor)[same_day.pk] == str(
        rules.SameDoctorSameDay.default_message
    )
    with pytest.raises(services.SameDoctorSameDay):
        services.hold(patient=patient, slot_id=same_day.pk)


def test_at_the_limit_every_time_is_marked_and_the_page_says_why(
    client, patient, doctor
):
    for n in range(rules.MAX_ACTIVE_FUTURE_APPOINTMENTS):
        booked(patient, DoctorProfileFactory(), 24 * 10 + 24 * n)
    free = slot_in(doctor, 50)
    client.force_login(patient)
    url = reverse("appointments:doctor_slots", args=[doctor.slug])
    response = client.get(url, headers={"HX-Request": "true"})
    message = rules.TooManyAppointments().message
    assert response.context["picker"].notice == message
    assert picker_slots(client, doctor)[free.pk] == message
    assert message in response.text
    hold_url = reverse("appointments:hold", args=[free.pk])
    assert f'action="{hold_url}"' not in response.text


def test_signed_out_visitors_and_the_doctor_see_the_times_unmarked_or_marked(
    client, doctor
):
    free = slot_in(doctor, 50)
    assert picker_slots(client, doctor) == {free.pk: ""}
    client.force_login(doctor.user)
    assert picker_slots(client, doctor) == {free.pk: str(rules.OwnSlot.default_message)}


def test_the_reschedule_list_marks_what_the_other_visits_rule_out(patient, doctor):
    appointment = booked(patient, doctor, 48)
    elsewhere = booked(patient, DoctorProfileFactory(), 96)
    clashing = slot_in(doctor, 96)
    same_day_as_the_moved_visit = slot_in(doctor, 49)
    days = selectors.reschedule_choices(appointment, zone=dt.UTC, now=timezone.now())
    marks = {slot.pk: slot.unavailable for day in days for slot in day.slots}
    # The visit being moved does not rule out its own day.
    assert marks[same_day_as_the_moved_visit.pk] == ""
    assert marks[clashing.pk] == str(rules.Overlap.default_message)
    assert elsewhere.slot_id not in marks


# --- Bug 3: a `next` that is not a path is ignored, never a 500 ---------------------


@pytest.mark.parametrize("bad_next", ["x", "appointments:list", "//evil.example"])
def test_the_doctors_buttons_ignore_a_next_that_is_not_a_path(
    doctor_client, doctor, patient, bad_next
):
    pending = booked(patient, doctor, 48)
    url = reverse("appointments:accept", args=[pending.pk])
    response = doctor_client.post(url, {"next": bad_next})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("appointments:doctor_list")
    started = booked(patient, doctor, -0.1, status=Status.CONFIRMED)
    url = reverse("appointments:complete", args=[started.pk])
    response = doctor_client.post(url, {"next": bad_next})
    assert response.url == reverse("appointments:doctor_list")


@pytest.mark.parametrize("view", ["doctors:follow", "doctors:unfollow"])
def test_follow_buttons_ignore_a_next_that_is_not_a_path(patient_client, doctor, view):
    url = reverse(view, args=[doctor.slug])
    response = patient_client.post(url, {"next": "x"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == doctor.get_absolute_url()
    response = patient_client.post(url, {"next": "/doctors/?page=2"})
    assert response.url == "/doctors/?page=2"


# --- Bug 5: no health details in calendar files -------------------------------------


def test_no_reason_or_note_reaches_a_calendar_file(patient, doctor):
    appointment = booked(
        patient,
        doctor,
        48,
        reason="Recurring chest pain and dizziness",
        cancellation_reason="Suspected angina, see GP",
    )
    text = ics.build(appointment)
    assert "chest pain" not in text.lower()
    assert "angina" not in text.lower()


# --- One refusal, one answer on every door ------------------------------------------


def test_the_api_declines_only_what_the_service_lets_it(patient, doctor):
    confirmed = booked(patient, doctor, 48, status=Status.CONFIRMED)
    api = ApiClient(doctor.user)
    response = api.post(
        f"/api/v1/appointments/{confirmed.pk}/decline/", {"reason": "Too busy"}
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["errors"][0]["code"] == "transition_refused"
    confirmed.refresh_from_db()
    assert confirmed.status == Status.CONFIRMED


def test_a_role_that_may_not_act_is_403_on_page_and_api(patient_client, patient):
    pending = booked(patient, DoctorProfileFactory(), 48)
    page = patient_client.post(reverse("appointments:accept", args=[pending.pk]))
    api = ApiClient(patient).post(f"/api/v1/appointments/{pending.pk}/confirm/")
    assert page.status_code == api.status_code == HTTPStatus.FORBIDDEN
    assert api.json()["errors"][0]["code"] == "permission_denied"


def test_a_missing_reason_is_400_beside_the_field_on_page_and_api(
    doctor_client, doctor, patient
):
    pending = booked(patient, doctor, 48)
    page = doctor_client.post(
        reverse("appointments:cancel", args=[pending.pk]), {"reason": " "}
    )
    assert page.status_code == HTTPStatus.BAD_REQUEST
    assert page.context["form"].errors["reason"]
    api = ApiClient(doctor.user).post(
        f"/api/v1/appointments/{pending.pk}/decline/", {"reason": ""}
    )
    assert api.status_code == HTTPStatus.BAD_REQUEST
    assert api.json()["errors"][0]["attr"] == "reason"


def test_a_patient_cancel_after_the_cutoff_says_so_on_page_and_api(
    patient_client, patient, doctor
):
    soon = booked(patient, doctor, 1, status=Status.CONFIRMED)
    page = patient_client.post(
        reverse("appointments:cancel", args=[soon.pk]), {"reason": ""}
    )
    api = ApiClient(patient).post(f"/api/v1/appointments/{soon.pk}/cancel/")
    assert page.status_code == api.status_code == HTTPStatus.CONFLICT
    assert "please call the clinic" in page.text
    assert "please call the clinic" in api.json()["errors"][0]["detail"]
    assert "cancel" not in services.allowed_actions(soon, user=patient)
    assert "reschedule" not in services.allowed_actions(soon, user=patient)


def test_the_api_takes_no_longer_a_reason_than_the_page(patient, doctor):
    slot = slot_in(doctor, 48)
    response = ApiClient(patient).post(
        "/api/v1/appointments/", {"slot": slot.pk, "reason": "x" * 501}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"][0]["attr"] == "reason"
    assert not Appointment.objects.exists()


def test_upcoming_is_the_same_on_page_and_api(patient_client, patient, doctor):
    coming = booked(patient, doctor, 48)
    booked(patient, DoctorProfileFactory(), 72, status=Status.CANCELLED)
    page = patient_client.get(reverse("appointments:list"))
    api = ApiClient(patient).get("/api/v1/appointments/?when=upcoming&as=patient")
    on_page = [appointment.pk for appointment in page.context["appointments"]]
    on_api = [row["id"] for row in api.json()["results"]]
    assert on_page == on_api == [coming.pk]


def test_the_doctors_day_is_the_practice_day_on_page_and_api(client, patient):
    # 23:30 in Auckland is still "today" there while UTC is on another day.
    doctor = DoctorProfileFactory(timezone="Pacific/Auckland")
    doctor.user.timezone = "America/Los_Angeles"
    doctor.user.save(update_fields=["timezone"])
    now = timezone.now()
    zone = doctor.zone
    today = now.astimezone(zone).date()
    start = dt.datetime.combine(today, dt.time(23, 30), tzinfo=zone)
    slot = SlotFactory(
        doctor=doctor,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        is_booked=True,
    )
    late_tonight = AppointmentFactory(patient=patient, slot=slot)
    client.force_login(doctor.user)
    page = client.get(reverse("appointments:doctor_list"))
    api = ApiClient(doctor.user).get("/api/v1/me/day/")
    assert [a.pk for a in page.context["appointments"]] == [late_tonight.pk]
    assert [row["id"] for row in api.json()["results"]] == [late_tonight.pk]


def test_staff_cancel_needs_a_reason_from_the_table(patient, doctor):
    staff = UserFactory(is_staff=True)
    appointment = booked(patient, doctor, 48)
    assert rules.needs_reason(appointment, user=staff, action="cancel")
    assert not rules.needs_reason(appointment, user=patient, action="cancel")
    with pytest.raises(services.ReasonRequired):
        services.cancel(user=staff, appointment_id=appointment.pk, reason="")


# --- The front desk books through the same service, and the no-show limit -----------


def test_staff_book_for_a_patient_through_the_same_rules(patient, doctor, staff):
    slot = slot_in(doctor, 48)
    appointment = services.book(
        patient=patient, slot_id=slot.pk, reason=REASON, booked_by=staff
    )
    assert appointment.booked_by == staff
    assert appointment.events.get().actor == staff
    assert patient.notifications.filter(kind="appointment_booked").exists()
    taken = slot_in(doctor, 49)
    with pytest.raises(services.SameDoctorSameDay):
        services.book(patient=patient, slot_id=taken.pk, reason=REASON, booked_by=staff)


def test_only_staff_book_for_someone_else(patient, other_patient, doctor):
    slot = slot_in(doctor, 48)
    with pytest.raises(services.ActionNotAllowed):
        services.book(
            patient=patient, slot_id=slot.pk, reason=REASON, booked_by=other_patient
        )


def test_the_no_show_limit_stops_online_booking_but_not_the_front_desk(
    settings, client, patient, doctor, staff
):
    settings.NO_SHOW_LIMIT = 2
    for days in (10, 20):
        booked(patient, DoctorProfileFactory(), -24 * days, status=Status.NO_SHOW)
    booked(patient, DoctorProfileFactory(), -24 * 100, status=Status.NO_SHOW)
    slot = slot_in(doctor, 48)
    with pytest.raises(services.TooManyNoShows):
        services.hold(patient=patient, slot_id=slot.pk)
    client.force_login(patient)
    assert picker_slots(client, doctor)[slot.pk] == str(
        rules.TooManyNoShows.default_message
    )
    response = client.post(reverse("appointments:hold", args=[slot.pk]))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "call the clinic" in response.text
    services.book(patient=patient, slot_id=slot.pk, reason=REASON, booked_by=staff)
    settings.NO_SHOW_LIMIT = 3  # the one 100 days ago no longer counts
    assert not rules.PatientBookings.of(
        patient, now=timezone.now()
    ).online_booking_paused


# --- No-shows and moves by the doctor or the clinic ---------------------------------


def test_a_no_show_is_marked_after_the_start_and_never_completed(patient, doctor):
    upcoming = booked(patient, doctor, 2, status=Status.CONFIRMED)
    with pytest.raises(services.TransitionRefused, match="only once it has started"):
        services.mark_no_show(user=doctor.user, appointment_id=upcoming.pk)
    started = booked(patient, DoctorProfileFactory(), -1, status=Status.CONFIRMED)
    with pytest.raises(services.ActionNotAllowed):
        services.mark_no_show(user=patient, appointment_id=started.pk)
    missed = services.mark_no_show(user=started.doctor.user, appointment_id=started.pk)
    assert missed.status == Status.NO_SHOW
    assert services.close_past_appointments()["completed"] == 0
    assert not patient.notifications.filter(kind="appointment_completed").exists()
    assert "no_show" not in services.allowed_actions(missed, user=started.doctor.user)


def test_staff_mark_a_no_show_too(patient, doctor, staff):
    started = booked(patient, doctor, -1, status=Status.CONFIRMED)
    assert "no_show" in services.allowed_actions(started, user=staff)
    services.mark_no_show(user=staff, appointment_id=started.pk)
    assert Appointment.objects.no_shows().get() == started


def test_the_doctor_moves_a_visit_and_the_patient_hears_the_new_time(patient, doctor):
    appointment = booked(patient, doctor, 48, status=Status.PENDING)
    new = slot_in(doctor, 72)
    moved = services.reschedule(
        user=doctor.user,
        appointment_id=appointment.pk,
        new_slot_id=new.pk,
        reason="Surgery overran",
    )
    assert moved.slot == new and moved.status == Status.CONFIRMED
    told = patient.notifications.get(kind="appointment_rescheduled")
    assert "Surgery overran" in told.message
    assert "Surgery overran" in moved.events.last().note
    assert not doctor.user.notifications.filter(kind="appointment_rescheduled")


def test_nobody_else_moves_a_visit(patient, other_patient, doctor):
    appointment = booked(patient, doctor, 48)
    new = slot_in(doctor, 72)
    with pytest.raises(services.AppointmentNotFound):
        services.reschedule(
            user=other_patient, appointment_id=appointment.pk, new_slot_id=new.pk
        )
    with pytest.raises(services.AppointmentNotFound):
        services.reschedule(
            user=DoctorProfileFactory().user,
            appointment_id=appointment.pk,
            new_slot_id=new.pk,
        )

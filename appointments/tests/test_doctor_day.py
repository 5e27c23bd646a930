"""The doctor's day: the agenda with names, no-shows, the doctor moving a visit,
time off over booked visits and the sick day (pages, services, API, admin)."""

import datetime as dt
from http import HTTPStatus

import pytest
import time_machine
from django import forms
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.tests.api import ApiClient
from accounts.tests.factories import UserFactory
from appointments import schedule, selectors, services
from appointments.models import Appointment, AppointmentEvent, Slot, TimeOff
from appointments.schedule_admin import TimeOffAdminForm
from appointments.tests.factories import AppointmentFactory, SlotFactory
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification
from reviews import services as reviews

pytestmark = pytest.mark.django_db

Status = Appointment.Status
MESSAGE = "I am ill today, sorry. Please book another time."
# A Monday morning at the practice (UTC): the day's visits are all still ahead.
MORNING = dt.datetime(2030, 3, 4, 8, 0, tzinfo=dt.UTC)


def at(hours: float, base: dt.datetime | None = None) -> dt.datetime:
    base = base or timezone.now()
    return (base + dt.timedelta(hours=hours)).replace(second=0, microsecond=0)


def slot_at(doctor, start: dt.datetime, **fields) -> Slot:
    return SlotFactory(
        doctor=doctor,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        **fields,
    )


def visit(doctor, start: dt.datetime, patient=None, **fields) -> Appointment:
    return AppointmentFactory(
        slot=slot_at(doctor, start, is_booked=True),
        patient=patient or UserFactory(),
        **fields,
    )


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def missed(patient, n: int) -> None:
    """`n` visits the patient missed, each with a doctor of its own."""
    for index in range(n):
        visit(
            DoctorProfileFactory(),
            at(-24 * (index + 2)),
            patient=patient,
            status=Status.NO_SHOW,
        )


# --- The agenda with names ----------------------------------------------------------


def test_the_day_shows_each_visit_with_the_patient_and_the_free_times_between(
    doctor_client, doctor
):
    patient = UserFactory(
        full_name="Maria Garcia",
        phone="+49 30 1234567",
        email="maria@example.com",
        date_of_birth=dt.date(1980, 1, 1),
    )
    missed(patient, 2)
    with time_machine.travel(MORNING, tick=False):
        doctor_client.force_login(doctor.user)  # a session of that day
        visit(doctor, at(2), patient=patient, status=Status.CONFIRMED)
        slot_at(doctor, at(3))  # free
        slot_at(doctor, at(4), held_by=UserFactory(), held_until=at(0.1))
        response = doctor_client.get(reverse("appointments:doctor_list"))
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    for shown in [
        "10:00–10:30",
        "Maria Garcia",
        "+49 30 1234567",
        "maria@example.com",
        "50 years old",
        "2 past no-shows",
        "Persistent cough",
        "Confirmed",
        "11:00–11:30",
        "Free",
        "Held",
    ]:
        assert shown in page, shown
    # Actions allowed now: before the start, no no-show and no completion.
    assert reverse("appointments:reschedule", args=[1]).rsplit("/", 3)[0] in page
    assert "Mark completed" not in page
    assert ">No-show<" not in page
    assert "I'm sick today" in page


def test_after_the_start_the_day_offers_no_show_and_completion(doctor_client, doctor):
    appointment = visit(doctor, at(-0.25), status=Status.CONFIRMED)
    day = appointment.starts_at.date().isoformat()
    response = doctor_client.get(reverse("appointments:doctor_list") + f"?day={day}")
    page = response.content.decode()
    assert reverse("appointments:no_show", args=[appointment.pk]) in page
    assert reverse("appointments:complete", args=[appointment.pk]) in page


def test_the_day_moves_to_the_previous_and_next_day(doctor_client, doctor):
    with time_machine.travel(MORNING, tick=False):
        doctor_client.force_login(doctor.user)
        visit(doctor, at(24), patient=UserFactory(full_name="Tomorrow Person"))
        url = reverse("appointments:doctor_list")
        today = doctor_client.get(url).content.decode()
        assert "Tomorrow Person" not in today
        assert "day=2030-03-05" in today and "day=2030-03-03" in today
        tomorrow = doctor_client.get(url + "?day=2030-03-05").content.decode()
    assert "Tomorrow Person" in tomorrow
    assert "Tuesday 5 March 2030" in tomorrow
    bad = doctor_client.get(url + "?day=2030-13-45")
    assert bad.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("count", [1, 12])
def test_the_day_query_count_is_pinned(
    doctor_client, doctor, count, django_assert_max_num_queries
):
    with time_machine.travel(MORNING, tick=False):
        doctor_client.force_login(doctor.user)
        for n in range(count):
            patient = UserFactory()
            visit(doctor, at(0.5 * (n + 1)), patient=patient)
            missed(patient, 1)
            slot_at(doctor, at(0.5 * (n + 1) + 0.25))
        # Session, user, profile, pending count, unread badge; visits, no-show
        # counts, open slots, time off; and one to spare.
        with django_assert_max_num_queries(10):
            response = doctor_client.get(reverse("appointments:doctor_list"))
    assert response.content.decode().count("1 past no-show") == count


@pytest.mark.parametrize("count", [1, 12])
def test_the_upcoming_tab_shows_names_in_flat_queries(
    doctor_client, doctor, count, django_assert_max_num_queries
):
    for n in range(count):
        visit(doctor, at(48 + n), patient=UserFactory(phone=f"+1 555 000 {n:04d}"))
    with django_assert_max_num_queries(9):
        response = doctor_client.get(
            reverse("appointments:doctor_list") + "?tab=upcoming"
        )
    assert "+1 555 000 0000" in response.content.decode()


@pytest.mark.parametrize("count", [1, 12])
def test_the_week_names_each_booked_visit_in_flat_queries(
    doctor_client, doctor, count, django_assert_max_num_queries
):
    with time_machine.travel(MORNING, tick=False):
        doctor_client.force_login(doctor.user)
        for n in range(count):
            patient = UserFactory(full_name=f"Week Patient {n}")
            visit(doctor, at(24 + n), patient=patient, status=Status.CONFIRMED)
            missed(patient, 1)
        with django_assert_max_num_queries(9):
            response = doctor_client.get(reverse("appointments:schedule_week"))
    page = response.content.decode()
    assert "Week Patient 0" in page
    assert page.count("1 past no-show") == count
    assert "Move" in page


def test_the_detail_shows_the_doctor_the_no_show_count_and_not_the_patient(
    client, doctor, patient
):
    missed(patient, 3)
    appointment = visit(doctor, at(48), patient=patient)
    url = appointment.get_absolute_url()
    client.force_login(doctor.user)
    assert "3 past no-shows" in client.get(url).content.decode()
    client.force_login(patient)
    assert "past no-show" not in client.get(url).content.decode()


def test_no_show_counts_are_per_patient_in_one_query(doctor, django_assert_num_queries):
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    missed(first, 2)
    missed(second, 1)
    visit(doctor, at(-50), patient=third, status=Status.COMPLETED)
    with django_assert_num_queries(1):
        counts = selectors.no_show_counts([first.pk, second.pk, third.pk])
    assert counts == {first.pk: 2, second.pk: 1}


def test_age_counts_full_years():
    born = dt.date(2000, 6, 15)
    assert selectors.age_on(born, dt.date(2030, 6, 14)) == 29
    assert selectors.age_on(born, dt.date(2030, 6, 15)) == 30
    assert selectors.age_on(None, dt.date(2030, 6, 15)) is None


# --- No-show ------------------------------------------------------------------------


def test_the_doctor_marks_a_no_show_after_the_start(doctor_client, doctor):
    appointment = visit(doctor, at(-0.25), status=Status.CONFIRMED)
    with_capture = doctor_client.post(
        reverse("appointments:no_show", args=[appointment.pk])
    )
    assert with_capture.status_code == HTTPStatus.FOUND
    appointment.refresh_from_db()
    assert appointment.status == Status.NO_SHOW
    assert AppointmentEvent.objects.filter(
        appointment=appointment, to_status=Status.NO_SHOW, actor=doctor.user
    ).exists()
    assert "marked as a no-show" in texts(with_capture)[0]
    # No "how was your visit" for a visit nobody came to.
    assert not Notification.objects.filter(
        recipient=appointment.patient, kind=Notification.Kind.APPOINTMENT_COMPLETED
    ).exists()


def test_a_no_show_before_the_start_is_refused_with_a_reason(doctor_client, doctor):
    appointment = visit(doctor, at(2), status=Status.CONFIRMED)
    response = doctor_client.post(
        reverse("appointments:no_show", args=[appointment.pk])
    )
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED
    assert "only once it has started" in texts(response)[0]


def test_a_no_show_cannot_be_reviewed_nor_completed(doctor, patient):
    appointment = visit(doctor, at(-1), patient=patient, status=Status.CONFIRMED)
    services.mark_no_show(user=doctor.user, appointment_id=appointment.pk)
    with pytest.raises(reviews.NotReviewable):
        reviews.create(
            patient=patient,
            appointment_id=appointment.pk,
            rating=5,
            comment="Lovely visit, very kind doctor.",
        )
    with pytest.raises(services.TransitionRefused):
        services.complete(user=doctor.user, appointment_id=appointment.pk)
    assert services.close_past_appointments() == {"completed": 0, "cancelled": 0}


def test_the_no_show_badge_is_labelled_for_the_patient(client, doctor, patient):
    visit(doctor, at(-50), patient=patient, status=Status.NO_SHOW)
    client.force_login(patient)
    page = client.get(reverse("appointments:list") + "?tab=past").content.decode()
    assert 'text-bg-danger"><span class="visually-hidden">Status: </span>No-show' in (
        page
    )


def test_the_api_marks_a_no_show(doctor, patient):
    appointment = visit(doctor, at(-0.25), patient=patient, status=Status.CONFIRMED)
    url = f"/api/v1/appointments/{appointment.pk}/no-show/"
    assert ApiClient(patient).post(url).status_code == HTTPStatus.FORBIDDEN
    assert (
        ApiClient(DoctorProfileFactory().user).post(url).status_code
        == HTTPStatus.NOT_FOUND
    )
    response = ApiClient(doctor.user).post(url)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "no_show"
    assert ApiClient(doctor.user).post(url).status_code == HTTPStatus.CONFLICT


# --- The doctor moves a visit -------------------------------------------------------


def test_the_doctor_moves_a_visit_with_a_message(doctor_client, doctor, patient):
    appointment = visit(doctor, at(48), patient=patient, status=Status.PENDING)
    new = slot_at(doctor, at(72))
    clash = slot_at(doctor, at(96))
    visit(DoctorProfileFactory(), clash.starts_at, patient=patient)
    url = reverse("appointments:reschedule", args=[appointment.pk])
    page = doctor_client.get(url).content.decode()
    assert 'form="reschedule-form"' in page
    assert "clash with the patient's other appointments" in page
    assert f'value="{clash.pk}"' not in page  # the patient can't take it
    response = doctor_client.post(
        url, {"slot": new.pk, "reason": "I am at a conference that morning."}
    )
    assert response.status_code == HTTPStatus.FOUND
    appointment.refresh_from_db()
    assert appointment.slot == new
    assert appointment.status == Status.CONFIRMED
    told = Notification.objects.get(
        recipient=patient, kind=Notification.Kind.APPOINTMENT_RESCHEDULED
    )
    assert "conference" in told.message
    assert services.format_for(patient, new.starts_at) in told.message


def test_a_refused_move_keeps_the_message_typed(doctor_client, doctor):
    appointment = visit(doctor, at(48))
    taken = visit(doctor, at(72)).slot
    slot_at(doctor, at(96))  # still free: the times are offered again
    response = doctor_client.post(
        reverse("appointments:reschedule", args=[appointment.pk]),
        {"slot": taken.pk, "reason": "Typed and kept"},
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert "Typed and kept" in response.content.decode()


def test_the_api_lets_the_doctor_move_a_visit_with_a_reason(doctor, patient):
    appointment = visit(doctor, at(48), patient=patient, status=Status.CONFIRMED)
    new = slot_at(doctor, at(72))
    url = f"/api/v1/appointments/{appointment.pk}/reschedule/"
    response = ApiClient(doctor.user).post(
        url, {"slot": new.pk, "reason": "Clinic closed that day."}
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "confirmed"
    assert "Clinic closed" in Notification.objects.get(recipient=patient).message
    assert (
        ApiClient(doctor.user).post(url, {"slot": new.pk, "reason": "x" * 501})
    ).status_code == HTTPStatus.BAD_REQUEST


# --- Access to the new pages --------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", HTTPStatus.FOUND),
        ("patient", HTTPStatus.FORBIDDEN),
        ("doctor", HTTPStatus.FOUND),
        ("staff", HTTPStatus.NOT_FOUND),
        ("other_doctor", HTTPStatus.NOT_FOUND),
        ("other_patient", HTTPStatus.NOT_FOUND),
    ],
)
def test_no_show_access(client, doctor, patient, staff, who, expected):
    appointment = visit(doctor, at(-0.25), patient=patient, status=Status.CONFIRMED)
    users = {
        "patient": patient,
        "doctor": doctor.user,
        "staff": staff,
        "other_doctor": DoctorProfileFactory().user,
        "other_patient": UserFactory(),
    }
    if who in users:
        client.force_login(users[who])
    url = reverse("appointments:no_show", args=[appointment.pk])
    response = client.post(url)
    assert response.status_code == expected
    if who == "anonymous":
        assert "/accounts/login/" in response["Location"]
    assert client.get(url).status_code in (
        HTTPStatus.METHOD_NOT_ALLOWED,
        HTTPStatus.FOUND,
    )
    appointment.refresh_from_db()
    assert (appointment.status == Status.NO_SHOW) == (who == "doctor")


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", HTTPStatus.FOUND),
        ("patient", HTTPStatus.FORBIDDEN),
        ("doctor", HTTPStatus.OK),
        ("staff", HTTPStatus.FORBIDDEN),
        ("pending_doctor", HTTPStatus.FORBIDDEN),
    ],
)
def test_sick_day_and_agenda_access(client, doctor, patient, staff, who, expected):
    users = {
        "patient": patient,
        "doctor": doctor.user,
        "staff": staff,
        "pending_doctor": DoctorProfileFactory(status="pending").user,
    }
    if who in users:
        client.force_login(users[who])
    for name in ["sick_day", "doctor_list", "schedule_week"]:
        assert client.get(reverse(f"appointments:{name}")).status_code == expected


def test_the_no_show_button_is_rate_limited(one_rate_window, doctor_client, doctor):
    appointment = visit(doctor, at(2), status=Status.CONFIRMED)
    url = reverse("appointments:no_show", args=[appointment.pk])
    codes = {doctor_client.post(url).status_code for _ in range(31)}
    assert HTTPStatus.TOO_MANY_REQUESTS in codes


# --- Time off over booked visits ----------------------------------------------------


def test_time_off_over_booked_visits_is_refused_without_an_answer(doctor):
    booked = visit(doctor, at(30), status=Status.CONFIRMED)
    with pytest.raises(services.AffectsAppointments) as refused:
        services.add_time_off(
            user=doctor.user, doctor=doctor, starts_at=at(24), ends_at=at(48)
        )
    assert refused.value.appointments == [booked]
    assert refused.value.status == HTTPStatus.CONFLICT
    assert not TimeOff.objects.exists()
    # The schedule's own door says the same.
    with pytest.raises(services.AffectsAppointments):
        schedule.add_time_off(doctor=doctor, starts_at=at(24), ends_at=at(48))


def test_cancelling_needs_a_message(doctor):
    visit(doctor, at(30))
    with pytest.raises(services.MessageRequired):
        services.add_time_off(
            user=doctor.user,
            doctor=doctor,
            starts_at=at(24),
            ends_at=at(48),
            on_booked="cancel",
            message="  ",
        )
    assert not TimeOff.objects.exists()


def test_cancelling_tells_each_patient_with_a_link_to_the_free_times(
    doctor, django_capture_on_commit_callbacks, mailoutbox
):
    first = visit(doctor, at(30), status=Status.CONFIRMED)
    second = visit(doctor, at(31), status=Status.PENDING)
    outside = visit(doctor, at(60))
    with django_capture_on_commit_callbacks(execute=True):
        taken = services.add_time_off(
            user=doctor.user,
            doctor=doctor,
            starts_at=at(24),
            ends_at=at(48),
            on_booked="cancel",
            message=MESSAGE,
        )
    assert {a.pk for a in taken.cancelled} == {first.pk, second.pk}
    for appointment in (first, second):
        appointment.refresh_from_db()
        assert appointment.status == Status.CANCELLED
        assert appointment.cancellation_reason == MESSAGE
        note = Notification.objects.get(recipient=appointment.patient)
        assert MESSAGE in note.message
        assert note.link == doctor.get_absolute_url()
    outside.refresh_from_db()
    assert outside.status == Status.PENDING
    assert TimeOff.objects.filter(doctor=doctor).count() == 1
    assert len(mailoutbox) == 2
    assert not Slot.objects.bookable(timezone.now()).filter(
        doctor=doctor, starts_at__gte=at(24), starts_at__lt=at(48)
    )


def test_keeping_leaves_the_visits_booked(doctor):
    booked = visit(doctor, at(30), status=Status.CONFIRMED)
    taken = services.add_time_off(
        user=doctor.user,
        doctor=doctor,
        starts_at=at(24),
        ends_at=at(48),
        on_booked="keep",
    )
    assert taken.kept == [booked]
    booked.refresh_from_db()
    assert booked.status == Status.CONFIRMED
    assert not Notification.objects.exists()


def test_a_visit_under_way_is_not_affected(doctor):
    started = visit(doctor, at(-0.25), status=Status.CONFIRMED)
    services.add_time_off(
        user=doctor.user, doctor=doctor, starts_at=at(0), ends_at=at(5)
    )
    started.refresh_from_db()
    assert started.status == Status.CONFIRMED


def test_only_the_doctor_or_staff_take_time_off(doctor, patient, staff):
    with pytest.raises(services.ActionNotAllowed):
        services.add_time_off(
            user=patient, doctor=doctor, starts_at=at(24), ends_at=at(48)
        )
    other = DoctorProfileFactory()
    with pytest.raises(services.ActionNotAllowed):
        services.add_time_off(
            user=other.user, doctor=doctor, starts_at=at(24), ends_at=at(48)
        )
    booked = visit(doctor, at(30))
    services.add_time_off(
        user=staff,
        doctor=doctor,
        starts_at=at(24),
        ends_at=at(48),
        on_booked="cancel",
        message=MESSAGE,
    )
    booked.refresh_from_db()
    assert booked.cancelled_by == staff
    # Staff did it: the doctor hears too.
    assert Notification.objects.filter(recipient=doctor.user).exists()


def test_the_time_off_page_lists_the_visits_and_asks(doctor_client, doctor):
    patient = UserFactory(full_name="Booked Person")
    booked = visit(doctor, at(30), patient=patient, status=Status.CONFIRMED)
    day = at(30).date()
    data = {
        "first_day": day.isoformat(),
        "last_day": day.isoformat(),
        "reason": "Conference",
    }
    url = reverse("appointments:time_off_add")
    asked = doctor_client.post(url, data)
    page = asked.content.decode()
    assert asked.status_code == HTTPStatus.CONFLICT
    assert "Booked Person" in page
    assert "1 booked visit falls in this time off" in page
    assert 'value="cancel"' in page and 'value="keep"' in page
    assert 'value="Conference"' in page  # what was typed stays
    assert not TimeOff.objects.exists()
    no_message = doctor_client.post(url, {**data, "on_booked": "cancel"})
    assert no_message.status_code == HTTPStatus.BAD_REQUEST
    assert "Please write the patients a message" in no_message.content.decode()
    done = doctor_client.post(url, {**data, "on_booked": "cancel", "message": MESSAGE})
    assert done.status_code == HTTPStatus.FOUND
    assert "1 visit cancelled; the patient has been told." in texts(done)[0]
    booked.refresh_from_db()
    assert booked.status == Status.CANCELLED


def test_the_time_off_page_keeps_visits_when_asked(doctor_client, doctor):
    booked = visit(doctor, at(30), status=Status.CONFIRMED)
    day = at(30).date().isoformat()
    response = doctor_client.post(
        reverse("appointments:time_off_add"),
        {"first_day": day, "last_day": day, "on_booked": "keep"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert "1 booked visit kept" in texts(response)[0]
    booked.refresh_from_db()
    assert booked.status == Status.CONFIRMED
    assert TimeOff.objects.count() == 1


def test_the_api_answers_409_listing_the_visits(doctor):
    patient = UserFactory(full_name="Api Person")
    booked = visit(doctor, at(30), patient=patient, status=Status.CONFIRMED)
    day = at(30).date().isoformat()
    api = ApiClient(doctor.user)
    body = {"first_day": day, "last_day": day}
    response = api.post("/api/v1/me/time-off/", body)
    assert response.status_code == HTTPStatus.CONFLICT
    answer = response.json()
    assert answer["errors"][0]["code"] == "affects_appointments"
    assert answer["affected"] == [
        {
            "id": booked.pk,
            "starts_at": booked.starts_at.isoformat().replace("+00:00", "Z"),
            "ends_at": booked.ends_at.isoformat().replace("+00:00", "Z"),
            "status": "confirmed",
            "patient": {"id": patient.pk, "name": "Api Person"},
        }
    ]
    assert not TimeOff.objects.exists()
    missing = api.post("/api/v1/me/time-off/", {**body, "on_booked": "cancel"})
    assert missing.status_code == HTTPStatus.BAD_REQUEST
    assert missing.json()["errors"][0]["attr"] == "message"
    bad = api.post("/api/v1/me/time-off/", {**body, "on_booked": "maybe"})
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    done = api.post(
        "/api/v1/me/time-off/", {**body, "on_booked": "cancel", "message": MESSAGE}
    )
    assert done.status_code == HTTPStatus.CREATED
    booked.refresh_from_db()
    assert booked.status == Status.CANCELLED


def test_the_api_keeps_visits_when_asked(doctor):
    booked = visit(doctor, at(30), status=Status.CONFIRMED)
    day = at(30).date().isoformat()
    response = ApiClient(doctor.user).post(
        "/api/v1/me/time-off/", {"first_day": day, "last_day": day, "on_booked": "keep"}
    )
    assert response.status_code == HTTPStatus.CREATED
    booked.refresh_from_db()
    assert booked.status == Status.CONFIRMED


def test_staff_adding_time_off_in_admin_are_asked_too(staff_client, staff, doctor):
    # Clinic staff only read time off by default; whoever may add it is asked.
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_timeoff", "view_timeoff"])
    )
    booked = visit(doctor, at(30), status=Status.CONFIRMED)
    url = reverse("admin:appointments_timeoff_add")
    start, end = at(24), at(48)
    data = {
        "doctor": doctor.pk,
        "starts_at_0": start.date().isoformat(),
        "starts_at_1": start.strftime("%H:%M:%S"),
        "ends_at_0": end.date().isoformat(),
        "ends_at_1": end.strftime("%H:%M:%S"),
        "reason": "Ill",
    }
    asked = staff_client.post(url, data)
    assert asked.status_code == HTTPStatus.OK
    assert "1 booked visit falls in this time off" in asked.content.decode()
    assert not TimeOff.objects.exists()
    done = staff_client.post(url, {**data, "on_booked": "cancel", "message": MESSAGE})
    assert done.status_code == HTTPStatus.FOUND
    booked.refresh_from_db()
    assert booked.status == Status.CANCELLED
    time_off = TimeOff.objects.get()
    change = staff_client.get(
        reverse("admin:appointments_timeoff_change", args=[time_off.pk])
    ).content.decode()
    assert 'name="starts_at_0"' not in change  # moving it could cover visits unasked


def test_a_booking_landing_after_the_admin_form_checked_is_asked_about_not_a_500(
    staff_client, staff, doctor, monkeypatch
):
    """The form checks without the lock; the service checks again under it."""
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_timeoff", "view_timeoff"])
    )
    booked = visit(doctor, at(30), status=Status.CONFIRMED)
    # The form's look saw the day still free: the visit was booked just after.
    monkeypatch.setattr(TimeOffAdminForm, "clean", forms.ModelForm.clean)
    start, end = at(24), at(48)
    response = staff_client.post(
        reverse("admin:appointments_timeoff_add"),
        {
            "doctor": doctor.pk,
            "starts_at_0": start.date().isoformat(),
            "starts_at_1": start.strftime("%H:%M:%S"),
            "ends_at_0": end.date().isoformat(),
            "ends_at_1": end.strftime("%H:%M:%S"),
            "reason": "Ill",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert not TimeOff.objects.exists()
    booked.refresh_from_db()
    assert booked.status == Status.CONFIRMED


# --- The sick day -------------------------------------------------------------------


def test_the_sick_day_cancels_the_rest_of_today(doctor_client, doctor):
    with time_machine.travel(MORNING, tick=False):
        doctor_client.force_login(doctor.user)
        under_way = visit(doctor, at(-0.25), status=Status.CONFIRMED)
        later = [
            visit(doctor, at(2), status=Status.CONFIRMED),
            visit(doctor, at(6), status=Status.PENDING),
        ]
        tomorrow = visit(doctor, at(25), status=Status.CONFIRMED)
        page = doctor_client.get(reverse("appointments:sick_day")).content.decode()
        assert "These 2 visits are cancelled" in page
        assert "is unwell today" in page  # a message ready to send
        response = doctor_client.post(
            reverse("appointments:sick_day"), {"message": MESSAGE}
        )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("appointments:doctor_list")
    assert "2 visits cancelled" in texts(response)[0]
    for appointment in later:
        appointment.refresh_from_db()
        assert appointment.status == Status.CANCELLED
        assert Notification.objects.filter(
            recipient=appointment.patient, link=doctor.get_absolute_url()
        ).exists()
    for appointment in (under_way, tomorrow):
        appointment.refresh_from_db()
        assert appointment.status == Status.CONFIRMED
    time_off = TimeOff.objects.get()
    assert time_off.starts_at == MORNING
    assert time_off.ends_at == dt.datetime(2030, 3, 5, tzinfo=dt.UTC)


def test_the_sick_day_in_the_practice_zone(doctor):
    doctor.timezone = "America/New_York"
    doctor.save()
    with time_machine.travel(MORNING, tick=False):  # 03:00 in New York
        taken = services.sick_day(user=doctor.user, doctor=doctor, message=MESSAGE)
    assert taken.time_off.ends_at == dt.datetime(2030, 3, 5, 5, 0, tzinfo=dt.UTC)


def test_the_sick_day_without_a_message_is_refused_beside_the_field(
    doctor_client, doctor
):
    with time_machine.travel(MORNING, tick=False):
        doctor_client.force_login(doctor.user)
        visit(doctor, at(2), status=Status.CONFIRMED)
        response = doctor_client.post(reverse("appointments:sick_day"), {"message": ""})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Please write the patients a message" in response.content.decode()
    assert not TimeOff.objects.exists()


def test_after_the_sick_day_nobody_books_the_rest_of_today(doctor, patient):
    with time_machine.travel(MORNING, tick=False):
        free = slot_at(doctor, at(3))
        services.sick_day(user=doctor.user, doctor=doctor, message=MESSAGE)
        assert not Slot.objects.filter(pk=free.pk).exists()
        kept = slot_at(doctor, at(4))  # a slot left behind by anything else
        with pytest.raises(services.DoctorAway):
            services.book(patient=patient, slot_id=kept.pk, reason="Persistent cough")

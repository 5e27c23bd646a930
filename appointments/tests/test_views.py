import datetime as dt
from http import HTTPStatus

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.tests.factories import UserFactory
from appointments.models import Appointment, Slot
from appointments.tests.factories import AppointmentFactory, SlotFactory
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db

Status = Appointment.Status
REASON = "Persistent cough for two weeks"


def in_hours(hours: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


def free_slot(doctor, hours: float = 48, **fields) -> Slot:
    start = in_hours(hours).replace(second=0, microsecond=0)
    return SlotFactory(
        doctor=doctor,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        **fields,
    )


def appointment_for(patient, doctor, hours: float = 48, **fields) -> Appointment:
    return AppointmentFactory(
        patient=patient,
        slot=free_slot(doctor, hours, is_booked=True),
        **fields,
    )


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- access rules for every page --------------------------------------------------


def pages(appointment, slot):
    return {
        "list": ("get", reverse("appointments:list")),
        "doctor_list": ("get", reverse("appointments:doctor_list")),
        "detail": ("get", reverse("appointments:detail", args=[appointment.pk])),
        "ics": ("get", reverse("appointments:ics", args=[appointment.pk])),
        "cancel": ("get", reverse("appointments:cancel", args=[appointment.pk])),
        "reschedule": (
            "get",
            reverse("appointments:reschedule", args=[appointment.pk]),
        ),
        "accept": ("post", reverse("appointments:accept", args=[appointment.pk])),
        "complete": ("post", reverse("appointments:complete", args=[appointment.pk])),
        "hold": ("post", reverse("appointments:hold", args=[slot.pk])),
        "confirm": ("get", reverse("appointments:confirm", args=[slot.pk])),
        "release": ("post", reverse("appointments:release", args=[slot.pk])),
    }


# Who gets what: the patient of the appointment, its doctor, clinic staff (not a
# party), another patient. 404 = "not yours" (nothing revealed).
EXPECTED = {
    "list": {"patient": 200, "doctor": 200, "staff": 200, "other": 200},
    "doctor_list": {"patient": 403, "doctor": 200, "staff": 403, "other": 403},
    "detail": {"patient": 200, "doctor": 200, "staff": 404, "other": 404},
    "ics": {"patient": 200, "doctor": 200, "staff": 404, "other": 404},
    "cancel": {"patient": 200, "doctor": 200, "staff": 404, "other": 404},
    "reschedule": {"patient": 200, "doctor": 200, "staff": 404, "other": 404},
    "accept": {"patient": 403, "doctor": 302, "staff": 404, "other": 404},
    "complete": {"patient": 403, "doctor": 302, "staff": 404, "other": 404},
    "hold": {"patient": 302, "doctor": 400, "staff": 302, "other": 302},
    "confirm": {"patient": 200, "doctor": 200, "staff": 200, "other": 200},
    "release": {"patient": 302, "doctor": 302, "staff": 302, "other": 302},
}
PAGE_NAMES = list(EXPECTED)


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_anonymous_visitors_are_sent_to_log_in(client, patient, doctor, name):
    method, url = pages(appointment_for(patient, doctor), free_slot(doctor, 72))[name]
    response = getattr(client, method)(url)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["patient", "doctor", "staff", "other"])
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_access_rules(client, patient, doctor, staff, other_patient, who, name):
    appointment = appointment_for(patient, doctor)
    method, url = pages(appointment, free_slot(doctor, 72))[name]
    user = {
        "patient": patient,
        "doctor": doctor.user,
        "staff": staff,
        "other": other_patient,
    }[who]
    client.force_login(user)
    response = getattr(client, method)(url)
    assert response.status_code == EXPECTED[name][who]


def test_doctor_actions_only_by_that_appointments_doctor(client, patient, doctor):
    appointment = appointment_for(patient, doctor)
    client.force_login(DoctorProfileFactory().user)
    response = client.post(reverse("appointments:accept", args=[appointment.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    appointment.refresh_from_db()
    assert appointment.status == Status.PENDING


# --- picking, holding and confirming ------------------------------------------------


def test_picking_a_time_holds_it_and_opens_the_confirmation(patient_client, patient):
    slot = free_slot(DoctorProfileFactory(user__full_name="Ada Lee"))
    response = patient_client.post(reverse("appointments:hold", args=[slot.pk]))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("appointments:confirm", args=[slot.pk])
    slot.refresh_from_db()
    assert slot.held_by == patient
    page = patient_client.get(response.url)
    until = timezone.localtime(slot.held_until)
    assert (
        f'held for you until <time datetime="{until.isoformat()}">{until:%H:%M}</time>'
    ) in page.content.decode()
    assert "Dr Ada Lee" in page.content.decode()
    assert page.context["form"].fields["reason"].min_length == 10


def test_hold_is_post_only(patient_client, doctor):
    response = patient_client.get(
        reverse("appointments:hold", args=[free_slot(doctor).pk])
    )
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_holding_a_time_someone_holds_is_a_409_with_a_way_back(
    patient_client, other_patient, doctor
):
    slot = free_slot(doctor, held_by=other_patient, held_until=in_hours(0.05))
    response = patient_client.post(reverse("appointments:hold", args=[slot.pk]))
    assert response.status_code == HTTPStatus.CONFLICT
    assert "Someone else is confirming" in response.content.decode()
    assert reverse("appointments:doctor_slots", args=[doctor.slug]) in (
        response.content.decode()
    )


def test_holding_a_time_too_soon_is_a_400_with_the_rule(patient_client):
    doctor = DoctorProfileFactory(min_notice=dt.timedelta(hours=24))
    slot = free_slot(doctor, hours=3)
    response = patient_client.post(reverse("appointments:hold", args=[slot.pk]))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "at least 24 hours ahead" in response.content.decode()


def test_confirming_books_and_shows_it_in_my_appointments(patient_client, patient):
    doctor = DoctorProfileFactory(user__full_name="Ada Lee")
    slot = free_slot(doctor)
    patient_client.post(reverse("appointments:hold", args=[slot.pk]))
    response = patient_client.post(
        reverse("appointments:confirm", args=[slot.pk]), {"reason": REASON}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("appointments:list")
    appointment = Appointment.objects.get()
    assert (appointment.patient, appointment.slot, appointment.reason) == (
        patient,
        slot,
        REASON,
    )
    page = patient_client.get(response.url)
    html = page.content.decode()
    assert "Booked: Dr Ada Lee" in html
    assert "Pending" in html


def test_holding_and_booking_write_no_session(patient_client, doctor, settings):
    """The "Booked" message rides in its own cookie: neither step of a booking
    saves the session (a database write on every booking otherwise)."""
    slot = free_slot(doctor)
    held = patient_client.post(reverse("appointments:hold", args=[slot.pk]))
    booked = patient_client.post(
        reverse("appointments:confirm", args=[slot.pk]), {"reason": REASON}
    )
    assert booked.url == reverse("appointments:list")
    assert settings.SESSION_COOKIE_NAME not in held.cookies
    assert settings.SESSION_COOKIE_NAME not in booked.cookies
    assert "messages" in booked.cookies
    assert "Booked:" in patient_client.get(booked.url).content.decode()


def test_htmx_confirmation_gets_a_client_redirect(patient_client, doctor):
    slot = free_slot(doctor)
    response = patient_client.post(
        reverse("appointments:confirm", args=[slot.pk]),
        {"reason": REASON},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == HTTPStatus.OK
    assert response["HX-Redirect"] == reverse("appointments:list")


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Please tell the doctor why you are coming."),
        ("Too short", "at least 10 characters (you wrote 9)"),
        ("x" * 501, "keep it to 500 characters"),
    ],
)
def test_a_bad_reason_is_a_400_beside_the_field_with_the_input_kept(
    patient_client, doctor, reason, message
):
    slot = free_slot(doctor)
    response = patient_client.post(
        reverse("appointments:confirm", args=[slot.pk]), {"reason": reason}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert message in html
    assert reason in html
    assert not Appointment.objects.exists()


def test_a_time_taken_meanwhile_is_a_409_linking_back_to_free_times(
    patient_client, other_patient, doctor
):
    slot = free_slot(doctor)
    patient_client.post(reverse("appointments:hold", args=[slot.pk]))
    Slot.objects.filter(pk=slot.pk).update(held_until=in_hours(-1))  # hold lapsed
    AppointmentFactory(slot=slot, patient=other_patient)
    Slot.objects.filter(pk=slot.pk).update(is_booked=True)
    response = patient_client.post(
        reverse("appointments:confirm", args=[slot.pk]), {"reason": REASON}
    )
    assert response.status_code == HTTPStatus.CONFLICT
    html = response.content.decode()
    assert "That time was just taken" in html
    assert reverse("appointments:doctor_slots", args=[doctor.slug]) in html


def test_an_expired_hold_on_a_free_time_still_books(patient_client, doctor):
    slot = free_slot(doctor)
    patient_client.post(reverse("appointments:hold", args=[slot.pk]))
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=20)):
        page = patient_client.get(reverse("appointments:confirm", args=[slot.pk]))
        assert "Your hold has expired" in page.content.decode()
        response = patient_client.post(
            reverse("appointments:confirm", args=[slot.pk]), {"reason": REASON}
        )
    assert response.status_code == HTTPStatus.FOUND
    assert Appointment.objects.get().slot == slot


def test_a_rule_refusal_on_confirm_is_a_400_with_the_message(patient_client, patient):
    doctor = DoctorProfileFactory()
    appointment_for(patient, doctor, hours=48)
    slot = free_slot(doctor, hours=49)
    response = patient_client.post(
        reverse("appointments:confirm", args=[slot.pk]), {"reason": REASON}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "already have an appointment" in html
    assert REASON in html


def test_releasing_a_hold_frees_the_time(patient_client, patient, doctor):
    slot = free_slot(doctor, held_by=patient, held_until=in_hours(0.05))
    response = patient_client.post(reverse("appointments:release", args=[slot.pk]))
    assert response.url == doctor.get_absolute_url()
    slot.refresh_from_db()
    assert slot.held_by is None


def test_holding_and_booking_are_rate_limited_per_user(
    one_rate_window, patient_client, settings
):
    settings.BOOKING_RATE_LIMIT = "3/m"
    slot = free_slot(DoctorProfileFactory())
    url = reverse("appointments:hold", args=[slot.pk])
    statuses = [patient_client.post(url).status_code for _ in range(4)]
    assert statuses[:3] == [HTTPStatus.FOUND] * 3
    assert statuses[3] == HTTPStatus.TOO_MANY_REQUESTS


def test_other_appointment_changes_are_rate_limited(
    one_rate_window, patient_client, patient, doctor
):
    appointment = appointment_for(patient, doctor)
    url = reverse("appointments:cancel", args=[appointment.pk])
    statuses = [patient_client.post(url).status_code for _ in range(31)]
    assert statuses[-1] == HTTPStatus.TOO_MANY_REQUESTS


# --- the patient's list and detail -------------------------------------------------


def test_my_appointments_empty_state(patient_client):
    response = patient_client.get(reverse("appointments:list"))
    html = response.content.decode()
    assert "No appointments yet" in html
    assert reverse("doctors:list") in html
    assert "<title>My appointments · Clinic</title>" in html


def test_my_appointments_tabs_split_upcoming_and_past(patient_client, patient, doctor):
    upcoming = appointment_for(patient, doctor, hours=48)
    past = appointment_for(patient, doctor, hours=-48, status=Status.COMPLETED)
    cancelled = appointment_for(patient, doctor, hours=96, status=Status.CANCELLED)
    someone_elses = appointment_for(UserFactory(), doctor, hours=120)
    first = patient_client.get(reverse("appointments:list"))
    assert list(first.context["appointments"]) == [upcoming]
    second = patient_client.get(reverse("appointments:list") + "?tab=past")
    assert list(second.context["appointments"]) == [cancelled, past]
    assert someone_elses not in second.context["appointments"]


def test_my_appointments_shows_only_allowed_actions(patient_client, patient, doctor):
    pending = appointment_for(patient, doctor, hours=48)
    too_close = appointment_for(patient, doctor, hours=1, status=Status.CONFIRMED)
    response = patient_client.get(reverse("appointments:list"))
    html = response.content.decode()
    assert reverse("appointments:cancel", args=[pending.pk]) in html
    assert reverse("appointments:reschedule", args=[pending.pk]) in html
    assert reverse("appointments:cancel", args=[too_close.pk]) not in html
    assert reverse("appointments:reschedule", args=[too_close.pk]) not in html


def test_my_appointments_htmx_gets_the_fragment(patient_client, patient, doctor):
    appointment_for(patient, doctor)
    response = patient_client.get(
        reverse("appointments:list") + "?tab=past", headers={"HX-Request": "true"}
    )
    assert [t.name for t in response.templates][0] == (
        "appointments/_appointment_list.html"
    )


@pytest.mark.parametrize("count", [1, 12])
def test_my_appointments_query_count_is_pinned(
    patient_client, patient, count, django_assert_max_num_queries
):
    for n in range(count):
        appointment = appointment_for(patient, DoctorProfileFactory(), hours=24 + n)
        appointment.events.create(actor=patient, to_status=Status.PENDING)
    # Session, user, groups (navbar), unread bell, count, appointments, events.
    with django_assert_max_num_queries(7):
        response = patient_client.get(reverse("appointments:list"))
    assert len(response.context["appointments"]) == count


def test_detail_shows_the_history_and_add_to_calendar(patient_client, patient, doctor):
    appointment = appointment_for(patient, doctor)
    appointment.events.create(actor=patient, to_status=Status.PENDING)
    response = patient_client.get(appointment.get_absolute_url())
    html = response.content.decode()
    assert "History" in html and f"by {patient.full_name}" in html
    assert reverse("appointments:ics", args=[appointment.pk]) in html


# --- cancel and reschedule pages --------------------------------------------------


def test_patient_cancels_after_a_confirmation_page(patient_client, patient, doctor):
    appointment = appointment_for(patient, doctor, status=Status.CONFIRMED)
    url = reverse("appointments:cancel", args=[appointment.pk])
    page = patient_client.get(url)
    assert "Yes, cancel appointment" in page.content.decode()
    response = patient_client.post(url, {"reason": ""})
    assert response.url == appointment.get_absolute_url()
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    assert "Appointment cancelled." in texts(response)


def test_patient_cannot_cancel_inside_the_cutoff(patient_client, patient, doctor):
    appointment = appointment_for(patient, doctor, hours=1, status=Status.CONFIRMED)
    response = patient_client.post(
        reverse("appointments:cancel", args=[appointment.pk]), {"reason": ""}
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert "less than 2 hours" in response.content.decode()


def test_doctor_declining_must_give_a_reason(doctor_client, patient, doctor):
    appointment = appointment_for(patient, doctor)
    url = reverse("appointments:cancel", args=[appointment.pk])
    assert "Decline appointment" in doctor_client.get(url).content.decode()
    response = doctor_client.post(url, {"reason": ""})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Please tell the patient why" in response.content.decode()
    response = doctor_client.post(url, {"reason": "Fully booked that morning"})
    assert response.status_code == HTTPStatus.FOUND
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    assert appointment.cancellation_reason == "Fully booked that morning"


def test_reschedule_page_lists_the_doctors_free_times(patient_client, patient, doctor):
    appointment = appointment_for(patient, doctor, hours=48)
    other_doctor_slot = free_slot(DoctorProfileFactory(), hours=50)
    new = free_slot(doctor, hours=72)
    url = reverse("appointments:reschedule", args=[appointment.pk])
    response = patient_client.get(url)
    offered = [slot.pk for day in response.context["days"] for slot in day.slots]
    assert offered == [new.pk]
    assert other_doctor_slot.pk not in offered
    response = patient_client.post(url, {"slot": new.pk})
    assert response.url == appointment.get_absolute_url()
    appointment.refresh_from_db()
    assert appointment.slot == new
    assert "Appointment moved." in texts(response)


def test_rescheduling_to_a_taken_time_is_a_409(patient_client, patient, doctor):
    appointment = appointment_for(patient, doctor, hours=48)
    taken = appointment_for(UserFactory(), doctor, hours=72).slot
    response = patient_client.post(
        reverse("appointments:reschedule", args=[appointment.pk]), {"slot": taken.pk}
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert "just taken" in response.content.decode()


def test_rescheduling_without_a_slot_is_a_400(patient_client, patient, doctor):
    appointment = appointment_for(patient, doctor, hours=48)
    response = patient_client.post(
        reverse("appointments:reschedule", args=[appointment.pk]), {"slot": "abc"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST


# --- the doctor's pages ---------------------------------------------------------


def test_doctor_list_puts_pending_first_in_upcoming(doctor_client, doctor):
    confirmed = appointment_for(UserFactory(), doctor, 50, status=Status.CONFIRMED)
    pending = appointment_for(UserFactory(), doctor, 80)
    response = doctor_client.get(reverse("appointments:doctor_list") + "?tab=upcoming")
    assert list(response.context["appointments"]) == [pending, confirmed]
    assert response.context["pending_count"] == 1
    html = response.content.decode()
    assert reverse("appointments:accept", args=[pending.pk]) in html
    assert reverse("appointments:accept", args=[confirmed.pk]) not in html


def test_doctor_list_today_and_past(doctor_client, doctor):
    now = timezone.now()
    today = appointment_for(UserFactory(), doctor, hours=0)
    Appointment.objects.filter(pk=today.pk).update(
        starts_at=now, ends_at=now + dt.timedelta(minutes=30)
    )
    past = appointment_for(UserFactory(), doctor, hours=-72, status=Status.COMPLETED)
    first = doctor_client.get(reverse("appointments:doctor_list"))
    assert list(first.context["appointments"]) == [today]
    second = doctor_client.get(reverse("appointments:doctor_list") + "?tab=past")
    assert list(second.context["appointments"]) == [past]


def test_doctor_list_empty_state(doctor_client):
    response = doctor_client.get(reverse("appointments:doctor_list"))
    assert "No appointments or free times today." in response.content.decode()


@pytest.mark.parametrize("count", [1, 12])
def test_doctor_list_query_count_is_pinned(
    doctor_client, doctor, count, django_assert_max_num_queries
):
    for n in range(count):
        appointment_for(UserFactory(), doctor, hours=48 + n)
    # As the patient list, plus the profile and the pending count.
    with django_assert_max_num_queries(9):
        response = doctor_client.get(
            reverse("appointments:doctor_list") + "?tab=upcoming"
        )
    assert len(response.context["appointments"]) == count


def test_doctor_confirms_with_a_message(doctor_client, patient, doctor):
    appointment = appointment_for(patient, doctor)
    response = doctor_client.post(
        reverse("appointments:accept", args=[appointment.pk]),
        {"next": reverse("appointments:doctor_list") + "?tab=upcoming"},
    )
    assert response.url == reverse("appointments:doctor_list") + "?tab=upcoming"
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED
    assert any("Appointment confirmed" in text for text in texts(response))


def test_doctor_action_ignores_an_outside_next(doctor_client, patient, doctor):
    appointment = appointment_for(patient, doctor)
    response = doctor_client.post(
        reverse("appointments:accept", args=[appointment.pk]),
        {"next": "https://evil.example.com/"},
    )
    assert response.url == reverse("appointments:doctor_list")


def test_completing_before_the_start_says_why(doctor_client, patient, doctor):
    appointment = appointment_for(patient, doctor, status=Status.CONFIRMED)
    response = doctor_client.post(
        reverse("appointments:complete", args=[appointment.pk])
    )
    assert response.status_code == HTTPStatus.FOUND
    assert "A visit can be completed only once it has started." in texts(response)
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED


def test_doctor_completes_after_the_visit(doctor_client, patient, doctor):
    appointment = appointment_for(patient, doctor, hours=-1, status=Status.CONFIRMED)
    doctor_client.post(reverse("appointments:complete", args=[appointment.pk]))
    appointment.refresh_from_db()
    assert appointment.status == Status.COMPLETED


# --- the calendar file -----------------------------------------------------------


def test_ics_download_parses_back_in_utc_with_the_address(patient_client, patient):
    doctor = DoctorProfileFactory(
        user__full_name="Ada Lee",
        clinic_name="Mitte Health",
        address="Invalidenstr. 1",
        city="Berlin",
        timezone="Europe/Berlin",
    )
    appointment = appointment_for(patient, doctor, status=Status.CONFIRMED)
    response = patient_client.get(reverse("appointments:ics", args=[appointment.pk]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8; method=PUBLISH"
    assert (
        f'filename="appointment-{appointment.pk}.ics"'
        in (response["Content-Disposition"])
    )
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["uid"]).startswith(f"appointment-{appointment.pk}@")
    assert event.decoded("dtstart") == appointment.starts_at
    assert event.decoded("dtstart").utcoffset() == dt.timedelta(0)
    assert event.decoded("dtend") == appointment.ends_at
    assert "Dr Ada Lee" in str(event["summary"])
    assert str(event["location"]) == "Mitte Health, Invalidenstr. 1, Berlin"
    assert REASON not in response.content.decode()
    assert str(event["status"]) == "CONFIRMED"


def test_navbar_links_by_role(client, patient, doctor):
    client.force_login(patient)
    patient_html = client.get(reverse("appointments:list")).content.decode()
    assert "My appointments" in patient_html
    assert reverse("appointments:doctor_list") not in patient_html
    client.force_login(doctor.user)
    doctor_html = client.get(reverse("appointments:list")).content.decode()
    assert f'href="{reverse("appointments:doctor_list")}?tab=today"' in doctor_html
    assert f'href="{reverse("appointments:doctor_list")}?tab=upcoming"' in doctor_html


def test_slot_picker_offers_booking_buttons_to_signed_in_users(client, patient):
    doctor = DoctorProfileFactory(user__full_name="Ada Lee", timezone="UTC")
    slot = free_slot(doctor, hours=50)
    url = reverse("appointments:doctor_slots", args=[doctor.slug])
    anonymous = client.get(url).content.decode()
    name = timezone.localtime(slot.starts_at).strftime("%A %-d %B, %H:%M")
    # A visitor's time is a link to "log in or sign up to book it".
    assert f'href="{reverse("appointments:pick", args=[slot.pk])}"' in anonymous
    assert f'aria-label="Book {name}, with Dr Ada Lee"' in anonymous
    assert reverse("appointments:hold", args=[slot.pk]) not in anonymous
    client.force_login(patient)
    html = client.get(url).content.decode()
    assert f'action="{reverse("appointments:hold", args=[slot.pk])}"' in html
    assert f'aria-label="Book {name}, with Dr Ada Lee"' in html
    assert reverse("appointments:pick", args=[slot.pk]) not in html


@pytest.mark.parametrize(
    ("who", "name"),
    [("patient", "appointments:list"), ("doctor", "appointments:doctor_list")],
)
def test_long_lists_link_the_next_page_of_the_same_tab(
    client, patient, doctor, who, name
):
    for n in range(21):
        appointment_for(patient, doctor, hours=24 * (n + 1))
    client.force_login(patient if who == "patient" else doctor.user)
    html = client.get(reverse(name) + "?tab=upcoming").content.decode()
    assert 'href="?tab=upcoming&amp;page=2"' in html
    second = client.get(reverse(name) + "?tab=upcoming&page=2").content.decode()
    assert 'href="?tab=upcoming&amp;page=1"' in second


@pytest.mark.parametrize(
    ("tab", "hours", "status"),
    [
        ("today", 0, Status.CONFIRMED),
        ("upcoming", 48, Status.PENDING),
        ("past", -72, Status.COMPLETED),
    ],
)
def test_doctor_list_shows_only_visits_with_this_doctor(
    doctor_client, doctor, tab, hours, status
):
    """Same times, three appointments: the doctor's own visit, another doctor's,
    and one the doctor booked as a patient of another doctor. Only the first is
    on the doctor's page."""
    mine = appointment_for(UserFactory(), doctor, hours, status=status)
    appointment_for(UserFactory(), DoctorProfileFactory(), hours, status=status)
    appointment_for(doctor.user, DoctorProfileFactory(), hours, status=status)

    response = doctor_client.get(reverse("appointments:doctor_list"), {"tab": tab})

    assert response.status_code == HTTPStatus.OK
    assert list(response.context["appointments"]) == [mine]


def test_confirming_a_booking_alone_is_rate_limited(
    one_rate_window, patient_client, settings
):
    """The booking budget counts confirmations too, not only holds: a client that
    posts straight to the confirmation page is stopped all the same."""
    settings.BOOKING_RATE_LIMIT = "3/m"
    slot = free_slot(DoctorProfileFactory())
    url = reverse("appointments:confirm", args=[slot.pk])

    statuses = [
        patient_client.post(url, {"reason": REASON}).status_code for _ in range(4)
    ]

    assert statuses[:3] == [HTTPStatus.FOUND, HTTPStatus.CONFLICT, HTTPStatus.CONFLICT]
    assert statuses[3] == HTTPStatus.TOO_MANY_REQUESTS
    assert Appointment.objects.filter(slot=slot).count() == 1

"""The front desk in admin: book for a caller, the desk view, and the staff
actions on one appointment (reschedule, cancel, no-show)."""

import datetime as dt
import zoneinfo
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, Role, User
from accounts.tests.factories import StaffFactory, UserFactory
from accounts.tests.mfa import log_in_with_mfa
from appointments import services
from appointments.models import Appointment, Slot
from appointments.tests.factories import AppointmentFactory, SlotFactory
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification

pytestmark = pytest.mark.django_db

BOOK = reverse("admin:appointments_appointment_book")
DESK = reverse("admin:appointments_appointment_desk")


def action_url(appointment, action):
    return reverse(f"admin:appointments_appointment_{action}", args=[appointment.pk])


@pytest.fixture
def outsider(db):
    """Staff (may open the admin) outside the Clinic staff group."""
    user = StaffFactory(full_name="Otto Outsider")
    user.groups.remove(Group.objects.get(name=Role.STAFF))
    return user


@pytest.fixture
def appointment(doctor, patient):
    return AppointmentFactory(
        slot__doctor=doctor,
        patient=patient,
        status=Appointment.Status.CONFIRMED,
        slot__starts_at=timezone.now() + dt.timedelta(days=1),
    )


# --- Access -------------------------------------------------------------------------


def desk_pages(appointment):
    return [
        BOOK,
        DESK,
        *(action_url(appointment, a) for a in ("cancel", "reschedule", "no_show")),
    ]


def test_anonymous_visitors_are_sent_to_log_in(client, appointment):
    for url in desk_pages(appointment):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert "login" in response["Location"], url


@pytest.mark.parametrize("who", ["patient", "doctor"])
def test_patients_and_doctors_never_reach_the_desk(client, appointment, who):
    client.force_login(
        appointment.patient if who == "patient" else appointment.doctor.user
    )
    for url in desk_pages(appointment):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert "login" in response["Location"], url
    response = client.post(
        BOOK, {"action": "register", "full_name": "X Y", "phone": "0151 2345678"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert not User.objects.filter(full_name="X Y").exists()


def test_staff_outside_the_clinic_staff_group_are_refused(
    client, appointment, outsider
):
    log_in_with_mfa(client, outsider)
    for url in desk_pages(appointment):
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN, url
    response = client.post(
        action_url(appointment, "cancel"), {"reason": "Doctor ill today"}
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED


def test_clinic_staff_reach_every_desk_page(staff_client, appointment):
    for url in desk_pages(appointment):
        assert staff_client.get(url).status_code == HTTPStatus.OK, url


def test_an_unknown_appointment_is_not_found(staff_client):
    url = reverse("admin:appointments_appointment_cancel", args=[999999])
    assert staff_client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_registering_needs_the_add_user_permission(client, doctor):
    clerk = StaffFactory()
    # Only the permission to book, not to open accounts.
    clerk.groups.clear()
    group = Group.objects.create(name="Bookers only")
    group.permissions.add(
        *Group.objects.get(name=Role.STAFF).permissions.exclude(codename="add_user")
    )
    clerk.groups.add(group)
    log_in_with_mfa(client, clerk)
    assert client.get(BOOK).status_code == HTTPStatus.OK
    response = client.post(
        BOOK, {"action": "register", "full_name": "Ray Caller", "phone": "0151 2345678"}
    )
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_the_admin_add_button_is_the_booking_page(staff_client):
    response = staff_client.get(reverse("admin:appointments_appointment_add"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == BOOK
    changelist = staff_client.get(reverse("admin:appointments_appointment_changelist"))
    assert BOOK.encode() in changelist.content
    assert DESK.encode() in changelist.content


def test_the_admin_index_and_a_doctors_profile_link_to_the_desk(staff_client, doctor):
    index = staff_client.get(reverse("admin:index"))
    assert DESK.encode() in index.content and BOOK.encode() in index.content
    profile = staff_client.get(
        reverse("admin:doctors_doctorprofile_change", args=[doctor.pk])
    )
    assert f"{BOOK}?doctor={doctor.pk}".encode() in profile.content


# --- Finding or registering the caller ----------------------------------------------


@pytest.mark.parametrize("query", ["Carla", "carla@example", "0171 55"])
def test_the_caller_is_found_by_name_email_or_phone(staff_client, query):
    carla = UserFactory(
        full_name="Carla Caller", email="carla@example.com", phone="0171 555 1234"
    )
    UserFactory(full_name="Someone Else")
    response = staff_client.get(BOOK, {"q": query})
    assert list(response.context["matches"]) == [carla]


def test_a_caller_without_an_account_is_registered_without_email(staff_client, doctor):
    response = staff_client.post(
        BOOK,
        {
            "action": "register",
            "full_name": "Ray Caller",
            "phone": "+49 151 2345678",
            "email": "",
            "doctor": doctor.pk,
        },
    )
    ray = User.objects.get(full_name="Ray Caller")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"{BOOK}?patient={ray.pk}&doctor={doctor.pk}"
    assert ray.email is None
    assert not ray.has_usable_password()
    assert ray.has_role(Role.PATIENT)
    assert User.objects.unclaimed().filter(pk=ray.pk).exists()
    # A second caller without email is fine: no address is not a shared address.
    staff_client.post(
        BOOK, {"action": "register", "full_name": "Rita Caller", "phone": "0151 999999"}
    )
    assert User.objects.filter(email__isnull=True).count() == 2


def test_registering_a_taken_email_is_refused_beside_the_field(staff_client, patient):
    data = {
        "action": "register",
        "full_name": "Ray Caller",
        "phone": "0151 2345678",
        "email": patient.email.upper(),
    }
    response = staff_client.post(BOOK, data)
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.context["register"].errors["email"]
    assert b'value="Ray Caller"' in response.content
    assert not User.objects.filter(full_name="Ray Caller").exists()


def test_registering_needs_a_name_and_a_valid_phone(staff_client):
    response = staff_client.post(
        BOOK, {"action": "register", "full_name": "Ray", "phone": "call me"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "phone" in response.context["register"].errors
    assert b'value="call me"' in response.content


# --- Picking the doctor and a time --------------------------------------------------


def test_times_are_shown_in_the_practice_zone_from_the_first_week_with_one(
    staff_client, patient
):
    doctor = DoctorProfileFactory(timezone="Asia/Tokyo")
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=10)
    slot = SlotFactory(doctor=doctor, starts_at=start)
    response = staff_client.get(BOOK, {"patient": patient.pk, "doctor": doctor.pk})
    picker = response.context["picker"]
    shown = [s for day in picker.days for s in day.slots]
    assert [s.pk for s in shown] == [slot.pk]
    assert shown[0].starts_at.tzinfo == zoneinfo.ZoneInfo("Asia/Tokyo")
    assert b"Asia/Tokyo" in response.content


def test_times_that_clash_with_the_patients_visits_are_marked(
    staff_client, appointment
):
    other_doctor = DoctorProfileFactory()
    clash = SlotFactory(doctor=other_doctor, starts_at=appointment.starts_at)
    response = staff_client.get(
        BOOK, {"patient": appointment.patient_id, "doctor": other_doctor.pk}
    )
    shown = {s.pk: s for day in response.context["picker"].days for s in day.slots}
    assert shown[clash.pk].unavailable


def test_a_patient_over_the_no_show_limit_can_still_be_booked_by_the_desk(
    staff_client, doctor, patient, settings
):
    settings.NO_SHOW_LIMIT = 1
    AppointmentFactory(
        patient=patient,
        status=Appointment.Status.NO_SHOW,
        slot__starts_at=timezone.now() - dt.timedelta(days=3),
    )
    slot = SlotFactory(doctor=doctor)
    response = staff_client.get(BOOK, {"patient": patient.pk, "doctor": doctor.pk})
    shown = {s.pk: s for day in response.context["picker"].days for s in day.slots}
    assert not shown[slot.pk].unavailable
    assert not response.context["picker"].notice
    response = staff_client.post(
        BOOK,
        {
            "action": "book",
            "patient": patient.pk,
            "doctor": doctor.pk,
            "slot": slot.pk,
            "reason": "Follow-up on the blood test",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert Appointment.objects.filter(slot=slot, patient=patient).exists()


# --- Booking ------------------------------------------------------------------------


def test_the_desk_books_for_the_caller_through_the_booking_service(
    staff_client, staff, doctor, django_capture_on_commit_callbacks
):
    caller = User.objects.create(full_name="Ray Caller", phone="0151 234567")
    slot = SlotFactory(doctor=doctor)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            BOOK,
            {
                "action": "book",
                "patient": caller.pk,
                "doctor": doctor.pk,
                "slot": slot.pk,
                "reason": "Back pain since Monday",
            },
        )
    appointment = Appointment.objects.get(slot=slot)
    assert appointment.patient == caller
    assert appointment.booked_by == staff
    local = appointment.starts_at.astimezone(doctor.zone).date()
    assert response["Location"] == f"{DESK}?day={local.isoformat()}&doctor={doctor.pk}"
    slot.refresh_from_db()
    assert slot.is_booked
    # Told in the inbox; no address, so no email to the caller.
    assert Notification.objects.filter(recipient=caller).exists()
    assert all(caller.full_name not in m.body for m in mail.outbox if not m.to)
    assert [m.to for m in mail.outbox] == [[doctor.user.email]]


def test_a_taken_time_is_refused_and_the_reason_kept(staff_client, doctor, patient):
    slot = SlotFactory(doctor=doctor)
    AppointmentFactory(slot=slot)
    slot.is_booked = False  # still offered on a stale page
    response = staff_client.post(
        BOOK,
        {
            "action": "book",
            "patient": patient.pk,
            "doctor": doctor.pk,
            "slot": slot.pk,
            "reason": "Back pain since Monday",
        },
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.context["booking"].errors["slot"]
    assert b"Back pain since Monday" in response.content


def test_booking_without_a_reason_or_a_time_says_what_is_missing(
    staff_client, doctor, patient
):
    response = staff_client.post(
        BOOK, {"action": "book", "patient": patient.pk, "doctor": doctor.pk}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    errors = response.context["booking"].errors
    assert "slot" in errors and "reason" in errors
    assert not Appointment.objects.exists()


def test_booking_without_a_patient_is_refused(staff_client, doctor):
    slot = SlotFactory(doctor=doctor)
    response = staff_client.post(
        BOOK,
        {"action": "book", "doctor": doctor.pk, "slot": slot.pk, "reason": "x" * 12},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Appointment.objects.exists()


# --- The desk view -------------------------------------------------------------------


def test_the_desk_shows_each_doctors_day_with_names_phones_and_no_shows(
    staff_client, patient
):
    berlin = DoctorProfileFactory(
        timezone="Europe/Berlin", user__full_name="Bea Berlin"
    )
    today = timezone.localdate()
    # 23:30 UTC the evening before is 00:30 today in Berlin (winter) or 01:30.
    early = dt.datetime.combine(today, dt.time(0, 30), tzinfo=berlin.zone)
    visit = AppointmentFactory(
        slot__doctor=berlin,
        slot__starts_at=early,
        patient=patient,
        status=Appointment.Status.CONFIRMED,
    )
    patient.phone = "0171 000 1111"
    patient.save()
    AppointmentFactory(
        patient=patient,
        status=Appointment.Status.NO_SHOW,
        slot__starts_at=timezone.now() - dt.timedelta(days=20),
    )
    AppointmentFactory(
        patient=patient,
        status=Appointment.Status.NO_SHOW,
        slot__starts_at=timezone.now() - dt.timedelta(days=120),  # too old to count
    )
    response = staff_client.get(DESK, {"day": today.isoformat()})
    columns = response.context["columns"]
    column = next(c for c in columns if c.doctor == berlin)
    assert column.appointments == [visit]
    assert column.appointments[0].recent_no_shows == 1
    content = response.content.decode()
    assert "Pat Patient" in content and "0171 000 1111" in content
    assert "1 no-show in 90 days" in content
    assert early.strftime("%H:%M") in content  # the practice's time
    # Staff may cancel and move a confirmed visit; no-show only after its start.
    assert set(column.appointments[0].desk_actions) <= {
        "cancel",
        "reschedule",
        "no_show",
    }


def test_the_desk_pages_through_days_and_filters_by_doctor(staff_client, doctor):
    other = DoctorProfileFactory()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    mine = AppointmentFactory(
        slot__doctor=doctor,
        slot__starts_at=dt.datetime.combine(tomorrow, dt.time(12), tzinfo=dt.UTC),
    )
    AppointmentFactory(
        slot__doctor=other,
        slot__starts_at=dt.datetime.combine(tomorrow, dt.time(13), tzinfo=dt.UTC),
    )
    today = staff_client.get(DESK)
    assert today.context["columns"] == [] or all(
        not c.appointments for c in today.context["columns"]
    )
    assert b"No appointments on this day" in today.content
    assert f"day={tomorrow.isoformat()}".encode() in today.content
    both = staff_client.get(DESK, {"day": tomorrow.isoformat()})
    assert {c.doctor for c in both.context["columns"]} == {doctor, other}
    one = staff_client.get(DESK, {"day": tomorrow.isoformat(), "doctor": doctor.pk})
    assert [c.appointments for c in one.context["columns"]] == [[mine]]
    # A bad day is today, never a 500.
    assert staff_client.get(DESK, {"day": "yesterday-ish"}).status_code == HTTPStatus.OK


def test_the_desk_query_count_does_not_grow_with_the_appointments(
    staff_client, django_assert_max_num_queries
):
    day = timezone.localdate() + dt.timedelta(days=1)

    def add(n):
        for i in range(n):
            AppointmentFactory(
                slot__starts_at=dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC)
                + dt.timedelta(minutes=30 * i),
                status=Appointment.Status.CONFIRMED,
            )

    add(1)
    staff_client.get(DESK, {"day": day.isoformat()})  # warm the session
    with django_assert_max_num_queries(8) as few:
        staff_client.get(DESK, {"day": day.isoformat()})
    add(12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff_client.get(DESK, {"day": day.isoformat()})
    assert sum(len(c.appointments) for c in response.context["columns"]) == 13


# --- Reschedule, cancel, no-show ----------------------------------------------------


def test_staff_cancel_with_a_reason_and_both_sides_are_told(staff_client, appointment):
    url = action_url(appointment, "cancel")
    refused = staff_client.post(url, {"reason": ""})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.context["form"].errors["reason"]
    response = staff_client.post(url, {"reason": "The doctor is ill", "next": DESK})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == DESK
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.cancellation_reason == "The doctor is ill"
    told = set(Notification.objects.values_list("recipient", flat=True))
    assert {appointment.patient_id, appointment.doctor.user_id} <= told


def test_staff_move_an_appointment_to_a_free_time_with_a_reason(
    staff_client, appointment
):
    new_slot = SlotFactory(
        doctor=appointment.doctor,
        starts_at=appointment.starts_at + dt.timedelta(hours=2),
    )
    url = action_url(appointment, "reschedule")
    page = staff_client.get(url)
    offered = [s.pk for day in page.context["choices"] for s in day.slots]
    assert new_slot.pk in offered
    # The reason is the rule's (TRANSITIONS: staff say why), shown beside the field.
    refused = staff_client.post(url, {"slot": new_slot.pk, "reason": ""})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.context["form"].errors["reason"]
    response = staff_client.post(url, {"slot": new_slot.pk, "reason": "Doctor late"})
    assert response.status_code == HTTPStatus.FOUND
    appointment.refresh_from_db()
    assert appointment.slot == new_slot
    assert appointment.status == Appointment.Status.CONFIRMED
    assert Notification.objects.filter(recipient=appointment.patient).exists()
    assert Notification.objects.filter(recipient=appointment.doctor.user).exists()


def test_moving_to_a_taken_time_is_a_conflict_with_the_reason_kept(
    staff_client, appointment
):
    taken = AppointmentFactory(slot__doctor=appointment.doctor).slot
    response = staff_client.post(
        action_url(appointment, "reschedule"),
        {"slot": taken.pk, "reason": "Doctor late"},
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert b"Doctor late" in response.content


def test_a_no_show_is_marked_only_after_the_start(staff_client, patient, doctor):
    later = AppointmentFactory(
        slot__doctor=doctor, patient=patient, status=Appointment.Status.CONFIRMED
    )
    refused = staff_client.post(action_url(later, "no_show"))
    assert refused.status_code == HTTPStatus.CONFLICT
    started = AppointmentFactory(
        slot__doctor=doctor,
        status=Appointment.Status.CONFIRMED,
        slot__starts_at=timezone.now() - dt.timedelta(minutes=10),
    )
    change_page = staff_client.get(
        reverse("admin:appointments_appointment_change", args=[started.pk])
    )
    assert action_url(started, "no_show").encode() in change_page.content
    response = staff_client.post(action_url(started, "no_show"))
    assert response.status_code == HTTPStatus.FOUND
    started.refresh_from_db()
    assert started.status == Appointment.Status.NO_SHOW


def test_the_reschedule_reason_rule_lives_in_the_service(staff, appointment):
    new_slot = SlotFactory(doctor=appointment.doctor)
    with pytest.raises(services.ReasonRequired):
        services.reschedule(
            user=staff, appointment_id=appointment.pk, new_slot_id=new_slot.pk
        )
    assert Slot.objects.get(pk=new_slot.pk).is_booked is False


def test_the_desk_logs_whose_records_staff_saw(staff_client, staff, appointment):
    day = appointment.starts_at.astimezone(appointment.doctor.zone).date()
    staff_client.get(DESK, {"day": day.isoformat()})
    staff_client.get(action_url(appointment, "cancel"))
    seen = AccessLog.objects.filter(actor=staff, patient=appointment.patient)
    assert sorted(seen.values_list("action", flat=True)) == ["list", "view"]

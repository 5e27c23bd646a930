"""The people's own appointment pages kept whole in the cache (appointments.caching):
never stale, never another viewer's.

Each test fills the cache with a first request, changes something through the
service (or save) a person would use, and reads again: the very next request of
everyone it concerns shows it."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments import services
from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory, SlotFactory, tomorrow_at
from reviews import services as reviews

pytestmark = pytest.mark.django_db


def tomorrow_slot(doctor, n: int = 0):
    """A free slot tomorrow at 09:00 + n half hours (UTC), whatever the factory's
    sequence has reached in a long run (its slots drift days ahead)."""
    starts = tomorrow_at(9) + dt.timedelta(minutes=30 * n)
    return SlotFactory(
        doctor=doctor, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30)
    )


Status = Appointment.Status
LIST = reverse("appointments:list")
DAY = reverse("appointments:doctor_list")


@pytest.fixture(autouse=True)
def _fragment_cache_on(settings):
    settings.FRAGMENT_CACHE = True


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what the transaction would run on commit (the
    test's own transaction never commits): the version bumps."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def clock_cache(settings):
    """The process's own cache: time_machine moves only this process's clock."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }


def page(client, user, url=LIST, **headers) -> str:
    """`user`'s page, each user on a browser of their own signed in once (a
    sign-in is a new last_login, so a new cache key)."""
    browsers = client.__dict__.setdefault("browsers", {})
    if user.pk not in browsers:
        browsers[user.pk] = Client()
        browsers[user.pk].force_login(user)
    response = browsers[user.pk].get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def visit_today(doctor, patient, hours: float, **fields) -> Appointment:
    """A visit on the doctor's practice day, `hours` from now."""
    starts = timezone.now() + dt.timedelta(hours=hours)
    return AppointmentFactory(
        slot__doctor=doctor,
        slot__starts_at=starts,
        slot__ends_at=starts + dt.timedelta(minutes=30),
        patient=patient,
        **fields,
    )


def test_a_second_view_of_my_appointments_runs_none_of_the_pages_queries(
    client, patient, django_assert_max_num_queries
):
    AppointmentFactory(patient=patient)
    client.force_login(patient)
    client.get(LIST)
    # The session and the user: not the page's six.
    with django_assert_max_num_queries(2):
        assert client.get(LIST).status_code == 200


def test_a_booking_shows_on_the_patients_and_the_doctors_next_page(
    client, doctor, patient, committed
):
    slot = tomorrow_slot(doctor)
    assert doctor.display_name not in page(client, patient)
    day = slot.starts_at.astimezone(doctor.zone).date()
    url = f"{DAY}?day={day:%Y-%m-%d}"
    assert patient.full_name not in page(client, doctor.user, url)
    with committed():
        services.book(patient=patient, slot_id=slot.pk, reason="A cough")
    assert doctor.display_name in page(client, patient)
    assert patient.full_name in page(client, doctor.user, url)


def test_a_cancellation_by_the_doctor_shows_on_the_patients_next_page(
    client, doctor, patient, committed
):
    visit = AppointmentFactory(patient=patient, slot__doctor=doctor)
    assert "Cancel appointment" in page(client, patient)
    with committed():
        services.cancel(
            user=doctor.user, appointment_id=visit.pk, reason="Away that day"
        )
    assert "Cancel appointment" not in page(client, patient)
    past = page(client, patient, f"{LIST}?tab=past")
    assert "Away that day" in past


def test_a_review_shows_on_the_patients_next_page(client, doctor, patient, committed):
    visit = AppointmentFactory(
        patient=patient, slot__doctor=doctor, status=Status.COMPLETED
    )
    assert "Write a review" in page(client, patient, f"{LIST}?tab=past")
    with committed():
        reviews.create(patient=patient, appointment_id=visit.pk, rating=4, comment="")
    assert "See your review" in page(client, patient, f"{LIST}?tab=past")


def test_a_doctors_new_name_shows_on_their_patients_next_page(
    client, doctor, patient, committed
):
    AppointmentFactory(patient=patient, slot__doctor=doctor)
    page(client, patient)
    with committed():
        doctor.user.full_name = "Dr Renamed Person"
        doctor.user.save()
    assert "Dr Renamed Person" in page(client, patient)


def test_a_new_and_a_read_notification_show_in_the_bell_at_once(
    client, patient, committed
):
    from notifications import services as notifications

    AppointmentFactory(patient=patient)
    assert "notification-badge" not in page(client, patient)
    with committed():
        notifications.notify(recipient=patient, kind="appointment_booked", message="")
    assert "notification-badge" in page(client, patient)
    with committed():
        notifications.mark_all_read(user=patient)
    assert "notification-badge" not in page(client, patient)


def test_no_viewer_gets_anothers_page(client, doctor, patient, other_patient):
    AppointmentFactory(patient=patient, slot__doctor=doctor)
    mine = page(client, patient)
    theirs = page(client, other_patient)
    assert doctor.display_name in mine
    assert doctor.display_name not in theirs
    assert patient.full_name not in theirs


def test_each_viewer_gets_their_own_csrf_token(client, doctor, patient):
    visit_today(doctor, patient, hours=2, status=Status.PENDING)
    first = page(client, doctor.user, DAY)
    browser = client.browsers[doctor.user.pk]
    session = browser.cookies["sessionid"].value
    browser.cookies.clear()
    browser.cookies["sessionid"] = session
    second = page(client, doctor.user, DAY)
    for html in (first, second):
        assert 'name="csrfmiddlewaretoken" value="' in html
        assert "\x00" not in html
    token = second.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert token not in first


def test_a_message_waiting_is_shown_not_a_cached_page(
    client, doctor, patient, committed
):
    slot = tomorrow_slot(doctor)
    client.force_login(patient)
    client.get(LIST)
    client.post(reverse("appointments:hold", args=[slot.pk]))
    response = client.post(
        reverse("appointments:confirm", args=[slot.pk]),
        {"reason": "A persistent cough"},
        follow=True,
    )
    assert "Booked" in response.content.decode()
    assert doctor.display_name in response.content.decode()


def test_the_cancel_cutoff_passing_removes_the_button_without_any_write(
    client, doctor, patient, clock_cache
):
    visit = AppointmentFactory(
        patient=patient, slot=tomorrow_slot(doctor), status=Status.CONFIRMED
    )
    assert "Cancel appointment" in page(client, patient)
    cutoff = visit.starts_at - services.PATIENT_CANCEL_CUTOFF
    with time_machine.travel(cutoff + dt.timedelta(minutes=1)):
        assert "Cancel appointment" not in page(client, patient)


def test_a_visit_ending_moves_to_past_without_any_write(
    client, doctor, patient, clock_cache
):
    visit = AppointmentFactory(
        patient=patient, slot=tomorrow_slot(doctor), status=Status.CONFIRMED
    )
    assert doctor.display_name in page(client, patient)
    with time_machine.travel(visit.ends_at + dt.timedelta(minutes=1)):
        assert doctor.display_name not in page(client, patient)
        assert doctor.display_name in page(client, patient, f"{LIST}?tab=past")


def test_the_doctors_day_shows_a_hold_and_time_off_at_once(
    client, doctor, patient, committed
):
    starts = timezone.now() + dt.timedelta(hours=3)
    slot = SlotFactory(
        doctor=doctor, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30)
    )
    day = starts.astimezone(doctor.zone).date()
    url = f"{DAY}?day={day:%Y-%m-%d}"
    assert ">Held<" not in page(client, doctor.user, url)
    with committed():
        services.hold(patient=patient, slot_id=slot.pk)
    assert ">Held<" in page(client, doctor.user, url)
    with committed():
        services.add_time_off(
            user=doctor.user,
            doctor=doctor,
            starts_at=starts + dt.timedelta(hours=1),
            ends_at=starts + dt.timedelta(hours=2),
            reason="Dentist",
        )
    assert "Dentist" in page(client, doctor.user, url)


def test_a_patients_new_phone_and_no_show_elsewhere_show_on_the_doctors_day(
    client, doctor, patient, committed
):
    visit_today(doctor, patient, hours=2, status=Status.CONFIRMED)
    assert "No past no-shows" in page(client, doctor.user, DAY)
    with committed():
        patient.phone = "+4930123456"
        patient.save()
    assert "+4930123456" in page(client, doctor.user, DAY)
    elsewhere = AppointmentFactory(
        patient=patient,
        status=Status.CONFIRMED,
        slot__starts_at=timezone.now() - dt.timedelta(days=2),
        slot__ends_at=timezone.now() - dt.timedelta(days=2, minutes=-30),
    )
    with committed():
        services.mark_no_show(user=elsewhere.doctor.user, appointment_id=elsewhere.pk)
    assert "1 past no-show" in page(client, doctor.user, DAY)


def test_a_visit_starting_offers_completion_without_any_write(
    client, doctor, patient, clock_cache
):
    visit = visit_today(doctor, patient, hours=0.5, status=Status.CONFIRMED)
    html = page(client, doctor.user, DAY)
    if patient.full_name not in html:  # the visit falls on tomorrow: not today
        pytest.skip("less than half an hour of the practice day left")
    assert "Mark completed" not in html
    with time_machine.travel(visit.starts_at + dt.timedelta(minutes=1)):
        assert "Mark completed" in page(client, doctor.user, DAY)


def test_the_doctors_other_tabs_are_not_kept(client, doctor, patient, committed):
    visit = AppointmentFactory(patient=patient, slot__doctor=doctor)
    assert patient.full_name in page(client, doctor.user, f"{DAY}?tab=upcoming")
    with committed():
        services.cancel(user=doctor.user, appointment_id=visit.pk, reason="Away")
    assert patient.full_name not in page(client, doctor.user, f"{DAY}?tab=upcoming")


def test_a_specialization_renamed_shows_on_the_patients_next_page(
    client, doctor, patient, committed
):
    AppointmentFactory(patient=patient, slot__doctor=doctor)
    assert doctor.specialization.name in page(client, patient)
    with committed():
        doctor.specialization.name = "Aerospace medicine"
        doctor.specialization.save()
    assert "Aerospace medicine" in page(client, patient)


def test_a_doctor_no_longer_approved_loses_their_kept_day(
    client, doctor, patient, committed
):
    visit_today(doctor, patient, hours=2, status=Status.CONFIRMED)
    page(client, doctor.user, DAY)
    doctor.status = doctor.Status.REJECTED
    with committed():
        doctor.save()
    response = client.browsers[doctor.user.pk].get(DAY)
    assert response.status_code == 403


@pytest.mark.parametrize("guess", ["none of them", "only some"])
def test_a_wrong_guess_of_a_pages_versions_is_never_trusted(
    client, patient, committed, guess
):
    """A hit reads the versions it guesses from the last hit in the same round
    trip as the page; the entry's own list decides, the rest read apart."""
    from appointments import caching
    from notifications import services as notifications

    AppointmentFactory(patient=patient)
    assert "notification-badge" not in page(client, patient)
    assert "notification-badge" not in page(client, patient)  # the guess learnt
    for key, deps in caching._deps_of.items():
        caching._deps_of[key] = () if guess == "none of them" else deps[:1]
    with committed():
        notifications.notify(recipient=patient, kind="appointment_booked", message="")
    assert "notification-badge" in page(client, patient)

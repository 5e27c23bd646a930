"""A signed-out visitor's time: picked, kept through log-in or sign-up (and the
email confirmation), then held; the confirmation page and who may see it."""

import datetime as dt
import re
from http import HTTPStatus

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from appointments.models import Slot
from appointments.tests.factories import SlotFactory
from doctors.models import DoctorProfile
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db

RESUME = reverse("appointments:resume")
SIGNUP = {
    "full_name": "Grace Hopper",
    "email": "grace@example.com",
    "password1": "a-long-test-password-42",
    "password2": "a-long-test-password-42",
    "timezone": "Europe/Berlin",
}


def free_slot(doctor=None, hours: float = 48, **fields) -> Slot:
    doctor = doctor or DoctorProfileFactory(
        user__full_name="Ada Lee",
        timezone="Europe/Berlin",
        consultation_fee="75.00",
        clinic_name="Lindenhof Praxis",
        address="Lindenstraße 5",
        city="Berlin",
    )
    start = (timezone.now() + dt.timedelta(hours=hours)).replace(
        minute=0, second=0, microsecond=0
    )
    return SlotFactory(
        doctor=doctor,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=45),
        **fields,
    )


def pick_url(slot) -> str:
    return reverse("appointments:pick", args=[slot.pk])


def confirm_url(slot) -> str:
    return reverse("appointments:confirm", args=[slot.pk])


def verified(user) -> User:
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    return user


def log_in(client, user, password, next_url: str = ""):
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": user.email, "password": password})


def texts(response) -> list[str]:
    """The messages waiting, but "You are logged in as …"."""
    return [
        str(message)
        for message in get_messages(response.wsgi_request)
        if not str(message).startswith("You are logged in as")
    ]


# --- The pick page ------------------------------------------------------------------


def test_a_visitor_picking_a_time_is_asked_to_log_in_or_sign_up(client):
    slot = free_slot()
    response = client.get(pick_url(slot))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    local = slot.starts_at.astimezone(slot.doctor.zone)
    assert f"Book Dr Ada Lee at {local:%a} {local.day} {local:%b %Y, %H:%M}" in html
    assert f'href="{reverse("account_login")}?next=/slots/resume/"' in html
    assert f'href="{reverse("account_signup")}?next=/slots/resume/"' in html
    # What the visit is: length, fee, where.
    assert "45 minutes" in html and "75.00 EUR" in html
    assert "Lindenhof Praxis" in html and "Lindenstraße 5" in html
    assert "we hold it for you for 5 minutes while you confirm" in html
    assert client.session["pending_pick"] == slot.pk


def test_the_pick_page_shows_the_viewers_time_beside_the_practices(client):
    slot = free_slot()  # Berlin; the visitor is in UTC
    html = client.get(pick_url(slot)).content.decode()
    berlin = slot.starts_at.astimezone(slot.doctor.zone)
    utc = slot.starts_at.astimezone(dt.UTC)
    assert f"{berlin:%H:%M} ({utc:%H:%M} your time)" in html


def test_a_signed_in_patient_gets_a_button_that_holds_it(client, patient):
    slot = free_slot()
    client.force_login(patient)
    html = client.get(pick_url(slot)).content.decode()
    assert f'action="{reverse("appointments:hold", args=[slot.pk])}"' in html
    assert "Sign up to book" not in html
    assert "pending_pick" not in client.session


def test_picking_a_time_no_longer_free_goes_back_to_the_doctors_times(client):
    slot = free_slot(is_booked=True)
    response = client.get(pick_url(slot))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == slot.doctor.get_absolute_url() + "#times"
    assert texts(response) == ["That time was just taken. Please pick another."]
    assert "pending_pick" not in client.session


def test_a_time_of_an_unknown_or_unapproved_doctor_is_404(client):
    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    assert client.get(pick_url(free_slot(pending))).status_code == 404
    missing = reverse("appointments:pick", args=[999999])
    assert client.get(missing).status_code == HTTPStatus.NOT_FOUND


def test_the_log_in_and_sign_up_pages_say_what_is_being_booked(client):
    slot = free_slot()
    assert "Book Dr Ada Lee" not in client.get(reverse("account_login")).text
    client.get(pick_url(slot))
    for name in ("account_login", "account_signup"):
        assert "Book Dr Ada Lee" in client.get(reverse(name)).text
    # An hour later the visitor has moved on: nothing is said, nothing held.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=61)):
        assert "Book Dr Ada Lee" not in client.get(reverse("account_login")).text


# --- Back from logging in: the time held -------------------------------------------


def test_logging_in_after_picking_holds_the_time(client, password):
    slot = free_slot()
    patient = verified(UserFactory())
    client.get(pick_url(slot))
    response = log_in(client, patient, password, next_url=RESUME)
    assert response.url == RESUME
    response = client.get(RESUME)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == confirm_url(slot)
    slot.refresh_from_db()
    assert slot.held_by == patient
    assert "pending_pick" not in client.session


def test_logging_in_without_the_next_still_comes_back_to_the_time(client, password):
    """The log-in page reached from the confirmation email has no `next`: the
    session remembers."""
    slot = free_slot()
    patient = verified(UserFactory())
    client.get(pick_url(slot))
    response = log_in(client, patient, password)
    assert response.url == RESUME
    assert client.get(RESUME).url == confirm_url(slot)


def test_an_explicit_next_wins_over_the_remembered_time(client, password):
    client.get(pick_url(free_slot()))
    response = log_in(client, verified(UserFactory()), password, next_url="/doctors/")
    assert response.url == "/doctors/"


def test_without_a_pick_logging_in_lands_as_before(client, password):
    response = log_in(client, verified(UserFactory()), password)
    assert response.url != RESUME


def test_signing_up_and_confirming_the_email_comes_back_to_the_time_held(client):
    slot = free_slot()
    client.get(pick_url(slot))
    response = client.post(f"{reverse('account_signup')}?next={RESUME}", SIGNUP)
    assert response.status_code == HTTPStatus.FOUND
    link = re.search(
        r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", mail.outbox[-1].body
    )[1]
    response = client.post(link)
    assert response.url == RESUME  # logged in by the confirmation, then on
    response = client.get(RESUME, follow=True)
    assert response.redirect_chain[-1][0] == confirm_url(slot)
    slot.refresh_from_db()
    assert slot.held_by.email == "grace@example.com"
    assert "This time is held for you until" in response.content.decode()


def test_a_time_taken_meanwhile_goes_back_to_the_doctors_times(
    client, password, other_patient
):
    slot = free_slot()
    patient = verified(UserFactory())
    client.get(pick_url(slot))
    Slot.objects.filter(pk=slot.pk).update(is_booked=True)
    log_in(client, patient, password)
    response = client.get(RESUME)
    assert response.url == slot.doctor.get_absolute_url() + "#times"
    (message,) = texts(response)
    assert message.startswith("The time you picked, ")
    assert message.endswith(", was taken meanwhile. Please pick another.")
    slot.refresh_from_db()
    assert slot.held_by is None


def test_a_time_held_by_someone_else_meanwhile_is_taken_too(
    client, password, other_patient
):
    slot = free_slot()
    client.get(pick_url(slot))
    Slot.objects.filter(pk=slot.pk).update(
        held_by=other_patient, held_until=timezone.now() + dt.timedelta(minutes=5)
    )
    log_in(client, verified(UserFactory()), password)
    response = client.get(RESUME)
    assert response.url == slot.doctor.get_absolute_url() + "#times"
    assert "was taken meanwhile" in texts(response)[0]


def test_resuming_without_a_pick_holds_nothing(client, patient):
    """Only the visitor's own session names the time: a link cannot hold one."""
    client.force_login(patient)
    response = client.get(RESUME)
    assert response.url == reverse("doctors:list")
    assert not Slot.objects.filter(held_by=patient).exists()


def test_resume_needs_a_log_in(client):
    response = client.get(RESUME)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_the_doctor_resuming_their_own_time_hears_why_not(client, password):
    slot = free_slot()
    client.get(pick_url(slot))
    log_in(client, verified(slot.doctor.user), password)
    response = client.get(RESUME)
    assert response.url == slot.doctor.get_absolute_url() + "#times"
    assert texts(response) == ["You cannot book an appointment with yourself."]


# --- The confirmation page ------------------------------------------------------------


def test_the_confirmation_shows_fee_duration_address_and_a_countdown(client, patient):
    slot = free_slot()
    client.force_login(patient)
    client.post(reverse("appointments:hold", args=[slot.pk]))
    slot.refresh_from_db()
    html = client.get(confirm_url(slot)).content.decode()
    assert "45 minutes" in html and "75.00 EUR" in html
    assert "Lindenhof Praxis" in html and "Lindenstraße 5" in html and "Berlin" in html
    until = timezone.localtime(slot.held_until)
    # Without JavaScript the clock time; the script counts down the seconds.
    assert f'<time datetime="{until.isoformat()}">{until:%H:%M}</time>' in html
    seconds = int(re.search(r'data-seconds-left="(\d+)"', html)[1])
    assert 290 <= seconds <= 300
    assert "data-countdown-left" in html and "data-hold-expired" in html
    assert "/static/js/hold-countdown.js" in html
    assert "<script>" not in html  # the policy allows no inline script


def test_an_expired_hold_says_so_and_offers_to_pick_again(client, patient):
    slot = free_slot(
        held_by=patient, held_until=timezone.now() - dt.timedelta(minutes=1)
    )
    client.force_login(patient)
    html = client.get(confirm_url(slot)).content.decode()
    assert "Your hold has expired" in html
    assert f'href="{slot.doctor.get_absolute_url()}#times"' in html
    assert "data-seconds-left" not in html


def test_the_confirmation_needs_a_log_in(client):
    slot = free_slot()
    response = client.get(confirm_url(slot))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["patient", "doctor", "staff"])
def test_someone_elses_hold_is_a_404(client, who, patient, staff, other_patient):
    slot = free_slot(
        held_by=other_patient, held_until=timezone.now() + dt.timedelta(minutes=5)
    )
    viewer = {"patient": patient, "doctor": slot.doctor.user, "staff": staff}[who]
    client.force_login(viewer)
    assert client.get(confirm_url(slot)).status_code == HTTPStatus.NOT_FOUND
    client.force_login(other_patient)
    assert client.get(confirm_url(slot)).status_code == HTTPStatus.OK


# --- The doctor's page and the picker ----------------------------------------------


def test_the_times_come_right_under_the_name_before_about(client):
    slot = free_slot()
    html = client.get(slot.doctor.get_absolute_url()).content.decode()
    name, times = html.index('id="doctor-name"'), html.index('id="times"')
    assert name < times < html.index('id="about-heading"')
    assert times < html.index('id="qualifications-heading"')
    assert times < html.index('id="practice-heading"')
    slots = reverse("appointments:doctor_slots", args=[slot.doctor.slug])
    # The picker itself, rendered in (not loaded by htmx), under the times' heading.
    picker = html.index(f'id="slot-picker-{slot.doctor.pk}"')
    assert times < picker < html.index('id="about-heading"')
    assert f'data-slot-id="{slot.pk}"' in html
    assert f'<a href="{slots}"><i class="bi bi-calendar-week"' in html  # the week


@pytest.mark.parametrize("who", ["visitor", "patient", "doctor"])
def test_phones_get_a_book_bar_but_the_doctor_on_their_own_page(client, who, patient):
    slot = free_slot()
    if who != "visitor":
        client.force_login(patient if who == "patient" else slot.doctor.user)
    html = client.get(slot.doctor.get_absolute_url()).content.decode()
    bar = 'class="book-bar d-lg-none"' in html and 'href="#times"' in html
    assert bar == (who != "doctor")


def test_the_picker_skips_empty_days_and_folds_the_rest_of_the_week(client):
    doctor = DoctorProfileFactory(timezone="UTC")
    today = timezone.now().date()
    # Nothing tomorrow; free times on the five days after.
    for n in range(2, 7):
        start = dt.datetime.combine(
            today + dt.timedelta(days=n), dt.time(12), tzinfo=dt.UTC
        )
        SlotFactory(
            doctor=doctor, starts_at=start, ends_at=start + dt.timedelta(minutes=30)
        )
    url = reverse("appointments:doctor_slots", args=[doctor.slug])
    html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    days = re.findall(r'class="slot-day-title"[^>]*>([^<]+)<', html)
    expected = [
        f"{today + dt.timedelta(days=n):%a} {(today + dt.timedelta(days=n)).day}"
        for n in range(2, 7)
    ]
    assert [day.rsplit(" ", 1)[0] for day in days] == expected
    assert "No free times" not in html
    before, folded = html.split('<details class="slot-more mt-2">')
    assert before.count('class="slot-day-title"') == 3
    assert "Show the rest of the week (2 more days)" in folded
    assert folded.count('class="slot-day-title"') == 2


def test_a_viewers_time_on_another_day_names_the_day(client, patient):
    doctor = DoctorProfileFactory(timezone="Asia/Tokyo")
    day = timezone.now().date() + dt.timedelta(days=2)
    # 08:00 in Tokyo is 23:00 the day before in UTC.
    start = dt.datetime.combine(day, dt.time(8), tzinfo=doctor.zone)
    SlotFactory(doctor=doctor, starts_at=start, ends_at=start + dt.timedelta(hours=1))
    url = reverse("appointments:doctor_slots", args=[doctor.slug])
    html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    eve = start.astimezone(dt.UTC)
    assert (
        f'>08:00</time><span class="slot-viewer-time">({eve:%a} 23:00)</span>' in html
    )

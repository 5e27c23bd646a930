"""The availability, time off, week and public slot pages: access, validation,
messages, regeneration after each save, the viewer's time zone, query counts."""

import datetime as dt
import re
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import UserFactory
from appointments import schedule
from appointments.models import Slot, TimeOff, WeeklyAvailability
from appointments.schedule import Window
from appointments.tests.factories import SlotFactory, TimeOffFactory
from doctors.models import DoctorProfile
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# Wednesday 7 January 2026, 08:00 UTC.
NOW = dt.datetime(2026, 1, 7, 8, 0, tzinfo=UTC)

AVAILABILITY = reverse("appointments:availability")
TIME_OFF_ADD = reverse("appointments:time_off_add")
WEEK = reverse("appointments:schedule_week")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def availability_data(windows=(), **overrides) -> dict:
    windows = list(windows)
    data = {
        "windows-TOTAL_FORMS": str(len(windows) + 1),
        "windows-INITIAL_FORMS": "0",
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "50",
        "slot_minutes": "30",
        "buffer_minutes": "0",
        "min_notice_hours": "2",
        "horizon_days": "14",
    }
    for index, (day, start, end) in enumerate(windows):
        data[f"windows-{index}-weekday"] = str(day)
        data[f"windows-{index}-start_time"] = start
        data[f"windows-{index}-end_time"] = end
        data[f"open_{day}"] = "on"  # the day's switch
    # One blank spare range (on Sunday), as the page renders one for a closed day.
    blank = len(windows)
    data[f"windows-{blank}-weekday"] = "6"
    data[f"windows-{blank}-start_time"] = ""
    data[f"windows-{blank}-end_time"] = ""
    data.update(overrides)
    return data


# --- Access -----------------------------------------------------------------------


DOCTOR_PAGES = [AVAILABILITY, TIME_OFF_ADD, WEEK]


@pytest.mark.parametrize("url", DOCTOR_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("url", DOCTOR_PAGES)
def test_patients_get_the_403_page(patient_client, url):
    response = patient_client.get(url)
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "Not allowed" in response.text


@pytest.mark.parametrize("url", DOCTOR_PAGES)
def test_staff_without_a_doctor_profile_get_403(staff_client, url):
    assert staff_client.get(url).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("url", DOCTOR_PAGES)
def test_a_pending_applicant_gets_403(client, url):
    applicant = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    client.force_login(applicant.user)
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("url", DOCTOR_PAGES)
def test_an_approved_doctor_reaches_their_pages(doctor_client, url):
    response = doctor_client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert "<h1" in response.text


def test_a_patient_cannot_post_availability(patient_client):
    response = patient_client.post(AVAILABILITY, availability_data())
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_someone_elses_time_off_is_404(doctor_client):
    other = TimeOffFactory(doctor=DoctorProfileFactory())
    url = reverse("appointments:time_off_delete", args=[other.pk])
    assert doctor_client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert doctor_client.post(url).status_code == HTTPStatus.NOT_FOUND
    assert TimeOff.objects.filter(pk=other.pk).exists()


# --- The availability page ---------------------------------------------------------


def test_saving_hours_stores_windows_and_generates_slots(doctor_client, doctor):
    data = availability_data([(0, "09:00", "12:00"), (0, "14:00", "17:30")])
    response = doctor_client.post(AVAILABILITY, data, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert "Availability saved" in response.text
    assert WeeklyAvailability.objects.filter(doctor=doctor).count() == 2
    # Mondays 12 and 19 Jan (the horizon reaches 21 Jan): 6 + 7 slots each.
    assert Slot.objects.filter(doctor=doctor).count() == 26
    doctor.refresh_from_db()
    assert doctor.min_notice == dt.timedelta(hours=2)
    assert doctor.booking_horizon == dt.timedelta(days=14)


def test_moving_the_practice_zone_moves_the_slots_with_it(doctor_client, doctor):
    data = availability_data([(0, "09:00", "10:00")], timezone="Europe/Berlin")
    doctor_client.post(AVAILABILITY, data)
    doctor.refresh_from_db()
    assert doctor.timezone == "Europe/Berlin"
    starts = {
        slot.starts_at.astimezone(ZoneInfo("Europe/Berlin")).time()
        for slot in Slot.objects.filter(doctor=doctor)
    }
    assert starts == {dt.time(9, 0), dt.time(9, 30)}

    doctor_client.post(AVAILABILITY, {**data, "timezone": "America/New_York"})
    doctor.refresh_from_db()
    assert doctor.timezone == "America/New_York"
    starts = {
        slot.starts_at.astimezone(ZoneInfo("America/New_York")).time()
        for slot in Slot.objects.filter(doctor=doctor)
    }
    assert starts == {dt.time(9, 0), dt.time(9, 30)}


def test_the_page_shows_saved_windows_and_settings(doctor_client, doctor):
    schedule.replace_weekly_windows(
        doctor=doctor, windows=[Window(2, dt.time(8, 15), dt.time(12))]
    )
    response = doctor_client.get(AVAILABILITY)
    assert 'value="08:15"' in response.text
    assert 'name="slot_minutes" value="30"' in response.text


def test_end_before_start_is_refused_next_to_the_field(doctor_client, doctor):
    data = availability_data([(0, "12:00", "09:00")])
    response = doctor_client.post(AVAILABILITY, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "The end must be after the start (12:00)." in response.text
    assert 'id="id_windows-0-end_time_error"' in response.text
    assert 'value="12:00"' in response.text  # what was typed stays
    assert not WeeklyAvailability.objects.exists()


def test_overlapping_windows_on_one_day_are_refused(doctor_client):
    data = availability_data([(0, "09:00", "12:00"), (0, "11:30", "13:00")])
    response = doctor_client.post(AVAILABILITY, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Overlaps Monday 09:00–12:00" in response.text
    assert not WeeklyAvailability.objects.exists()


def test_touching_windows_and_other_days_are_fine(doctor_client, doctor):
    data = availability_data(
        [(0, "09:00", "12:00"), (0, "12:00", "13:00"), (1, "09:00", "12:00")]
    )
    response = doctor_client.post(AVAILABILITY, data)
    assert response.status_code == HTTPStatus.FOUND
    assert WeeklyAvailability.objects.filter(doctor=doctor).count() == 3


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slot_minutes", "5", "greater than or equal to 10"),
        ("slot_minutes", "121", "less than or equal to 120"),
        ("buffer_minutes", "61", "less than or equal to 60"),
        ("horizon_days", "0", "greater than or equal to 1"),
        ("horizon_days", "181", "less than or equal to 180"),
        ("min_notice_hours", "-1", "greater than or equal to 0"),
        ("slot_minutes", "abc", "Enter a whole number"),
    ],
)
def test_settings_out_of_range_are_refused(
    doctor_client, doctor, field, value, message
):
    data = availability_data([(0, "09:00", "12:00")], **{field: value})
    response = doctor_client.post(AVAILABILITY, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.text
    doctor.refresh_from_db()
    assert doctor.slot_minutes == 30


def test_a_tampered_management_form_is_a_400_not_a_500(doctor_client):
    data = availability_data([(0, "09:00", "12:00")])
    data["windows-TOTAL_FORMS"] = "x"
    assert doctor_client.post(AVAILABILITY, data).status_code == HTTPStatus.BAD_REQUEST


def test_removing_a_window(doctor_client, doctor):
    schedule.replace_weekly_windows(
        doctor=doctor,
        windows=[
            Window(0, dt.time(9), dt.time(10)),
            Window(1, dt.time(9), dt.time(10)),
        ],
    )
    # Its remove button, without JavaScript: the page comes back without it...
    data = availability_data([(0, "09:00", "10:00"), (1, "09:00", "10:00")])
    response = doctor_client.post(AVAILABILITY, {**data, "remove": "1"})
    assert response.status_code == HTTPStatus.OK
    assert WeeklyAvailability.objects.filter(doctor=doctor).count() == 2
    assert 'name="windows-1-start_time"' in response.text
    # ... and saving it as shown (Tuesday on, its range gone) asks for its hours.
    del data["windows-1-weekday"], data["windows-1-start_time"]
    del data["windows-1-end_time"]
    response = doctor_client.post(AVAILABILITY, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Add the hours of Tuesday, or switch the day off." in response.text
    # Switched off, Tuesday's window goes.
    del data["open_1"]
    assert doctor_client.post(AVAILABILITY, data).status_code == HTTPStatus.FOUND
    assert list(
        WeeklyAvailability.objects.filter(doctor=doctor).values_list(
            "weekday", flat=True
        )
    ) == [0]


def test_saving_availability_is_rate_limited(one_rate_window, doctor_client):
    data = availability_data([(0, "09:00", "10:00")])
    for _ in range(30):
        doctor_client.post(AVAILABILITY, data)
    response = doctor_client.post(AVAILABILITY, data)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


# --- Time off ----------------------------------------------------------------------


def test_adding_whole_days_off_removes_those_slots(doctor_client, doctor):
    schedule.replace_weekly_windows(
        doctor=doctor, windows=[Window(3, dt.time(9), dt.time(11))]
    )  # Thursdays
    assert Slot.objects.filter(doctor=doctor).count() > 0
    thursday = Slot.objects.filter(doctor=doctor).earliest("starts_at").starts_at.date()
    response = doctor_client.post(
        TIME_OFF_ADD,
        {
            "first_day": thursday.isoformat(),
            "last_day": thursday.isoformat(),
            "reason": "Course",
        },
        follow=True,
    )
    assert "Time off added" in response.text
    assert "Course" in response.text
    assert not Slot.objects.filter(doctor=doctor, starts_at__date=thursday).exists()
    period = TimeOff.objects.get(doctor=doctor)
    assert period.ends_at - period.starts_at == dt.timedelta(days=1)


def test_part_of_a_day_in_the_doctors_zone(doctor_client, doctor):
    doctor.timezone = "Europe/Berlin"
    doctor.save()
    doctor_client.post(
        TIME_OFF_ADD,
        {
            "first_day": "2026-01-08",
            "from_time": "13:00",
            "last_day": "2026-01-08",
            "until_time": "17:00",
        },
    )
    period = TimeOff.objects.get(doctor=doctor)
    assert period.starts_at == dt.datetime(2026, 1, 8, 12, tzinfo=UTC)
    assert period.ends_at == dt.datetime(2026, 1, 8, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"first_day": "2026-01-09", "last_day": "2026-01-08"},
            "Time off must end after it starts.",
        ),
        (
            {
                "first_day": "2026-01-08",
                "from_time": "15:00",
                "last_day": "2026-01-08",
                "until_time": "14:00",
            },
            "Time off must end after it starts.",
        ),
        ({"first_day": "2025-12-01", "last_day": "2025-12-02"}, "already over"),
        ({"first_day": "2026-01-08", "last_day": "2027-06-01"}, "at most a year"),
        ({"first_day": "", "last_day": "2026-01-08"}, "This field is required."),
        ({"first_day": "8 Jan", "last_day": "2026-01-08"}, "Enter a valid date."),
        (
            {"first_day": "9999-12-30", "last_day": "9999-12-31"},
            "within the next five years",
        ),
    ],
)
def test_bad_time_off_is_refused_next_to_the_field(doctor_client, data, message):
    response = doctor_client.post(TIME_OFF_ADD, {"reason": "Trip", **data})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.text
    assert 'value="Trip"' in response.text
    assert not TimeOff.objects.exists()


def test_removing_time_off_asks_first_then_brings_slots_back(doctor_client, doctor):
    schedule.replace_weekly_windows(
        doctor=doctor, windows=[Window(3, dt.time(9), dt.time(11))]
    )
    before = Slot.objects.filter(doctor=doctor).count()
    period, _ = schedule.add_time_off(
        doctor=doctor,
        starts_at=dt.datetime(2026, 1, 8, tzinfo=UTC),
        ends_at=dt.datetime(2026, 1, 9, tzinfo=UTC),
    )
    assert Slot.objects.filter(doctor=doctor).count() < before
    url = reverse("appointments:time_off_delete", args=[period.pk])
    page = doctor_client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert "btn-outline-danger" in page.text
    assert TimeOff.objects.exists()
    response = doctor_client.post(url, follow=True)
    assert "Time off removed" in response.text
    assert not TimeOff.objects.exists()
    assert Slot.objects.filter(doctor=doctor).count() == before


def test_adding_time_off_is_rate_limited(one_rate_window, doctor_client):
    for _ in range(30):
        doctor_client.post(TIME_OFF_ADD, {})
    assert (
        doctor_client.post(TIME_OFF_ADD, {}).status_code == HTTPStatus.TOO_MANY_REQUESTS
    )


# --- The doctor's week ---------------------------------------------------------------


def test_the_week_shows_every_state(doctor_client, doctor):
    schedule.replace_weekly_windows(
        doctor=doctor, windows=[Window(3, dt.time(9), dt.time(12))]
    )  # Thu 8 Jan: 09:00, 09:30, ... 11:30
    slots = list(Slot.objects.filter(doctor=doctor, starts_at__date="2026-01-08"))
    Slot.objects.filter(pk=slots[0].pk).update(is_booked=True)
    Slot.objects.filter(pk=slots[1].pk).update(
        held_by=UserFactory(), held_until=NOW + dt.timedelta(minutes=5)
    )
    Slot.objects.filter(pk=slots[0].pk).update(outside_schedule=True)
    TimeOffFactory(
        doctor=doctor,
        starts_at=dt.datetime(2026, 1, 8, 11, tzinfo=UTC),
        ends_at=dt.datetime(2026, 1, 8, 12, tzinfo=UTC),
        reason="Team meeting",
    )
    response = doctor_client.get(WEEK, {"week": "2026-01-08"})
    text = response.text
    assert "Mon 5 Jan – Sun 11 Jan 2026" in text
    assert "Times shown in UTC" in text
    for label in ("Booked", "Held", "Free", "Outside hours", "Team meeting"):
        assert label in text
    assert "4 free · 1 booked · 1 held" in re.sub(r"\s+", " ", text)
    thursday = next(
        day for day in response.context["grid"].days if day.date == dt.date(2026, 1, 8)
    )
    assert [
        f"{cell.starts_at:%H:%M}" for cell in thursday.slots if cell.in_time_off
    ] == ["11:00", "11:30"]
    assert "?week=2025-12-29" in text and "?week=2026-01-12" in text


def test_the_week_is_in_the_viewers_zone(client, doctor):
    doctor.user.timezone = "Asia/Tokyo"
    doctor.user.save()
    client.force_login(doctor.user)
    SlotFactory(
        doctor=doctor,
        starts_at=dt.datetime(2026, 1, 8, 23, 30, tzinfo=UTC),
        ends_at=dt.datetime(2026, 1, 9, 0, 0, tzinfo=UTC),
    )
    text = client.get(WEEK).text
    assert "Times shown in Asia/Tokyo" in text
    assert "08:30" in text  # Friday 9 Jan in Tokyo
    assert "Fri 9 Jan" in text


def test_week_navigation_returns_the_fragment_to_htmx(doctor_client):
    response = doctor_client.get(
        WEEK, {"week": "2026-01-12"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == HTTPStatus.OK
    assert "<html" not in response.text
    assert 'id="week-grid"' in response.text
    assert "Mon 12 Jan – Sun 18 Jan 2026" in response.text


@pytest.mark.parametrize("week", ["tomorrow", "2026-13-01", "1900-01-01"])
def test_a_bad_week_is_a_400(doctor_client, week):
    assert doctor_client.get(WEEK, {"week": week}).status_code == HTTPStatus.BAD_REQUEST


def test_an_empty_week_offers_the_next_action(doctor_client):
    text = doctor_client.get(WEEK).text
    assert "Set your weekly hours" in text


# --- The public slot picker ---------------------------------------------------


def slots_url(doctor, **params) -> str:
    url = reverse("appointments:doctor_slots", args=[doctor.slug])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def test_the_slot_picker_shows_only_bookable_times(client):
    doctor = DoctorProfileFactory(
        min_notice=dt.timedelta(hours=2), booking_horizon=dt.timedelta(days=5)
    )

    def slot(hours, **fields):
        start = NOW + dt.timedelta(hours=hours)
        return SlotFactory(
            doctor=doctor,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=30),
            **fields,
        )

    slot(-3)  # past: 05:00
    slot(1)  # inside the notice: 09:00
    slot(3)  # ok: 11:00
    slot(4, is_booked=True)  # 12:00
    slot(5, held_by=UserFactory(), held_until=NOW + dt.timedelta(minutes=5))  # 13:00
    slot(6, outside_schedule=True)  # 14:00
    slot(7, held_by=UserFactory(), held_until=NOW - dt.timedelta(minutes=1))  # 15:00
    slot(24 * 6)  # beyond the horizon
    text = client.get(slots_url(doctor)).text
    times = re.findall(r'<time datetime="[^"]+">(\d\d:\d\d)</time>', text)
    assert times == ["11:00", "15:00"]


def test_the_slot_picker_reads_in_the_practices_zone_with_the_viewers_beside(
    client, patient
):
    doctor = DoctorProfileFactory(timezone="Europe/Berlin")
    SlotFactory(
        doctor=doctor,
        starts_at=dt.datetime(2026, 1, 8, 9, tzinfo=UTC),
        ends_at=dt.datetime(2026, 1, 8, 9, 30, tzinfo=UTC),
    )
    # A visitor (UTC): Berlin's 10:00, their 09:00 beside it.
    anonymous = client.get(slots_url(doctor)).text
    assert "Times shown in Europe/Berlin, the practice's time." in anonymous
    assert "Yours (UTC) in brackets." in anonymous
    assert '>10:00</time><span class="slot-viewer-time">(09:00)</span>' in anonymous
    assert "Book Thursday 8 January, 10:00 (09:00 your time), with" in anonymous
    patient.timezone = "America/New_York"
    patient.save()
    client.force_login(patient)
    text = client.get(slots_url(doctor)).text
    assert '>10:00</time><span class="slot-viewer-time">(04:00)</span>' in text
    assert "Yours (America/New_York) in brackets." in text
    assert "Thu 8 Jan" in text
    # A viewer whose clock reads the same sees the practice's time alone.
    patient.timezone = "Europe/Paris"
    patient.save()
    text = client.get(slots_url(doctor)).text
    assert ">10:00</time></button>" in text
    assert "slot-viewer-time" not in text and "in brackets" not in text


def test_the_picker_pages_by_week_and_never_into_the_past(client, doctor):
    first = client.get(slots_url(doctor)).text
    assert "Wed 7 Jan – Tue 13 Jan 2026" in first
    assert "Previous week" not in first
    assert "?week=2026-01-14" in first
    second = client.get(slots_url(doctor, week="2026-01-14")).text
    assert "Wed 14 Jan – Tue 20 Jan 2026" in second
    assert "?week=2026-01-07" in second
    past = client.get(slots_url(doctor, week="2025-06-01")).text
    assert "Wed 7 Jan – Tue 13 Jan 2026" in past


def test_the_picker_stops_at_the_horizon(client):
    doctor = DoctorProfileFactory(booking_horizon=dt.timedelta(days=10))
    text = client.get(slots_url(doctor, week="2026-01-14")).text
    assert "Next week" not in text


def test_an_empty_week_points_to_the_next_free_time(client, doctor):
    SlotFactory(
        doctor=doctor,
        starts_at=dt.datetime(2026, 1, 20, 10, tzinfo=UTC),
        ends_at=dt.datetime(2026, 1, 20, 10, 30, tzinfo=UTC),
    )
    text = client.get(slots_url(doctor)).text
    assert "The next free time is Tue 20 Jan 2026, 10:00." in text
    assert "?week=2026-01-20" in text


def test_the_picker_fragment_for_htmx(client, doctor):
    response = client.get(slots_url(doctor), headers={"HX-Request": "true"})
    assert "<html" not in response.text
    assert "slot-picker" in response.text


def test_the_picker_of_an_unapproved_or_unknown_doctor_is_404(client):
    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    assert client.get(slots_url(pending)).status_code == HTTPStatus.NOT_FOUND
    missing = reverse("appointments:doctor_slots", args=["nobody"])
    assert client.get(missing).status_code == HTTPStatus.NOT_FOUND


def test_a_bad_picker_week_is_a_400(client, doctor):
    assert (
        client.get(slots_url(doctor, week="soon")).status_code == HTTPStatus.BAD_REQUEST
    )


def test_the_picker_query_count_does_not_grow_with_slots(
    client, patient, doctor, django_assert_max_num_queries
):
    schedule.replace_weekly_windows(
        doctor=doctor,
        windows=[Window(day, dt.time(8), dt.time(18)) for day in range(7)],
    )
    assert Slot.objects.filter(doctor=doctor).count() > 100
    client.force_login(patient)
    # Session + user, the doctor, the slots, the patient's own active visits.
    with django_assert_max_num_queries(5):
        response = client.get(slots_url(doctor), headers={"HX-Request": "true"})
    assert response.status_code == HTTPStatus.OK
    with django_assert_max_num_queries(7):
        client.get(slots_url(doctor))


def test_the_doctor_page_holds_the_picker_itself(client, doctor):
    """Rendered in (one request, not a second one by htmx on load): the same HTML
    the fragment gives, whose week links swap it by htmx; the full week's page
    stays a link."""
    SlotFactory(doctor=doctor)
    text = client.get(doctor.get_absolute_url()).text
    fragment = client.get(slots_url(doctor), headers={"HX-Request": "true"}).text
    assert 'hx-trigger="load"' not in text
    assert fragment.strip() and fragment in text
    assert f'<a href="{slots_url(doctor)}">' in text


def test_removing_time_off_is_rate_limited(one_rate_window, doctor_client, doctor):
    url = reverse(
        "appointments:time_off_delete", args=[TimeOffFactory(doctor=doctor).pk]
    )
    for _ in range(30):
        doctor_client.post(url)
    assert doctor_client.post(url).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_the_week_query_count_does_not_grow_with_slots(
    doctor_client, doctor, django_assert_max_num_queries
):
    schedule.replace_weekly_windows(
        doctor=doctor,
        windows=[Window(day, dt.time(8), dt.time(18)) for day in range(7)],
    )
    TimeOffFactory(doctor=doctor)
    # Session, user, the doctor, time off, slots; the navbar's groups and bell.
    with django_assert_max_num_queries(8):
        response = doctor_client.get(WEEK, {"week": "2026-01-12"})
    assert sum(len(day.slots) for day in response.context["grid"].days) == 7 * 20


def test_the_navbar_links_doctors_to_their_availability(doctor_client, client, patient):
    assert f'href="{AVAILABILITY}"' in doctor_client.get("/").text
    client.force_login(patient)
    assert f'href="{AVAILABILITY}"' not in client.get("/").text


def test_whole_days_off_are_listed_as_dates_in_the_doctors_zone(doctor_client, doctor):
    doctor.timezone = "America/New_York"
    doctor.save()
    doctor_client.post(
        TIME_OFF_ADD, {"first_day": "2026-01-08", "last_day": "2026-01-09"}
    )
    doctor_client.post(
        TIME_OFF_ADD,
        {
            "first_day": "2026-01-12",
            "from_time": "13:00",
            "last_day": "2026-01-12",
            "until_time": "15:30",
        },
    )
    text = re.sub(r"\s+", " ", doctor_client.get(AVAILABILITY).text)
    assert "Thu 8 Jan 2026 – Fri 9 Jan 2026</span> <span" in text
    assert "whole days" in text
    assert "Mon 12 Jan 2026, 13:00 – Mon 12 Jan 2026, 15:30" in text


# --- The week editor: a switch per weekday, its ranges, 24-hour times ---------------


def test_the_editor_shows_one_row_per_weekday_with_its_switch(doctor_client, doctor):
    schedule.replace_weekly_windows(
        doctor=doctor,
        windows=[
            Window(2, dt.time(8), dt.time(12)),
            Window(2, dt.time(14), dt.time(17, 30)),
        ],
    )
    response = doctor_client.get(AVAILABILITY)
    week = response.context["week"]
    assert [row["label"] for row in week] == [
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    ]  # fmt: skip
    assert [row["switch"].value() for row in week] == [
        False, False, True, False, False, False, False,
    ]  # fmt: skip
    # Wednesday's two ranges, in 24-hour time, as text (not type=time: AM/PM).
    wednesday = week[2]["ranges"]
    assert [form["end_time"].value() for form in wednesday] == ["12:00", "17:30"]
    assert 'value="17:30"' in response.text
    assert 'type="time"' not in response.text
    assert 'inputmode="numeric"' in response.text
    assert response.text.count('role="switch"') == 7
    assert "Need more rows" not in response.text


def test_switching_a_day_off_removes_its_windows(doctor_client, doctor):
    schedule.replace_weekly_windows(
        doctor=doctor,
        windows=[
            Window(0, dt.time(9), dt.time(12)),
            Window(1, dt.time(9), dt.time(12)),
        ],
    )
    data = availability_data([(0, "09:00", "12:00"), (1, "09:00", "12:00")])
    del data["open_1"]  # Tuesday switched off; its range still on the page
    assert doctor_client.post(AVAILABILITY, data).status_code == HTTPStatus.FOUND
    assert list(
        WeeklyAvailability.objects.filter(doctor=doctor).values_list(
            "weekday", flat=True
        )
    ) == [0]


def test_a_closed_days_ranges_are_not_checked(doctor_client, doctor):
    data = availability_data([(0, "09:00", "12:00"), (1, "12:00", "nonsense")])
    del data["open_1"]
    assert doctor_client.post(AVAILABILITY, data).status_code == HTTPStatus.FOUND


def test_add_a_range_without_javascript_comes_back_with_an_empty_one(
    doctor_client, doctor
):
    data = availability_data([(0, "09:00", "12:00")])
    response = doctor_client.post(AVAILABILITY, {**data, "add": "0"})
    assert response.status_code == HTTPStatus.OK
    monday = response.context["week"][0]["ranges"]
    assert [(f["start_time"].value(), f["end_time"].value()) for f in monday] == [
        ("09:00", "12:00"),
        ("", ""),
    ]
    assert not WeeklyAvailability.objects.exists()  # nothing saved yet
    # Adding to a closed day switches it on.
    response = doctor_client.post(AVAILABILITY, {**data, "add": "3"})
    assert response.context["week"][3]["switch"].value() is True


def test_copy_to_all_open_days_without_javascript(doctor_client, doctor):
    data = availability_data(
        [(0, "09:00", "12:00"), (0, "14:00", "17:00"), (2, "08:00", "09:00")],
        open_4="on",  # Friday open, no hours yet; Tuesday stays closed
    )
    response = doctor_client.post(AVAILABILITY, {**data, "copy": "0"})
    assert response.status_code == HTTPStatus.OK
    week = response.context["week"]

    def ranges(day):
        return [
            (f["start_time"].value(), f["end_time"].value())
            for f in week[day]["ranges"]
        ]

    assert ranges(2) == ranges(4) == [("09:00", "12:00"), ("14:00", "17:00")]
    assert ranges(1) == [("", "")]  # closed: untouched
    # Then saved as shown.
    saved = {k: v for k, v in response.context["formset"].data.items()}
    saved.update({k: data[k] for k in ("slot_minutes", "buffer_minutes")})
    saved.update({"min_notice_hours": "2", "horizon_days": "14"})
    assert doctor_client.post(AVAILABILITY, saved).status_code == HTTPStatus.FOUND
    assert WeeklyAvailability.objects.filter(doctor=doctor).count() == 6


def test_overlap_error_is_in_24_hour_time_next_to_the_field(doctor_client):
    data = availability_data([(0, "14:00", "18:00"), (0, "09:00", "15:00")])
    response = doctor_client.post(AVAILABILITY, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    second = response.context["week"][0]["ranges"][1]
    assert second.errors["start_time"] == [
        "Overlaps Monday 14:00–18:00: windows on one day must not overlap."
    ]
    html = response.text
    field_id = second["start_time"].auto_id
    assert f'aria-describedby="{field_id}_error"' in html
    assert f'id="{field_id}_error">Overlaps Monday 14:00–18:00' in html
    assert 'value="09:00"' in html


@pytest.mark.parametrize("typed", ["10:00 AI", "2pm", "25:00", "9:75"])
def test_an_invalid_time_is_kept_as_typed_with_the_expected_form(doctor_client, typed):
    data = availability_data([(0, typed, "12:00")])
    response = doctor_client.post(AVAILABILITY, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    monday = response.context["week"][0]["ranges"][0]
    assert monday.errors["start_time"] == ["Enter a time as HH:MM, e.g. 09:30."]
    assert f'value="{typed}"' in response.text
    assert not WeeklyAvailability.objects.exists()


@pytest.mark.parametrize("typed", ["14:00", "14.00", "1400", "14:00:00"])
def test_24_hour_times_are_read_with_or_without_the_colon(doctor_client, doctor, typed):
    data = availability_data([(0, "09:00", typed)])
    assert doctor_client.post(AVAILABILITY, data).status_code == HTTPStatus.FOUND
    assert WeeklyAvailability.objects.get(doctor=doctor).end_time == dt.time(14)


def test_saving_the_week_is_one_transaction(doctor_client, doctor, monkeypatch):
    schedule.replace_weekly_windows(
        doctor=doctor, windows=[Window(0, dt.time(9), dt.time(12))]
    )

    def fail(**kwargs):
        raise RuntimeError("regeneration failed")

    monkeypatch.setattr(schedule, "regenerate_slots", fail)
    data = availability_data([(1, "09:00", "12:00"), (2, "09:00", "12:00")])
    with pytest.raises(RuntimeError):
        doctor_client.post(AVAILABILITY, data)
    # The windows written before the failure were rolled back with it.
    assert list(
        WeeklyAvailability.objects.filter(doctor=doctor).values_list(
            "weekday", flat=True
        )
    ) == [0]


def test_time_off_times_are_24_hour_text_with_errors_in_that_notation(doctor_client):
    response = doctor_client.get(TIME_OFF_ADD)
    assert 'type="time"' not in response.text
    assert 'placeholder="09:00"' in response.text
    response = doctor_client.post(
        TIME_OFF_ADD,
        {"first_day": "2026-01-08", "last_day": "2026-01-08", "from_time": "2:00 PM"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Enter a time as HH:MM, e.g. 09:30." in response.text
    assert 'value="2:00 PM"' in response.text

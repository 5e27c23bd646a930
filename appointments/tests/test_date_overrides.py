"""Date overrides: one date's own hours (extra day, shorter day, other windows,
closed) replace the weekday's on that date; slots follow, DST-correct, with the
same idempotent regeneration and protection of booked slots. Pages, API, admin."""

import datetime as dt
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments import schedule
from appointments.models import DateOverride, Slot
from appointments.schedule import Window
from appointments.tests.factories import AppointmentFactory
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY, SUNDAY = 0, 6
JAN_NOW = dt.datetime(2026, 1, 4, 12, tzinfo=UTC)  # Sunday; Mon 5 … Sun 11 follow
T = dt.time


def make_doctor(zone="UTC", days=7, **fields):
    return DoctorProfileFactory(
        timezone=zone, booking_horizon=dt.timedelta(days=days), **fields
    )


def local_starts(doctor, zone=UTC) -> list[str]:
    return [
        s.starts_at.astimezone(zone).strftime("%a %d %H:%M")
        for s in Slot.objects.filter(doctor=doctor).order_by("starts_at")
    ]


def weekly(doctor, *windows, now=JAN_NOW):
    return schedule.replace_weekly_windows(
        doctor=doctor,
        windows=[Window(d, T(*a), T(*b)) for d, a, b in windows],
        now=now,
    )


def test_pure_override_replaces_the_weekdays_windows_on_that_date_only():
    slots = schedule.desired_slots(
        windows=[Window(MONDAY, T(9), T(11))],
        zone=UTC,
        first_day=dt.date(2026, 1, 5),
        last_day=dt.date(2026, 1, 12),
        slot_minutes=60,
        buffer_minutes=0,
        overrides={dt.date(2026, 1, 5): [(T(14), T(15))]},
    )
    assert [s.strftime("%d %H:%M") for s, _ in slots] == [
        "05 14:00",
        "12 09:00",
        "12 10:00",
    ]


def test_an_extra_day_a_shorter_day_and_a_closed_day():
    doctor = make_doctor(slot_minutes=60)
    weekly(doctor, (MONDAY, (9, 0), (12, 0)))
    schedule.save_date_override(
        doctor=doctor, date=dt.date(2026, 1, 7), windows=[(T(10), T(11))], now=JAN_NOW
    )  # a Wednesday: extra day
    assert local_starts(doctor) == [
        "Mon 05 09:00",
        "Mon 05 10:00",
        "Mon 05 11:00",
        "Wed 07 10:00",
    ]
    schedule.save_date_override(
        doctor=doctor, date=dt.date(2026, 1, 5), windows=[(T(9), T(10))], now=JAN_NOW
    )  # shorter Monday
    assert local_starts(doctor) == ["Mon 05 09:00", "Wed 07 10:00"]
    schedule.save_date_override(
        doctor=doctor, date=dt.date(2026, 1, 5), windows=[], now=JAN_NOW
    )  # closed
    assert local_starts(doctor) == ["Wed 07 10:00"]
    # The weekly pattern is untouched; removing the override brings Monday back.
    assert doctor.weekly_availability.count() == 1
    schedule.remove_date_override(doctor=doctor, date=dt.date(2026, 1, 5), now=JAN_NOW)
    assert local_starts(doctor)[:3] == ["Mon 05 09:00", "Mon 05 10:00", "Mon 05 11:00"]


def test_regenerating_twice_changes_nothing():
    doctor = make_doctor(slot_minutes=30)
    weekly(doctor, (MONDAY, (9, 0), (12, 0)))
    schedule.save_date_override(
        doctor=doctor,
        date=dt.date(2026, 1, 6),
        windows=[(T(8), T(9)), (T(13), T(14))],
        now=JAN_NOW,
    )
    before = list(Slot.objects.values_list("pk", "starts_at", "ends_at"))
    result = schedule.regenerate_slots(doctor=doctor, now=JAN_NOW)
    assert result == schedule.RegenerationResult()
    assert list(Slot.objects.values_list("pk", "starts_at", "ends_at")) == before


def test_berlin_override_on_the_spring_forward_sunday():
    # Sunday 29 March 2026: Berlin jumps from 02:00 to 03:00.
    doctor = make_doctor("Europe/Berlin", slot_minutes=60)
    now = dt.datetime(2026, 3, 28, 12, tzinfo=UTC)
    weekly(doctor, (MONDAY, (9, 0), (10, 0)), now=now)
    schedule.save_date_override(
        doctor=doctor, date=dt.date(2026, 3, 29), windows=[(T(1), T(5))], now=now
    )
    sunday = [s for s in local_starts(doctor, BERLIN) if s.startswith("Sun 29")]
    assert sunday == ["Sun 29 01:00", "Sun 29 03:00", "Sun 29 04:00"]
    starts = list(
        Slot.objects.filter(starts_at__date=dt.date(2026, 3, 29))
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
    )
    assert starts == [
        dt.datetime(2026, 3, 29, 0, tzinfo=UTC),  # 01:00 CET
        dt.datetime(2026, 3, 29, 1, tzinfo=UTC),  # 03:00 CEST
        dt.datetime(2026, 3, 29, 2, tzinfo=UTC),  # 04:00 CEST
    ]
    # The Monday after keeps 09:00 local (07:00 UTC in summer time).
    assert dt.datetime(2026, 3, 30, 7, tzinfo=UTC) in Slot.objects.values_list(
        "starts_at", flat=True
    )
    assert schedule.regenerate_slots(doctor=doctor, now=now) == (
        schedule.RegenerationResult()
    )


def test_a_booked_slot_outside_the_override_is_kept_and_flagged():
    doctor = make_doctor(slot_minutes=60)
    weekly(doctor, (MONDAY, (9, 0), (12, 0)))
    booked = Slot.objects.get(starts_at=dt.datetime(2026, 1, 5, 10, tzinfo=UTC))
    AppointmentFactory(
        slot=booked, doctor=doctor, starts_at=booked.starts_at, ends_at=booked.ends_at
    )
    Slot.objects.filter(pk=booked.pk).update(is_booked=True)
    _override, result = schedule.save_date_override(
        doctor=doctor, date=dt.date(2026, 1, 5), windows=[], now=JAN_NOW
    )
    assert result.flagged == 1 and result.removed == 2
    booked.refresh_from_db()
    assert booked.outside_schedule is True
    schedule.remove_date_override(doctor=doctor, date=dt.date(2026, 1, 5), now=JAN_NOW)
    booked.refresh_from_db()
    assert booked.outside_schedule is False


# --- The page --------------------------------------------------------------------


def future_day(days=3) -> dt.date:
    return timezone.now().date() + dt.timedelta(days=days)


def form_data(day, windows=(), closed=False, note=""):
    data = {
        "date": day.isoformat(),
        "note": note,
        "windows-TOTAL_FORMS": 3,
        "windows-INITIAL_FORMS": 0,
    }
    if closed:
        data["closed"] = "on"
    for index, (start, end) in enumerate(windows):
        data[f"windows-{index}-start_time"] = start
        data[f"windows-{index}-end_time"] = end
    return data


def test_the_page_adds_changes_and_removes_an_override(doctor_client, doctor):
    day = future_day()
    add = reverse("appointments:date_override_add")
    assert doctor_client.get(add).status_code == HTTPStatus.OK
    response = doctor_client.post(add, form_data(day, [("09:00", "11:00")]))
    assert response.status_code == HTTPStatus.FOUND
    override = DateOverride.objects.get(doctor=doctor, date=day)
    assert [(w.start_time, w.end_time) for w in override.windows.all()] == [
        (T(9), T(11))
    ]
    page = doctor_client.get(reverse("appointments:availability"))
    assert day.strftime("%-d %b %Y").encode() in page.content
    edit = reverse("appointments:date_override_edit", args=[day.isoformat()])
    data = form_data(day, closed=True, note="Holiday")
    data.update({"windows-INITIAL_FORMS": 1, "windows-0-DELETE": "on"})
    data.update({"windows-0-start_time": "09:00", "windows-0-end_time": "11:00"})
    assert doctor_client.post(edit, data).status_code == HTTPStatus.FOUND
    override.refresh_from_db()
    assert override.note == "Holiday" and not override.windows.exists()
    remove = reverse("appointments:date_override_delete", args=[day.isoformat()])
    assert doctor_client.get(remove).status_code == HTTPStatus.OK
    assert doctor_client.post(remove).status_code == HTTPStatus.FOUND
    assert not DateOverride.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            form_data(future_day(), [("09:00", "11:00"), ("10:00", "12:00")]),
            "start_time",
            b"windows on one day must not overlap",
        ),
        (form_data(future_day()), "closed", b"Add at least one window"),
        (
            form_data(future_day(), [("09:00", "10:00")], closed=True),
            "closed",
            b"A closed day has no hours",
        ),
        (
            form_data(future_day(-2), [("09:00", "10:00")]),
            "date",
            b"This date has passed",
        ),
        (
            form_data(future_day(), [("11:00", "10:00")]),
            "end_time",
            b"The end must be after the start",
        ),
    ],
)
def test_the_page_refuses_bad_input_beside_the_field(
    doctor_client, data, field, message
):
    response = doctor_client.post(reverse("appointments:date_override_add"), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content
    assert b'value="' + data["date"].encode() in response.content  # typed input kept
    assert not DateOverride.objects.exists()


def test_page_access(client, patient, staff, doctor):
    add = reverse("appointments:date_override_add")
    assert client.get(add).status_code == HTTPStatus.FOUND  # to log in
    client.force_login(patient)
    assert client.get(add).status_code == HTTPStatus.FORBIDDEN
    client.force_login(staff)
    assert client.get(add).status_code == HTTPStatus.FORBIDDEN
    other = DoctorProfileFactory()
    schedule.save_date_override(doctor=other, date=future_day(), windows=[])
    client.force_login(doctor.user)
    for name in ("date_override_edit", "date_override_delete"):
        url = reverse(f"appointments:{name}", args=[future_day().isoformat()])
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND
        assert client.post(url).status_code == HTTPStatus.NOT_FOUND
    assert DateOverride.objects.filter(doctor=other).exists()


# --- The API ---------------------------------------------------------------------


def test_api_lists_sets_and_removes(doctor_client, doctor):
    url = reverse("api:me-date-overrides")
    day = future_day()
    body = {
        "date": day.isoformat(),
        "windows": [{"start_time": "09:00", "end_time": "10:00"}],
    }
    response = doctor_client.post(url, body, content_type="application/json")
    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert response.json()["closed"] is False
    assert doctor_client.get(url).json() == [
        {
            "date": day.isoformat(),
            "closed": False,
            "windows": [{"start_time": "09:00", "end_time": "10:00"}],
            "note": "",
        }
    ]
    detail = reverse("api:me-date-override", args=[day.isoformat()])
    assert doctor_client.delete(detail).status_code == HTTPStatus.NO_CONTENT
    assert doctor_client.delete(detail).status_code == HTTPStatus.NOT_FOUND


def test_api_refuses_overlap_with_the_pages_words(doctor_client):
    body = {
        "date": future_day().isoformat(),
        "windows": [
            {"start_time": "09:00", "end_time": "11:00"},
            {"start_time": "10:00", "end_time": "12:00"},
        ],
    }
    response = doctor_client.post(
        reverse("api:me-date-overrides"), body, content_type="application/json"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "windows.1.start_time" in str(response.json())
    assert not DateOverride.objects.exists()


def test_api_access(client, patient):
    url = reverse("api:me-date-overrides")
    assert client.get(url).status_code in (
        HTTPStatus.UNAUTHORIZED,
        HTTPStatus.FORBIDDEN,
    )
    client.force_login(patient)
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN


def test_admin_saves_an_override_and_regenerates(admin_client):
    doctor = make_doctor(slot_minutes=60, days=14)
    day = future_day()
    response = admin_client.post(
        reverse("admin:appointments_dateoverride_add"),
        {
            "doctor": doctor.pk,
            "date": day.isoformat(),
            "note": "",
            "windows-TOTAL_FORMS": 1,
            "windows-INITIAL_FORMS": 0,
            "windows-0-start_time": "09:00",
            "windows-0-end_time": "11:00",
        },
    )
    assert response.status_code == HTTPStatus.FOUND, response.content[:3000]
    assert Slot.objects.filter(doctor=doctor).count() == 2


def test_a_dates_hours_are_24_hour_text_with_errors_in_that_notation(doctor_client):
    add = reverse("appointments:date_override_add")
    page = doctor_client.get(add).content.decode()
    assert 'type="time"' not in page
    assert 'placeholder="09:00"' in page
    data = form_data(future_day(), [("9:00 PM", "22:00"), ("14:00", "18:00")])
    data |= {"windows-TOTAL_FORMS": 3, "windows-2-start_time": "15:00"}
    data["windows-2-end_time"] = "16:00"
    response = doctor_client.post(add, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "Enter a time as HH:MM, e.g. 09:30." in html
    assert 'value="9:00 PM"' in html  # kept as typed
    assert "Overlaps 14:00–18:00" in html

"""/api/v1/me/availability/ and /api/v1/me/time-off/: a doctor's schedule over
JSON, validated by the pages' own forms, so the API refuses what the page refuses
with the same code and message, at the field's path in the body."""

import datetime as dt
import zoneinfo
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.api import ApiClient
from appointments.models import Slot, TimeOff, WeeklyAvailability
from appointments.tests.factories import TimeOffFactory
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db

AVAILABILITY = "/api/v1/me/availability/"
TIME_OFF = "/api/v1/me/time-off/"
SETTINGS = {
    "slot_minutes": 30,
    "buffer_minutes": 0,
    "min_notice_hours": 0,
    "horizon_days": 14,
    "auto_confirm": False,
}


def body(*windows, **settings) -> dict:
    return {
        "windows": [
            {"weekday": day, "start_time": start, "end_time": end}
            for day, start, end in windows
        ],
        "settings": {**SETTINGS, **settings},
    }


def errors(response) -> dict[str, list[tuple[str, str]]]:
    """The API's 400 as {attr: [(code, message), ...]}."""
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    found: dict[str, list[tuple[str, str]]] = {}
    for error in response.json()["errors"]:
        found.setdefault(error["attr"], []).append((error["code"], error["detail"]))
    return found


def page_post(client, *windows):
    """The availability page's POST of these windows and SETTINGS."""
    data = {"windows-TOTAL_FORMS": len(windows), "windows-INITIAL_FORMS": 0}
    for index, (day, start, end) in enumerate(windows):
        data |= {
            f"windows-{index}-weekday": day,
            f"windows-{index}-start_time": start,
            f"windows-{index}-end_time": end,
            f"open_{day}": "on",  # the day's switch
        }
    return client.post(reverse("appointments:availability"), {**data, **SETTINGS})


def page_errors(response) -> dict[str, list[tuple[str, str]]]:
    """The page's field errors, keyed as the API keys them (the page's ranges
    filled in, in day order, as the API's windows in that order)."""
    assert response.status_code == HTTPStatus.BAD_REQUEST
    found = {}
    filled = [form for form in response.context["formset"].forms if form.has_changed()]
    for index, form in enumerate(filled):
        for field, field_errors in form.errors.as_data().items():
            found[f"windows.{index}.{field}"] = [
                (error.code, message)
                for error in field_errors
                for message in error.messages
            ]
    return found


# --- Weekly availability and settings ----------------------------------------------


def test_read_and_replace_the_weekly_availability(doctor):
    WeeklyAvailability.objects.create(
        doctor=doctor, weekday=0, start_time=dt.time(9), end_time=dt.time(12)
    )
    api = ApiClient(doctor.user)
    assert api.get(AVAILABILITY).json()["windows"] == [
        {"weekday": 0, "start_time": "09:00", "end_time": "12:00"}
    ]
    new = body((1, "09:00", "12:00"), (1, "14:00", "16:00"), auto_confirm=True)
    response = api.put(AVAILABILITY, new)
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["windows"] == new["windows"]
    assert response.json()["settings"]["auto_confirm"] is True
    doctor.refresh_from_db()
    assert doctor.auto_confirm
    assert Slot.objects.filter(doctor=doctor).exists()  # regenerated


def test_replacing_the_availability_can_move_the_practice_zone(doctor):
    api = ApiClient(doctor.user)
    tokyo = {**body((1, "09:00", "10:00")), "timezone": "Asia/Tokyo"}
    response = api.put(AVAILABILITY, tokyo)
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["timezone"] == "Asia/Tokyo"
    assert "timezone" not in response.json()["settings"]
    zone = zoneinfo.ZoneInfo("Asia/Tokyo")
    assert {
        slot.starts_at.astimezone(zone).time()
        for slot in Slot.objects.filter(doctor=doctor)
    } == {dt.time(9), dt.time(9, 30)}
    # Left out, the zone stays.
    api.put(AVAILABILITY, body((1, "09:00", "10:00")))
    doctor.refresh_from_db()
    assert doctor.timezone == "Asia/Tokyo"
    bad = api.put(AVAILABILITY, {**tokyo, "timezone": "Mars/Base"})
    assert [code for code, _ in errors(bad)["timezone"]] == ["invalid_choice"]


def test_overlapping_windows_get_the_pages_refusal(doctor, doctor_client):
    windows = [(1, "09:00", "12:00"), (1, "11:00", "13:00")]
    page = page_errors(page_post(doctor_client, *windows))
    api = errors(ApiClient(doctor.user).put(AVAILABILITY, body(*windows)))
    expected = {
        "windows.1.start_time": [
            (
                "overlap",
                "Overlaps Tuesday 09:00–12:00: windows on one day must not overlap.",
            )
        ]
    }
    assert page == api == expected
    assert not WeeklyAvailability.objects.exists()


def test_one_answer_names_every_bad_window_and_setting(doctor):
    response = ApiClient(doctor.user).put(
        AVAILABILITY,
        body(
            (1, "09:00", "12:00"),
            (1, "11:00", "13:00"),
            (2, "13:00", "12:00"),
            slot_minutes=5,
            horizon_days=181,
        ),
    )
    assert {attr: [code for code, _ in e] for attr, e in errors(response).items()} == {
        "windows.1.start_time": ["overlap"],
        "windows.2.end_time": ["end_before_start"],
        "settings.slot_minutes": ["min_value"],
        "settings.horizon_days": ["max_value"],
    }
    doctor.refresh_from_db()
    assert doctor.slot_minutes == 30


def test_at_most_fifty_windows(doctor):
    many = [
        (day % 7, f"{hour:02}:00", f"{hour:02}:30")
        for day in range(7)
        for hour in range(8)
    ]
    response = ApiClient(doctor.user).put(AVAILABILITY, body(*many))
    assert [code for code, _ in errors(response)["windows"]] == ["too_many_forms"]


# --- Time off ------------------------------------------------------------------------


def test_time_off_list_add_remove(doctor):
    other = TimeOffFactory(doctor=DoctorProfileFactory())
    api = ApiClient(doctor.user)
    day = (timezone.now() + dt.timedelta(days=3)).date().isoformat()
    response = api.post(TIME_OFF, {"first_day": day, "last_day": day, "reason": "Away"})
    assert response.status_code == HTTPStatus.CREATED, response.content
    pk = response.json()["id"]
    assert [t["id"] for t in api.get(TIME_OFF).json()["results"]] == [pk]
    bad = api.post(TIME_OFF, {"first_day": day, "last_day": "2020-01-01"})
    assert [code for code, _ in errors(bad)["last_day"]] == ["end_before_start"]
    assert api.delete(f"{TIME_OFF}{other.pk}/").status_code == HTTPStatus.NOT_FOUND
    assert api.delete(f"{TIME_OFF}{pk}/").status_code == HTTPStatus.NO_CONTENT
    assert not TimeOff.objects.filter(pk=pk).exists()


@pytest.mark.parametrize(
    ("first_day", "last_day", "expected"),
    [
        ("9999-12-30", "9999-12-31", {"first_day": "too_far", "last_day": "too_far"}),
        ("0001-01-01", "0001-01-02", {"last_day": "in_the_past"}),
        ("0001-01-01", None, {"last_day": "too_long"}),
    ],
)
def test_far_time_off_dates_get_the_forms_answer_never_a_500(
    doctor, first_day, last_day, expected
):
    last_day = last_day or (timezone.now() + dt.timedelta(days=3)).date().isoformat()
    response = ApiClient(doctor.user).post(
        TIME_OFF, {"first_day": first_day, "last_day": last_day}
    )
    assert {attr: e[0][0] for attr, e in errors(response).items()} == expected

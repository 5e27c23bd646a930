"""The admin's index: branded with the clinic's name, models in sections staff
recognise (one "People", not two "Accounts"); durations as people say them."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.admin_site import SECTIONS, human_duration

pytestmark = pytest.mark.django_db


def sections(response) -> dict[str, list[str]]:
    return {
        str(app["name"]): [model["object_name"].lower() for model in app["models"]]
        for app in response.context["app_list"]
    }


def test_the_index_groups_models_in_sections(admin_client):
    response = admin_client.get(reverse("admin:index"))
    found = sections(response)
    assert list(found) == [
        "People",
        "Doctors",
        "Appointments & schedule",
        "Reviews",
        "Notifications",
        "System",
    ]
    assert found["People"] == [
        "user",
        "emailaddress",
        "authenticator",
        "group",
        "accesslog",
    ]
    assert found["Doctors"][0] == "doctorprofile"
    assert found["Appointments & schedule"][:2] == ["appointment", "slot"]
    html = response.content.decode()
    assert "Accounts" not in html
    assert "Authentication and Authorization" not in html
    # A section has no page of its own: its caption is no link.
    assert '<span class="section">People</span>' in html
    # The side menu on other pages follows the same sections.
    page = admin_client.get(reverse("admin:doctors_doctorprofile_changelist"))
    assert [str(app["name"]) for app in page.context["available_apps"]][:2] == [
        "People",
        "Doctors",
    ]


def test_staff_see_only_the_models_they_may_see(staff_client):
    found = sections(staff_client.get(reverse("admin:index")))
    assert "accesslog" not in found.get("People", [])  # superusers only
    assert "doctorprofile" in found["Doctors"]


def test_one_apps_page_still_lists_that_app(admin_client):
    response = admin_client.get(reverse("admin:app_list", args=["doctors"]))
    assert [app["app_label"] for app in response.context["app_list"]] == ["doctors"]


def test_every_section_lists_real_models():
    from django.contrib import admin

    registered = {
        f"{model._meta.app_label}.{model._meta.model_name}"
        for model in admin.site._registry
    }
    listed = [key for _slug, _name, keys in SECTIONS for key in keys]
    assert set(listed) <= registered
    assert len(listed) == len(set(listed))


def test_the_admin_carries_the_clinics_name(admin_client, settings):
    response = admin_client.get(reverse("admin:index"))
    html = response.content.decode()
    assert '<div id="site-name"><a href="/admin/">Clinic admin</a></div>' in html
    assert "Django administration" not in html
    assert "Django site admin" not in html
    settings.CLINIC_NAME = "Praxis Lee"
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "Praxis Lee admin" in html
    assert "css/admin.css" in html


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.timedelta(hours=2), "2 h"),
        (dt.timedelta(days=60), "60 days"),
        (dt.timedelta(days=1), "1 day"),
        (dt.timedelta(days=1, hours=2, minutes=30), "1 day 2 h 30 min"),
        (dt.timedelta(minutes=45), "45 min"),
        (dt.timedelta(0), "0 min"),
        (None, ""),
    ],
)
def test_human_durations(value, text):
    assert human_duration(value) == text


def test_date_time_inputs_in_the_admin_are_labelled(admin_client):
    html = admin_client.get(reverse("admin:appointments_timeoff_add")).content.decode()
    assert 'aria-label="From, date"' in html
    assert 'aria-label="Until, time"' in html


def test_admin_times_read_as_the_errors_write_them(admin_client):
    from appointments.tests.factories import WeeklyAvailabilityFactory

    window = WeeklyAvailabilityFactory(start_time=dt.time(9), end_time=dt.time(12))
    url = reverse("admin:appointments_weeklyavailability_change", args=[window.pk])
    html = admin_client.get(url).content.decode()
    assert 'value="09:00"' in html
    assert 'value="09:00:00"' not in html

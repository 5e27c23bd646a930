"""The zone list, the browser's zone at sign-up and for visitors, and old names."""

import zoneinfo
from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.middleware import ZONE_COOKIE
from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.timezones import (
    REGIONS,
    canonical,
    canonical_zones,
    detected_zone,
    timezone_choices,
)

pytestmark = pytest.mark.django_db


def listed() -> list[str]:
    names = []
    for value, label in timezone_choices():
        if isinstance(label, list | tuple):
            names += [name for name, _ in label]
        else:
            names.append(value)
    return names


def test_the_list_is_short_canonical_and_has_no_aliases():
    names = listed()
    assert len(names) == len(set(names)) == len(canonical_zones())
    assert len(names) < 450  # zoneinfo knows ~600 names, aliases included
    for alias in ("US/Eastern", "GB", "Asia/Calcutta", "Europe/Kiev", "Etc/UTC"):
        assert alias not in names
    assert not [name for name in names if name.startswith("Etc/")]
    assert {"UTC", "Europe/Berlin", "Asia/Kolkata", "America/New_York"} <= set(names)
    assert all(name in zoneinfo.available_timezones() for name in names)


def test_the_list_is_grouped_by_region_utc_first():
    choices = timezone_choices()
    assert choices[0] == ("UTC", "UTC")
    groups = {str(label): zones for label, zones in choices[1:]}
    assert list(groups) == [str(label) for label in REGIONS.values()]
    assert list(groups)[:3] == ["Europe", "America", "Asia"]
    assert ("Europe/Berlin", "Berlin") in groups["Europe"]
    assert ("America/Argentina/Buenos_Aires", "Argentina / Buenos Aires") in groups[
        "America"
    ]
    for zones in groups.values():
        assert [label for _, label in zones] == sorted(label for _, label in zones)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("Asia/Calcutta", "Asia/Kolkata"),  # what some Chromium builds report
        ("US/Eastern", "America/New_York"),
        ("Europe/Kiev", "Europe/Kyiv"),
        ("GB", "Europe/London"),
        ("Etc/UTC", "UTC"),
        ("GMT", "UTC"),
        ("Etc/GMT+5", None),
        ("Mars/Olympus", None),
        ("", None),
        (None, None),
    ],
)
def test_canonical_names(name, expected):
    assert canonical(name) == expected


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("Mars/Olympus", "UTC"),
        ("Etc/GMT+5", "UTC"),
        ("x" * 300, "UTC"),
        ("", "UTC"),
        (None, "UTC"),
    ],
)
def test_sign_up_keeps_the_browsers_zone_or_utc(client, sent, stored):
    data = {
        "full_name": "Grace Hopper",
        "email": "grace@example.com",
        "password1": DEFAULT_PASSWORD,
        "password2": DEFAULT_PASSWORD,
    }
    if sent is not None:
        data["timezone"] = sent
    response = client.post(reverse("account_signup"), data)
    assert response.status_code == HTTPStatus.FOUND
    assert User.objects.get(email="grace@example.com").timezone == stored


def test_the_sign_up_form_asks_no_zone_question_but_has_the_detection_field(client):
    html = client.get(reverse("account_signup")).content.decode()
    assert 'type="hidden" name="timezone"' in html
    assert "data-detect-timezone" in html
    assert "<select" not in html
    assert "js/timezone.js" in html


def test_detected_zone_is_utc_for_anything_unknown():
    assert detected_zone("Europe/Paris") == "Europe/Paris"
    assert detected_zone("nonsense") == "UTC"


def test_a_visitor_sees_times_in_their_browsers_zone(client):
    response = client.get(reverse("home"))
    assert "Times shown in UTC" in response.content.decode()
    client.cookies[ZONE_COOKIE] = "Europe/Berlin"
    html = client.get(reverse("home")).content.decode()
    assert "Times shown in Europe/Berlin" in html
    assert 'data-timezone="Europe/Berlin"' in html
    assert 'data-timezone-source="visitor"' in html


@pytest.mark.parametrize("cookie", ["Mars/Olympus", "Etc/GMT+5", "", "../../etc"])
def test_a_visitors_unknown_zone_is_utc(client, cookie):
    client.cookies[ZONE_COOKIE] = cookie
    assert "Times shown in UTC" in client.get(reverse("home")).content.decode()


def test_a_visitors_escaped_cookie_is_read(client):
    client.cookies[ZONE_COOKIE] = "America%2FNew_York"
    assert "Times shown in America/New_York" in client.get("/").content.decode()


def test_a_visitors_alias_reads_as_its_listed_zone(client):
    client.cookies[ZONE_COOKIE] = "Asia/Calcutta"
    assert "Times shown in Asia/Kolkata" in client.get(reverse("home")).content.decode()


def test_a_signed_in_users_own_zone_wins_over_the_cookie(client, patient):
    patient.timezone = "America/New_York"
    patient.save(update_fields=["timezone"])
    client.force_login(patient)
    client.cookies[ZONE_COOKIE] = "Europe/Berlin"
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "Times shown in America/New_York" in html
    assert 'data-timezone-source="user"' in html


def test_the_profile_offers_the_grouped_list(client, patient):
    client.force_login(patient)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert '<optgroup label="Europe">' in html
    assert '<option value="Europe/Berlin">Berlin</option>' in html
    assert 'value="US/Eastern"' not in html


def test_the_profile_shows_an_old_alias_as_the_zone_it_stands_for(client, patient):
    patient.timezone = "US/Eastern"
    patient.save(update_fields=["timezone"])
    client.force_login(patient)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert '<option value="America/New_York" selected>' in html
    client.post(
        reverse("accounts:profile"),
        {"full_name": patient.full_name, "timezone": "America/New_York"},
    )
    patient.refresh_from_db()
    assert patient.timezone == "America/New_York"


def test_the_profile_keeps_an_unlisted_zone_the_person_did_not_change(client, patient):
    patient.timezone = "Etc/GMT+5"
    patient.save(update_fields=["timezone"])
    client.force_login(patient)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert '<option value="Etc/GMT+5" selected>' in html
    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "New Name", "timezone": "Etc/GMT+5"},
    )
    assert response.status_code == HTTPStatus.FOUND
    patient.refresh_from_db()
    assert (patient.full_name, patient.timezone) == ("New Name", "Etc/GMT+5")


def test_the_profile_refuses_an_unlisted_zone_it_did_not_have(client, patient):
    client.force_login(patient)
    response = client.post(
        reverse("accounts:profile"),
        {"full_name": patient.full_name, "timezone": "Etc/GMT+5"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "timezone" in response.context["form"].errors


def test_the_api_stores_an_alias_as_its_listed_zone(patient):
    from accounts.tests.api import ApiClient

    response = ApiClient(patient).patch("/api/v1/me/", {"timezone": "Asia/Calcutta"})
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["timezone"] == "Asia/Kolkata"
    patient.refresh_from_db()
    assert patient.timezone == "Asia/Kolkata"

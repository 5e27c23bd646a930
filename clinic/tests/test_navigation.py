"""One navigation per role: each sees its own work, and no two links share a name."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def main_links(html: str) -> list[str]:
    """The labels of the navbar's links outside the account menu, in order."""
    nav = html.split('id="main-nav"', 1)[1].split('id="account-menu"', 1)[0]
    nav = nav.split("navbar-nav align-items-lg-center", 1)[0]
    labels = re.findall(r"<a [^>]*>(.*?)</a>", nav, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", label).split()) for label in labels]


def account_menu(html: str) -> list[str]:
    menu = html.split('aria-labelledby="account-menu"', 1)[1].split("</ul>", 1)[0]
    return [
        " ".join(label.split())
        for label in re.findall(r'class="dropdown-item"[^>]*>(.*?)<', menu, re.S)
    ]


def test_visitors_find_a_doctor_log_in_or_sign_up(client):
    html = client.get(reverse("home")).content.decode()
    assert main_links(html) == ["Find a doctor"]
    right = html.split("navbar-nav align-items-lg-center", 1)[1].split("</ul>")[0]
    assert re.findall(r">([^<>]+)</a>", right) == ["Log in", "Sign up"]


def test_patients_find_a_doctor_and_their_appointments(client, patient):
    client.force_login(patient)
    html = client.get(reverse("home")).content.decode()
    assert main_links(html) == ["Find a doctor", "My appointments"]
    menu = account_menu(html)
    assert "Become a doctor" in menu
    assert "Edit doctor profile" not in menu


def test_doctors_see_their_day_their_appointments_and_availability(client, doctor):
    client.force_login(doctor.user)
    html = client.get(reverse("home")).content.decode()
    assert main_links(html) == [
        "Today",
        "Appointments",
        "Availability",
        "Find a doctor",
    ]
    # Their own bookings as a patient: in the account menu, named so.
    menu = account_menu(html)
    assert "My own appointments (as a patient)" in menu
    assert {"Reviews of me", "Edit doctor profile"} <= set(menu)
    assert "Become a doctor" not in menu


def test_clinic_staff_see_the_front_desk_and_the_admin(staff_client):
    html = staff_client.get(reverse("home")).content.decode()
    assert main_links(html) == ["Front desk", "Admin", "Find a doctor"]
    assert reverse("admin:appointments_appointment_desk") in html


def test_every_role_has_each_label_once(client, doctor, staff_client):
    client.force_login(doctor.user)
    for html in (
        client.get(reverse("home")).content.decode(),
        staff_client.get(reverse("home")).content.decode(),
    ):
        labels = main_links(html) + account_menu(html)
        assert len(labels) == len(set(labels)), labels


@pytest.mark.parametrize(
    ("url", "active"),
    [
        (reverse("appointments:doctor_list") + "?tab=today", "Today"),
        (reverse("appointments:doctor_list") + "?tab=upcoming", "Appointments"),
        (reverse("appointments:availability"), "Availability"),
        (reverse("doctors:list"), "Find a doctor"),
    ],
)
def test_the_doctors_current_page_is_marked(client, doctor, url, active):
    client.force_login(doctor.user)
    html = client.get(url).content.decode()
    marked = re.findall(r'aria-current="page"[^>]*>(.*?)</a>', html, re.S)
    assert [" ".join(re.sub(r"<[^>]+>", " ", m).split()) for m in marked][:1] == [
        active
    ]

"""The admin staff use, in a real browser at a phone's and a desktop's width: every
change list and change form they open, the index and the front desk pages have no
axe-core violation, and the change lists fit the window. Screenshots for review."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from accounts.tests.mfa import log_in_with_mfa
from appointments.models import DateOverride, DateOverrideWindow, TimeOff
from appointments.tests.factories import (
    AppointmentFactory,
    SlotFactory,
    WeeklyAvailabilityFactory,
)
from conftest import DESKTOP, PHONE, hand_session
from doctors.models import DoctorProfile
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import EmailPreference
from notifications.tests.factories import NotificationFactory
from reviews.tests.factories import ReviewFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def hand_session_to(page, live_server, user) -> None:
    """Sign in through the real pages (password, then the authenticator's code)
    and give the session to the browser, as the admin wants a second factor."""
    client = log_in_with_mfa(Client(), user)
    hand_session(page, live_server, client)


def records():
    """One row of everything staff look at, so no list or form is empty."""
    doctor = DoctorProfileFactory(
        user__full_name="Ada Lee", min_notice=dt.timedelta(hours=2)
    )
    pending = DoctorProfileFactory(
        user__full_name="Ben Pending", status=DoctorProfile.Status.PENDING
    )
    # Full lists, as staff see them on a working day.
    UserFactory.create_batch(25)
    DoctorProfileFactory.create_batch(6, status=DoctorProfile.Status.PENDING)
    AppointmentFactory.create_batch(12, slot__doctor=doctor)
    NotificationFactory.create_batch(12)
    appointment = AppointmentFactory(slot__doctor=doctor)
    review = ReviewFactory(appointment__slot__doctor=doctor)
    window = WeeklyAvailabilityFactory(doctor=doctor)
    start = timezone.now() + dt.timedelta(days=3)
    time_off = TimeOff.objects.create(
        doctor=doctor, starts_at=start, ends_at=start + dt.timedelta(hours=4)
    )
    override = DateOverride.objects.create(
        doctor=doctor, date=(start + dt.timedelta(days=2)).date()
    )
    DateOverrideWindow.objects.create(
        override=override, start_time=dt.time(9), end_time=dt.time(12)
    )
    notification = NotificationFactory(recipient=appointment.patient)
    preference = EmailPreference.objects.create(
        user=appointment.patient, kind=notification.kind, enabled=False
    )
    slot = SlotFactory(doctor=doctor)
    return (
        pending,
        appointment,
        {
            "accounts/user": appointment.patient.pk,
            "doctors/doctorprofile": doctor.pk,
            "doctors/specialization": doctor.specialization_id,
            "appointments/appointment": appointment.pk,
            "appointments/slot": slot.pk,
            "appointments/weeklyavailability": window.pk,
            "appointments/timeoff": time_off.pk,
            "appointments/dateoverride": override.pk,
            "reviews/review": review.pk,
            "notifications/notification": notification.pk,
            "notifications/emailpreference": preference.pk,
        },
    )


ADD_FORMS = [
    "accounts/user",
    "appointments/weeklyavailability",
    "appointments/timeoff",
    "appointments/dateoverride",
    "doctors/specialization",
    "notifications/notification",
]
LISTS_ONLY = [
    "account/emailaddress",
    "auth/group",
    "doctors/language",
    "doctors/follow",
    "appointments/waitlistrequest",
    "mfa/authenticator",
]


@pytest.mark.parametrize(
    "page", [PHONE, DESKTOP], indirect=True, ids=["phone", "desktop"]
)
def test_every_admin_page_staff_use_is_axe_clean(
    page, live_server, admin_user, axe, screenshot
):
    pending, appointment, objects = records()
    hand_session_to(page, live_server, admin_user)
    pages = {
        "index": reverse("admin:index"),
        "desk": reverse("admin:appointments_appointment_desk"),
        "book": reverse("admin:appointments_appointment_book"),
        "doctor-pending-form": f"/admin/doctors/doctorprofile/{pending.pk}/change/",
        "doctor-reject": reverse(
            "admin:doctors_doctorprofile_reject", args=[pending.pk]
        ),
        "appointment-cancel": reverse(
            "admin:appointments_appointment_cancel", args=[appointment.pk]
        ),
        "appointment-reschedule": reverse(
            "admin:appointments_appointment_reschedule", args=[appointment.pk]
        ),
    }
    for path, pk in objects.items():
        name = path.replace("/", "-")
        pages[f"{name}-list"] = f"/admin/{path}/"
        pages[f"{name}-form"] = f"/admin/{path}/{pk}/change/"
    for path in ADD_FORMS:
        pages[f"{path.replace('/', '-')}-add"] = f"/admin/{path}/add/"
    for path in LISTS_ONLY:
        pages[f"{path.replace('/', '-')}-list"] = f"/admin/{path}/"
    found, wide = [], []
    for name, url in pages.items():
        page.goto(url)
        assert page.locator("#site-name").inner_text() == "Clinic admin", url
        found += axe()
        if page.evaluate("document.documentElement.scrollWidth > innerWidth"):
            wide.append(url)
        screenshot(f"admin-{name}")
    assert found == [], "\n".join(found)
    assert wide == []

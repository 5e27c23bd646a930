"""A form fuzzer: thousands of generated bodies posted to every form of the pages,
each by the role that uses it. Whatever is typed, the answer is never a 5xx.

Deterministic (derandomize) so CI sees the same bodies every run; rate limits are
off so every body reaches its form."""

import datetime as dt
import logging
import math
import re
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import StaffFactory, UserFactory
from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory, SlotFactory
from doctors.tests.factories import DoctorProfileFactory, SpecializationFactory
from notifications.tests.factories import NotificationFactory
from reviews.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db

BODIES = 5_000
# Forms whose page is slow to render (a select of every time zone or language, the
# admin's change form): fewer bodies each, so the whole run stays near 2 minutes.
SLOW_FORMS = {
    "account_signup",
    "accounts:profile",
    "doctors:apply",
    "appointments:availability",
    "admin:appointments_appointment_change",
}
SLOW_SHARE = 40

# Inputs people (and scripts) type into forms: edge values for every kind of field.
NASTY = [
    "",
    " ",
    "0",
    "-1",
    "1e309",
    "NaN",
    "99999999999999999999",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "25:61",
    "23:59",
    "2026-12-03T09:30",
    "on",
    "true",
    "null",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "ä" * 300,
    "x" * 5000,
    "\x00",
    "Europe/Berlin",
    "Not/AZone",
    "a@b",
    "person@example.com",
]
values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=120),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.dates().map(str),
    st.times().map(lambda t: t.strftime("%H:%M")),
)


@dataclass
class Target:
    client: Client
    url: str
    fields: list[str] = field(default_factory=list)
    share: int = 20


NAME = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')


def form_fields(client: Client, url: str, known: tuple[str, ...]) -> list[str]:
    """The field names of the page's forms (read from its GET), plus `known`."""
    names = set(known)
    response = client.get(url)
    if response.status_code == 200:
        names |= set(NAME.findall(response.content.decode()))
    names.discard("csrfmiddlewaretoken")
    return sorted(names)


def bodies(fields: list[str]):
    keys = st.one_of(st.sampled_from(fields or ["x"]), st.text(max_size=12))
    return st.dictionaries(
        keys, st.one_of(values, st.lists(values, max_size=3)), max_size=12
    )


@pytest.fixture
def targets(settings):
    settings.RATELIMIT_ENABLE = False
    settings.ACCOUNT_RATE_LIMITS = False
    now = timezone.now()
    patient = UserFactory()
    doctor = DoctorProfileFactory()
    other_doctor = DoctorProfileFactory()
    staff = StaffFactory(is_superuser=True)
    SpecializationFactory()

    def at(hours):
        start = (now + dt.timedelta(hours=hours)).replace(second=0, microsecond=0)
        return {"starts_at": start, "ends_at": start + dt.timedelta(minutes=30)}

    free = SlotFactory(doctor=doctor, **at(72))
    booked = AppointmentFactory(
        patient=patient, slot=SlotFactory(doctor=doctor, is_booked=True, **at(48))
    )
    started = AppointmentFactory(
        patient=patient,
        status=Appointment.Status.CONFIRMED,
        slot=SlotFactory(doctor=doctor, is_booked=True, **at(-1)),
    )
    done = AppointmentFactory(
        patient=patient,
        status=Appointment.Status.COMPLETED,
        slot=SlotFactory(doctor=other_doctor, is_booked=True, **at(-48)),
    )
    reviewed = ReviewFactory(
        appointment=AppointmentFactory(
            patient=patient,
            status=Appointment.Status.COMPLETED,
            slot=SlotFactory(doctor=doctor, is_booked=True, **at(-96)),
        )
    )
    notification = NotificationFactory(recipient=patient)

    clients = {}
    for role, user in (
        ("anonymous", None),
        ("patient", patient),
        ("doctor", doctor.user),
        ("staff", staff),
    ):
        clients[role] = Client()
        if user is not None:
            clients[role].force_login(user)

    forms = {
        "anonymous": [
            ("account_login", (), ("login", "password", "remember")),
            ("account_signup", (), ("email", "password1", "password2", "full_name")),
            ("account_reset_password", (), ("email",)),
        ],
        "patient": [
            ("account_email", (), ("email", "action_add", "action_remove")),
            ("account_change_password", (), ("oldpassword", "password1", "password2")),
            ("accounts:profile", (), ("full_name", "phone", "date_of_birth")),
            ("accounts:remove_avatar", (), ()),
            ("privacy:export", (), ()),
            ("privacy:close", (), ("password",)),
            ("appointments:hold", (free.pk,), ()),
            ("appointments:confirm", (free.pk,), ("reason",)),
            ("appointments:release", (free.pk,), ()),
            ("appointments:cancel", (booked.pk,), ("reason",)),
            ("appointments:reschedule", (booked.pk,), ("slot",)),
            ("reviews:create", (done.pk,), ("rating", "comment")),
            ("reviews:edit", (reviewed.pk,), ("rating", "comment")),
            ("reviews:delete", (reviewed.pk,), ()),
            ("notifications:open", (notification.pk,), ()),
            ("notifications:mark_all_read", (), ()),
            ("notifications:settings", (), ()),
            ("doctors:follow", (doctor.slug,), ()),
            ("doctors:unfollow", (doctor.slug,), ()),
            ("doctors:apply", (), ("license_number", "specialization", "bio")),
        ],
        "doctor": [
            ("appointments:availability", (), ("slot_minutes",)),
            ("appointments:time_off_add", (), ("starts_at", "ends_at", "reason")),
            ("appointments:time_off_delete", (1,), ()),
            ("appointments:accept", (booked.pk,), ()),
            ("appointments:complete", (started.pk,), ()),
            ("appointments:cancel", (booked.pk,), ("reason",)),
            ("appointments:reschedule", (booked.pk,), ("slot",)),
            ("reviews:reply", (reviewed.pk,), ("reply",)),
            ("doctors:edit", (), ("bio", "consultation_fee", "languages")),
        ],
        "staff": [
            ("admin:doctors_specialization_add", (), ("name", "slug")),
            (
                "admin:appointments_appointment_change",
                (booked.pk,),
                ("status", "reason"),
            ),
            ("admin:appointments_appointment_changelist", (), ("action", "index")),
        ],
    }
    entries = [
        (role, name, reverse(name, args=args), known)
        for role, listed in forms.items()
        for name, args, known in listed
    ]
    slow = sum(name in SLOW_FORMS for _role, name, _url, _known in entries)
    share = math.ceil((BODIES - slow * SLOW_SHARE) / (len(entries) - slow))
    return [
        Target(
            clients[role],
            url,
            form_fields(clients[role], url, known),
            SLOW_SHARE if name in SLOW_FORMS else share,
        )
        for role, name, url, known in entries
    ]


def test_no_generated_form_body_gets_a_5xx(targets, caplog):
    # Thousands of 400s are expected: logging each one only costs time.
    caplog.set_level(logging.ERROR, logger="django.request")
    caplog.set_level(logging.ERROR, logger="django.security")
    posted = []

    def fuzz(target: Target) -> None:
        @settings(
            max_examples=target.share,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(body=bodies(target.fields))
        def post_anything(body):
            response = target.client.post(target.url, body)
            posted.append(target.url)
            assert response.status_code < 500, (target.url, body)

        post_anything()

    for target in targets:
        fuzz(target)
    assert len(posted) >= BODIES
    assert set(posted) == {t.url for t in targets}  # every form got bodies

import pytest
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    from django.apps import apps

    return {
        model._meta.label: model.objects.count()
        for app in ("accounts", "doctors", "appointments", "reviews", "notifications")
        for model in apps.get_app_config(app).get_models()
    }


def test_seed_demo_creates_logins_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = counts()
    assert User.objects.filter(email="staff@example.com", is_staff=True).exists()
    assert User.objects.filter(is_staff=False).count() >= 3
    assert "demo-patient-password" in capsys.readouterr().out

    call_command("seed_demo")
    assert counts() == first


def test_seed_demo_mails_nobody(mailoutbox):
    call_command("seed_demo")
    assert mailoutbox == []


def test_seed_demo_stores_every_doctors_next_free_slot():
    """The demo books slots directly: it must leave the stored value exact."""
    from django.utils import timezone

    from appointments.models import Slot
    from appointments.tests.factories import first_bookable_start
    from doctors.models import DoctorProfile, next_free_is_current
    from doctors.selectors import directory

    call_command("seed_demo")
    now = timezone.now()
    doctors = DoctorProfile.objects.approved()
    assert doctors.filter(next_free_is_current(now)).count() == doctors.count()
    booked_ahead = Slot.objects.filter(is_booked=True, starts_at__gt=now)
    assert booked_ahead.exists()
    for doctor in directory(now=now):
        first = first_bookable_start(doctor, now)
        assert doctor.next_available == first
        assert doctor.next_available is None or doctor.next_free_at == first


def test_seed_demo_has_the_front_desks_day(capsys):
    """No-shows, visits the desk booked on the phone, and a caller who has no
    account yet; the desk's own login, without superuser powers."""
    from appointments.models import Appointment

    call_command("seed_demo")
    desk = User.objects.get(email="desk@example.com")
    assert desk.is_staff and not desk.is_superuser
    assert desk.has_perm("appointments.work_front_desk")
    assert "desk@example.com" in capsys.readouterr().out
    walk_in = User.objects.unclaimed().get(email__isnull=True)
    assert Appointment.objects.filter(patient=walk_in, booked_by=desk).exists()
    assert Appointment.objects.filter(booked_by=desk).count() >= 2
    assert Appointment.objects.no_shows().count() >= 2


def test_seed_demo_prints_the_logins_last(capsys, settings):
    settings.SITE_URL = "http://127.0.0.1:8123"
    call_command("seed_demo")
    lines = capsys.readouterr().out.rstrip().splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith("Demo data ready")
    )
    assert lines[start] == "Demo data ready at http://127.0.0.1:8123. Log in with:"
    logins = lines[start + 1 :]
    assert logins and all(line.startswith("  ") for line in logins)
    assert any("staff@example.com" in line for line in logins)
    assert any("demo-patient-password" in line for line in logins)

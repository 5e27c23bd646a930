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

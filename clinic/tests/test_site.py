import datetime as dt
import os
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path
from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.test import override_settings
from django.urls import reverse

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_home_page_offers_search_and_sign_up(client):
    response = client.get(reverse("home"))
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "<title>Find a doctor and book a visit · Clinic</title>" in body
    assert 'name="q"' in body
    assert reverse("account_signup") in body
    assert 'href="#content"' in body  # skip link


def test_healthz_reports_database_and_cache(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_healthz_is_503_when_the_database_is_down(client):
    # Patched on the class: the check runs in a thread of its own.
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute",
        side_effect=OperationalError("no server"),
    ):
        response = client.get(reverse("healthz"))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"status": "error", "database": "error", "cache": "ok"}


def test_healthz_is_200_degraded_when_the_cache_is_down(client, settings):
    """The site works without its cache (clinic/cache.py), so no 503 for it."""
    settings.CACHES = {
        "default": {
            "BACKEND": "clinic.cache.FallbackRedisCache",
            "LOCATION": "redis://127.0.0.1:8269/0",  # nothing listens there
        }
    }
    response = client.get(reverse("healthz"))
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "degraded",
    }


def test_unknown_page_renders_the_site_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "Page not found" in response.content.decode()


@override_settings(DEBUG=False)
def test_server_error_page_renders_without_context(rf):
    from clinic.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert b"Something went wrong" in response.content


def test_ratelimited_view_renders_429(rf):
    from django_ratelimit.exceptions import Ratelimited

    from clinic.views import ratelimited

    request = rf.post("/")
    request.user = UserFactory()
    response = ratelimited(request, Ratelimited())
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert b"Too many requests" in response.content


def test_pages_show_times_in_the_viewers_time_zone(client):
    joined = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    tokyo = UserFactory(timezone="Asia/Tokyo", date_joined=joined)
    client.force_login(tokyo)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert "Wed 1 Jul 2026, 21:00" in body  # 12:00 UTC is 21:00 in Tokyo
    assert "Times shown in Asia/Tokyo" in body

    client.force_login(UserFactory(timezone="America/New_York", date_joined=joined))
    assert (
        "Wed 1 Jul 2026, 08:00"
        in client.get(reverse("accounts:profile")).content.decode()
    )


@pytest.mark.parametrize("redis_url", ["", "redis://127.0.0.1:6379/0"])
def test_check_deploy_is_clean_with_production_settings(tmp_path, redis_url):
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"}
    }
    env.update(
        DEBUG="false",
        SECRET_KEY="p" * 20 + "-production-like-secret-key-for-the-deploy-check",
        ALLOWED_HOSTS="clinic.example.com",
        DJANGO_SETTINGS_MODULE="clinic.settings",
        REDIS_URL=redis_url,  # the check only reads the setting
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["manage.py", "check", "--deploy"],
        ["-c", "import clinic.wsgi"],  # what gunicorn and runserver load
        ["-c", "import clinic.asgi"],
    ],
)
def test_production_settings_refuse_to_start_without_a_secret_key(command):
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stdout + result.stderr


def test_commands_that_only_read_the_models_run_without_the_secrets():
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "JWT_PRIVATE_KEY", "JWT_PRIVATE_KEY_FILE"}
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def test_htmx_swaps_the_error_fragments_but_not_other_error_pages(client):
    import json
    import re

    body = client.get(reverse("home")).content.decode()
    config = json.loads(re.search(r"name=\"htmx-config\" content='([^']+)'", body)[1])

    def first_rule(status: str) -> dict:
        return next(
            rule
            for rule in config["responseHandling"]
            if re.search(rule["code"], status)
        )

    for status in ("400", "409", "429", "200"):
        assert first_rule(status)["swap"] is True, status
    for status in ("204", "403", "404", "500"):
        assert first_rule(status)["swap"] is False, status


def test_no_template_comment_leaks_into_the_page(client):
    body = client.get(reverse("home")).content.decode()
    assert "{#" not in body
    assert "{%" not in body

"""When a dependency fails: Redis down or PostgreSQL hung or gone, and bodies too
large or too deep to parse. Never a 500."""

import datetime as dt
import json
import logging
import shutil
import socket
import subprocess
import threading
import time
from http import HTTPStatus

import pytest
import redis
from allauth.account.models import EmailAddress
from django.db import OperationalError, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import clinic.cache
import clinic.views
from accounts.tests.api import ApiClient
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from appointments.models import Appointment
from appointments.tests.factories import SlotFactory
from doctors.models import Follow
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

PORTS = range(8250, 8270)  # this project's throwaway listeners


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8250-8269")


@pytest.fixture
def redis_server():
    """A throwaway redis-server of our own, killed by the test when it wants."""
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 5
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    process.url = url
    yield process
    process.kill()
    process.wait()
    clinic.cache._outages.clear()


@pytest.fixture
def redis_cache(settings, redis_server):
    settings.CACHES = {
        "default": {
            "BACKEND": "clinic.cache.FallbackRedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    return redis_server


def free_slot(doctor, hours: float = 48):
    start = (timezone.now() + dt.timedelta(hours=hours)).replace(
        second=0, microsecond=0
    )
    return SlotFactory(
        doctor=doctor, starts_at=start, ends_at=start + dt.timedelta(minutes=30)
    )


def verified(user):
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    return user


def test_with_redis_killed_mid_use_nothing_answers_5xx(redis_cache, caplog):
    patient = verified(UserFactory())
    doctor = DoctorProfileFactory()
    pages = Client(raise_request_exception=False)
    pages.force_login(patient)
    api = ApiClient(patient, raise_request_exception=False)
    follow = reverse("doctors:follow", args=[doctor.slug])

    assert pages.post(follow).status_code == HTTPStatus.FOUND
    assert redis.Redis.from_url(redis_cache.url).keys("*rl:*")  # counted in Redis

    redis_cache.kill()
    redis_cache.wait()
    caplog.set_level(logging.WARNING, logger="clinic.cache")

    slot, other_slot = free_slot(doctor), free_slot(DoctorProfileFactory(), hours=72)
    notification = NotificationFactory(recipient=patient)
    answers = {
        "hold (page)": pages.post(reverse("appointments:hold", args=[slot.pk])),
        "book (page)": pages.post(
            reverse("appointments:confirm", args=[slot.pk]),
            {"reason": "A cough that will not go"},
        ),
        "book (API)": api.post(
            "/api/v1/appointments/",
            {"slot": other_slot.pk, "reason": "A cough that will not go"},
        ),
        "unfollow (page)": pages.post(reverse("doctors:unfollow", args=[doctor.slug])),
        "follow (API)": api.post(f"/api/v1/doctors/{doctor.slug}/follow/"),
        "read one (page)": pages.post(
            reverse("notifications:open", args=[notification.pk])
        ),
        "read all (API)": api.post("/api/v1/notifications/read-all/"),
        "read all (page)": pages.post(reverse("notifications:mark_all_read")),
        "login page": Client(raise_request_exception=False).post(
            reverse("account_login"),
            {"login": patient.email, "password": DEFAULT_PASSWORD},
        ),
        "login (headless)": Client(raise_request_exception=False).post(
            "/_allauth/app/v1/auth/login",
            {"email": patient.email, "password": DEFAULT_PASSWORD},
            content_type="application/json",
        ),
        "healthz": Client().get("/healthz"),
    }

    failed = {
        name: r.status_code for name, r in answers.items() if r.status_code >= 500
    }
    assert failed == {}
    assert answers["login page"].status_code == HTTPStatus.FOUND  # logged in
    assert answers["login (headless)"].status_code == HTTPStatus.OK
    assert Appointment.objects.filter(patient=patient).count() == 2
    assert Follow.objects.filter(patient=patient).exists()  # unfollowed, followed
    assert not Notification.objects.filter(recipient=patient, read_at=None).exists()
    assert answers["healthz"].json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "degraded",
    }
    # Said once per outage, not once per request.
    warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(warnings) == 1


def test_with_redis_down_the_login_limit_still_counts_in_this_process(
    redis_cache, settings
):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS}
    settings.ACCOUNT_RATE_LIMITS["login_failed"] = "3/m/key"
    patient = verified(UserFactory())
    redis_cache.kill()
    redis_cache.wait()

    client = Client(raise_request_exception=False)
    for _ in range(3):
        response = client.post(
            "/_allauth/app/v1/auth/login",
            {"email": patient.email, "password": "not the password"},
            content_type="application/json",
        )
        assert response.json()["errors"][0]["code"] == "email_password_mismatch"
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": patient.email, "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"][0]["code"] == "too_many_login_attempts"


def test_redis_is_tried_again_after_the_outage(redis_cache, settings):
    from django.core.cache import cache

    cache.set("before", 1)
    redis_cache.kill()
    redis_cache.wait()
    cache.set("during", 2)  # kept in this process meanwhile
    assert cache.get("during") == 2
    assert cache.reachable() is False


# --- the database -------------------------------------------------------------------


@pytest.fixture
def hung_database(monkeypatch):
    """A TCP listener that accepts and never answers, as a hung PostgreSQL does,
    wired in as the database the health check asks."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", free_port()))
    listener.listen()
    accepted = []
    stop = threading.Event()

    def accept_and_say_nothing():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept_and_say_nothing, daemon=True)
    thread.start()
    settings_dict = {
        **connections.settings["default"],
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "clinic",
        "USER": "clinic",
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": str(listener.getsockname()[1]),
        "OPTIONS": {"connect_timeout": 3},
        "CONN_MAX_AGE": 0,
    }

    class HungConnection(threading.local):
        """One connection per thread to the listener, as django.db.connection is."""

        def __getattr__(self, name):
            if "wrapper" not in self.__dict__:
                from django.db.backends.postgresql.base import DatabaseWrapper

                self.wrapper = DatabaseWrapper(settings_dict, alias="hung")
            return getattr(self.wrapper, name)

    monkeypatch.setattr("clinic.views.connection", HungConnection())
    yield accepted
    # Let the health check's thread give up on the listener before the next test.
    clinic.views._health_checker.submit(lambda: None).result()
    stop.set()
    thread.join()
    for peer in accepted:
        peer.close()
    listener.close()


def test_healthz_answers_503_within_2_seconds_when_the_database_hangs(
    client, hung_database
):
    client.get("/robots.txt")  # the first request of a process loads every URLconf
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["database"] == "timeout"
    assert elapsed < 2
    assert hung_database  # it really connected and waited


def test_healthz_is_200_when_all_is_well(client):
    response = client.get("/healthz")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def database_gone(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1 failed")


def test_database_down_mid_booking_is_a_styled_503_and_nothing_is_written(
    client, patient, doctor, monkeypatch
):
    """The appointment row is written, then the database goes: the whole booking
    is rolled back and the page says so with a 503."""
    client.raise_request_exception = False
    client.force_login(patient)
    slot = free_slot(doctor)
    monkeypatch.setattr("appointments.notices.notify", database_gone)

    response = client.post(
        reverse("appointments:confirm", args=[slot.pk]),
        {"reason": "A cough that will not go"},
    )

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"] == "30"
    assert b"briefly unavailable" in response.content
    assert not Appointment.objects.exists()
    slot.refresh_from_db()
    assert not slot.is_booked


def test_database_down_in_middleware_is_a_503_page_too(client, patient, monkeypatch):
    client.raise_request_exception = False
    client.force_login(patient)
    # Whichever session store is on (cached_db with Redis): its load fails.
    for engine in ("db", "cached_db"):
        monkeypatch.setattr(
            f"django.contrib.sessions.backends.{engine}.SessionStore.load",
            database_gone,
        )
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert b"briefly unavailable" in response.content


def test_database_down_on_the_api_is_a_json_503_with_retry_after(
    patient, doctor, monkeypatch
):
    api = ApiClient(patient, raise_request_exception=False)
    slot = free_slot(doctor)
    monkeypatch.setattr("appointments.notices.notify", database_gone)

    response = api.post(
        "/api/v1/appointments/", {"slot": slot.pk, "reason": "A cough that will not go"}
    )

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"] == "30"
    assert response.json()["errors"][0]["code"] == "service_unavailable"
    assert not Appointment.objects.exists()


def test_database_timeouts_come_from_settings(settings):
    from django.conf import settings as live

    assert live.DATABASE_CONNECT_TIMEOUT == 3
    assert live.DATABASE_STATEMENT_TIMEOUT == 15
    assert live.DATABASE_LOCK_TIMEOUT == 5


@pytest.mark.postgres
def test_postgres_connections_carry_the_statement_and_lock_timeouts():
    with connections["default"].cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("15s",)
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone() == ("5s",)


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_prepares_a_statement_a_connection_runs_often():
    """PostgreSQL plans a query a connection keeps running once, not every time.
    A connection of its own: prepared statements belong to one session."""
    connection = connections.create_connection("default")
    try:
        with connection.cursor() as cursor:
            for _ in range(6):
                cursor.execute(
                    "SELECT id FROM doctors_specialization WHERE slug = %s",
                    ["cardiology"],
                )
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            prepared = [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()
    assert prepared == ["SELECT id FROM doctors_specialization WHERE slug = $1"]


# --- bodies too large or too deep ---------------------------------------------------

SEVEN_MB = json.dumps({"reason": "x" * (7 * 1024 * 1024)})
DEEP = "[" * 100_000


def raw_post(client, path, body, content_type="application/json"):
    return client.post(path, body, content_type=content_type)


@pytest.mark.parametrize(
    "path", ["/_allauth/app/v1/auth/login", "/_allauth/app/v1/auth/signup"]
)
@pytest.mark.parametrize(
    ("body", "status"),
    [(SEVEN_MB, HTTPStatus.REQUEST_ENTITY_TOO_LARGE), (DEEP, HTTPStatus.BAD_REQUEST)],
    ids=["7MB", "deep"],
)
def test_anonymous_headless_bodies_too_big_or_deep_are_json_4xx(path, body, status):
    client = Client(raise_request_exception=False)
    response = raw_post(client, path, body)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == status


@pytest.mark.parametrize(
    ("body", "status"),
    [(SEVEN_MB, HTTPStatus.REQUEST_ENTITY_TOO_LARGE), (DEEP, HTTPStatus.BAD_REQUEST)],
    ids=["7MB", "deep"],
)
def test_headless_refresh_with_a_huge_or_deep_body_is_json_4xx(body, status):
    client = Client(raise_request_exception=False)
    response = raw_post(client, "/_allauth/app/v1/tokens/refresh", body)
    assert response.status_code == status
    assert response.json()["status"] == status


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (SEVEN_MB, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request_too_large"),
        (DEEP, HTTPStatus.BAD_REQUEST, "parse_error"),
    ],
    ids=["7MB", "deep"],
)
def test_api_bodies_too_big_or_deep_are_the_apis_error_shape(
    patient, body, status, code
):
    api = ApiClient(patient, raise_request_exception=False)
    response = raw_post(api, "/api/v1/appointments/", body)
    assert response.status_code == status
    assert response.json()["errors"][0]["code"] == code


def test_a_7_mb_form_post_to_a_page_is_a_413_page(patient_client):
    patient_client.raise_request_exception = False
    response = patient_client.post(
        reverse("accounts:profile"),
        "full_name=" + "x" * (7 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert b"too much to send" in response.content

"""JSON API throughput (issue 10): the directory and a doctor's free slots over
/api/v1/, beside a bare DRF endpoint returning {"ok": true}, in one run.

    python bench/api.py            # or: make bench-api

Uses DATABASE_URL (default: the local PostgreSQL database clinic_bench_api,
created if missing) and REDIS_URL (default redis://127.0.0.1:6379/10). Then:

1. fills 300 approved doctors (bench rows only; earlier ones are removed first),
   one of them with 30 days of 30-minute slots, 9:00-17:00;
2. starts `gunicorn clinic.wsgi` (production settings, BENCH_WORKERS sync workers,
   default 4) on 127.0.0.1:8107 with BENCH_API_PING=true, which mounts the
   baseline /api/bench/ping/ (a DRF APIView: no auth, no database, {"ok": true};
   never mounted otherwise);
3. for each endpoint: a warm-up, then BENCH_SECONDS (default 10) of requests from
   BENCH_CLIENTS (default 8) keep-alive connections, all to 127.0.0.1, in 5 rounds
   taking the endpoints in turn (so a drifting machine load hits all alike);
4. prints requests/s, median and p95 latency per endpoint, and each endpoint's
   share of the baseline's rate; stops gunicorn. Exit status 1 on any non-200.

Endpoints: the bare baseline; GET /api/v1/doctors/ (first page of 20, default sort,
one query for the page + count + the filter's choices); GET /api/v1/doctors/
?available_within=7&sort=next_available; GET /api/v1/doctors/<slug>/slots/ (7 days);
GET /api/v1/me/ with a Bearer JWT (stateful validation: one session lookup).
"""

import datetime as dt
import http.client
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import _common

_common.configure(database="clinic_bench_api", redis_db=10, host="127.0.0.1")
os.environ["BENCH_API_PING"] = "true"

HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_PORT", "8107"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = 5
DOCTORS = 300
MARK = "bench-api"
PASSWORD = "bench-api-password-" + secrets.token_urlsafe(8)


def fill() -> tuple[str, str]:
    """Bench doctors, slots and one patient. Returns (doctor slug, patient email)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Role, User
    from appointments.models import Slot
    from appointments.schedule import refresh_stale_next_free
    from doctors.models import DoctorProfile, Specialization

    with transaction.atomic():
        Slot.objects.filter(doctor__slug__startswith=f"{MARK}-").delete()
        DoctorProfile.objects.filter(slug__startswith=f"{MARK}-").delete()
        User.objects.filter(email__endswith=f"@{MARK}.example").delete()
        specializations = [
            Specialization.objects.get_or_create(
                slug=f"{MARK}-{n}", defaults={"name": f"Bench specialty {n}"}
            )[0]
            for n in range(8)
        ]
        users = User.objects.bulk_create(
            User(email=f"doctor{n}@{MARK}.example", full_name=f"Bench Doctor {n:03d}")
            for n in range(DOCTORS)
        )
        doctors = DoctorProfile.objects.bulk_create(
            _common.bench_doctor(
                user,
                n,
                prefix=MARK,
                specialization=specializations[n % len(specializations)],
                years_of_experience=n % 40,
                city=f"City {n % 12}",
                consultation_fee=50 + n % 50,
                followers_count=n % 17,
            )
            for n, user in enumerate(users)
        )
        today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        Slot.objects.bulk_create(
            Slot(
                doctor=doctors[0],
                starts_at=today + dt.timedelta(days=day, hours=9, minutes=30 * n),
                ends_at=today + dt.timedelta(days=day, hours=9, minutes=30 * n + 30),
            )
            for day in range(1, 31)
            for n in range(16)
        )
        # As regeneration and the refresh_next_free cron would have.
        refresh_stale_next_free()
        patient = User.objects.create_user(
            email=f"patient@{MARK}.example", password=PASSWORD, full_name="Bench P"
        )
        patient.groups.add(Group.objects.get_or_create(name=Role.PATIENT)[0])
        EmailAddress.objects.create(
            user=patient, email=patient.email, verified=True, primary=True
        )
    return doctors[0].slug, patient.email


def request(connection, method: str, path: str, body=None, headers=None):
    connection.request(method, path, body, headers or {})
    response = connection.getresponse()
    return response.status, response.read()


def access_token(email: str) -> str:
    connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
    status, body = request(
        connection,
        "POST",
        "/_allauth/app/v1/auth/login",
        json.dumps({"email": email, "password": PASSWORD}),
        {"Content-Type": "application/json"},
    )
    if status != 200:
        sys.exit(f"login failed: {status} {body[:200]!r}")
    return json.loads(body)["meta"]["access_token"]


def warm_up(path: str, headers: dict | None = None) -> None:
    connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
    for _ in range(20):
        status, body = request(connection, "GET", path, headers=headers)
        if status != 200:
            sys.exit(f"GET {path}: {status} {body[:300]!r}")


def burst(path: str, headers: dict | None, seconds: float) -> tuple[list, int, float]:
    """CLIENTS keep-alive connections GET `path` for `seconds`.
    Returns (latencies in s, failures, wall seconds)."""
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    failures = [0] * CLIENTS
    stop_at = time.perf_counter() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                status, _body = request(connection, "GET", path, headers=headers)
            except OSError:
                status = 0
                connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
            if status != 200:
                failures[index] += 1
            latencies[index].append(time.perf_counter() - started)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return [t for per_client in latencies for t in per_client], sum(failures), wall


def measure(endpoints: list[tuple[str, str, dict | None]]) -> list[tuple[str, dict]]:
    """Every endpoint in turn, ROUNDS times (SECONDS in all each): the machine's
    load, which drifts, weighs on all of them alike, so their ratios hold."""
    for _title, path, headers in endpoints:
        warm_up(path, headers)
    totals = {title: ([], 0, 0.0) for title, _path, _headers in endpoints}
    for _round in range(ROUNDS):
        for title, path, headers in endpoints:
            times, failures, wall = burst(path, headers, SECONDS / ROUNDS)
            before = totals[title]
            totals[title] = (before[0] + times, before[1] + failures, before[2] + wall)
    results = []
    for title, (times, failures, wall) in totals.items():
        every = sorted(t * 1000 for t in times)
        results.append(
            (
                title,
                {
                    "rps": len(every) / wall,
                    "median": statistics.median(every),
                    "p95": statistics.quantiles(every, n=20)[-1],
                    "failures": failures,
                },
            )
        )
    return results


def main() -> None:
    _common.setup_django(collectstatic=True)
    slug, email = fill()
    log_path = Path(tempfile.gettempdir()) / "clinic-bench-api-gunicorn.log"
    print(
        f"gunicorn clinic.wsgi: {WORKERS} workers on {HOST}:{PORT}, PostgreSQL "
        f"{os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}, Redis "
        f"{os.environ['REDIS_URL']}; {CLIENTS} clients x {SECONDS:.0f} s each"
    )
    process = _common.start_gunicorn(
        host=HOST, port=PORT, workers=WORKERS, log_path=log_path
    )
    try:
        token = access_token(email)
        bearer = {"Authorization": f"Bearer {token}"}
        today = dt.datetime.now(dt.UTC).date()
        week = f"from={today + dt.timedelta(days=1)}&to={today + dt.timedelta(days=7)}"
        endpoints = [
            ("bare DRF {'ok': true} (baseline)", "/api/bench/ping/", None),
            ("directory, first page", "/api/v1/doctors/", None),
            (
                "directory, available in 7 days, next-available sort",
                "/api/v1/doctors/?available_within=7&sort=next_available",
                None,
            ),
            (
                "a doctor's free slots, 7 days",
                f"/api/v1/doctors/{slug}/slots/?{week}",
                None,
            ),
            ("my profile with a Bearer JWT", "/api/v1/me/", bearer),
        ]
        results = measure(endpoints)
    finally:
        _common.stop_gunicorn(process)
    baseline = results[0][1]["rps"]
    print(f"\n{'endpoint':<55} {'req/s':>7} {'median':>8} {'p95':>8} {'of bare':>8}")
    for title, figures in results:
        print(
            f"{title:<55} {figures['rps']:>7.0f} {figures['median']:>6.1f}ms "
            f"{figures['p95']:>6.1f}ms {figures['rps'] / baseline:>7.0%}"
        )
    failed = sum(figures["failures"] for _, figures in results)
    if failed:
        print(f"\n{failed} requests did not answer 200")
        sys.exit(1)


if __name__ == "__main__":
    main()

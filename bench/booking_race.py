"""The double-booking race over HTTP (issue 6): gunicorn, several workers, PostgreSQL.

    python bench/booking_race.py            # or: make bench-booking

Uses DATABASE_URL (default: the local PostgreSQL database clinic_bench_booking,
created if missing) and REDIS_URL (default redis://127.0.0.1:6379/9) so the
rate-limit counters are shared by the workers, as in production. Then:

1. creates bench doctors, 550 patients with signed-in sessions, one contested slot
   and 500 free slots (all earlier bench rows are removed first);
2. starts `gunicorn clinic.wsgi` (production settings, 4 sync workers) on
   127.0.0.1:8104 and waits for /healthz;
3. fires 50 concurrent booking requests (POST /slots/<id>/book/, the confirmation
   form) at the one slot, then 500 requests at 500 distinct slots, 50 at a time —
   every request to 127.0.0.1 only;
4. prints the winners per slot (must be 1), errors (must be 0: anything but a 302
   "booked" or a 409 "just taken"), and bookings per second; stops gunicorn.

Each bench patient books once, so the default per-user booking rate limit
(BOOKING_RATE_LIMIT, 10/m) stays on and is not what is measured. Exit status 1
when an invariant breaks.
"""

import datetime as dt
import http.client
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import _common

# Redis so the rate-limit counters are shared by the workers, as in production.
_common.configure(database="clinic_bench_booking", redis_db=9, host="127.0.0.1")

HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_PORT", "8104"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
CONTENDERS = 50
DISTINCT = 500
CONCURRENCY = 50
MARK = "bench-booking"


def fill():
    """Doctors, patients with sessions, the contested slot and the distinct ones."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from appointments.models import Appointment, AppointmentEvent, Slot
    from doctors.models import DoctorProfile, Specialization
    from notifications.models import Notification

    with transaction.atomic():
        bench_users = User.objects.filter(email__endswith=f"@{MARK}.example")
        Notification.objects.filter(recipient__in=bench_users).delete()
        AppointmentEvent.objects.filter(appointment__patient__in=bench_users).delete()
        Appointment.objects.filter(patient__in=bench_users).delete()
        Slot.objects.filter(doctor__slug__startswith=f"{MARK}-").delete()
        DoctorProfile.objects.filter(slug__startswith=f"{MARK}-").delete()
        bench_users.delete()
        specialization, _ = Specialization.objects.get_or_create(
            slug="bench-general", defaults={"name": "Bench general"}
        )
        doctor_users = User.objects.bulk_create(
            User(email=f"doctor{n}@{MARK}.example", full_name=f"Bench Doctor {n}")
            for n in range(10)
        )
        doctors = DoctorProfile.objects.bulk_create(
            _common.bench_doctor(
                user,
                n,
                prefix=MARK,
                specialization=specialization,
                booking_horizon=dt.timedelta(days=90),
            )
            for n, user in enumerate(doctor_users)
        )
        patients = User.objects.bulk_create(
            User(
                email=f"patient{n}@{MARK}.example",
                full_name=f"Bench Patient {n}",
                password="!",  # unusable; they are signed in by session below
            )
            for n in range(CONTENDERS + DISTINCT)
        )
        first = (timezone.now() + dt.timedelta(days=2)).replace(
            minute=0, second=0, microsecond=0
        )
        # 50 slots per doctor, 30 minutes apart (no per-patient rule trips:
        # every patient books once).
        slots = Slot.objects.bulk_create(
            Slot(
                doctor=doctors[n % len(doctors)],
                starts_at=first + dt.timedelta(minutes=30 * (n // len(doctors))),
                ends_at=first + dt.timedelta(minutes=30 * (n // len(doctors)) + 30),
            )
            for n in range(DISTINCT + 1)
        )
    sessions = [_common.session_key(patient) for patient in patients]
    contested, distinct = slots[0], slots[1:]
    return sessions[:CONTENDERS], sessions[CONTENDERS:], contested, distinct


def post_booking(
    session_key: str, slot_id: int, *, hold_first: bool = False
) -> tuple[int, float]:
    """One signed-in patient submits the confirmation form (after holding the slot,
    as the pages do, with `hold_first`). (status, seconds)

    302 to /appointments/ is a booking, 409 "just taken"; anything else is an
    error (0: no answer, -302: redirected elsewhere, e.g. to the login page)."""
    csrf = secrets.token_hex(16)  # 32 characters: a valid unmasked secret
    body = urllib.parse.urlencode(
        {"reason": "Bench booking: persistent cough", "csrfmiddlewaretoken": csrf}
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"sessionid={session_key}; csrftoken={csrf}",
        "Referer": f"http://{HOST}:{PORT}/",
    }
    started = time.perf_counter()
    try:
        connection = http.client.HTTPConnection(HOST, PORT, timeout=60)
        if hold_first:
            hold = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf})
            connection.request("POST", f"/slots/{slot_id}/hold/", hold, headers)
            response = connection.getresponse()
            response.read()
            if response.status == 409:  # taken: the confirmation is never shown
                return 409, time.perf_counter() - started
            if response.status != 302 or not response.getheader(
                "Location", ""
            ).endswith(f"/slots/{slot_id}/book/"):
                return -response.status, time.perf_counter() - started
        connection.request("POST", f"/slots/{slot_id}/book/", body, headers)
        response = connection.getresponse()
        response.read()
        status = response.status
        # A redirect anywhere but "My appointments" (the login page) is no booking.
        if status == 302 and response.getheader("Location") != "/appointments/":
            status = -302
        connection.close()
    except OSError:
        status = 0
    return status, time.perf_counter() - started


def fire(jobs: list[tuple[str, int]], concurrency: int, *, hold_first=False):
    """Run the requests `concurrency` at a time, released together by a barrier
    when there are exactly that many. Returns (results, wall seconds)."""
    barrier = threading.Barrier(min(concurrency, len(jobs)))

    def run(job):
        if len(jobs) <= concurrency:
            barrier.wait(timeout=30)
        return post_booking(*job, hold_first=hold_first)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(run, jobs))
    return results, time.perf_counter() - started


def report(title: str, results, wall: float, slot_ids: list[int]) -> bool:
    from appointments.models import Appointment

    statuses = Counter(status for status, _ in results)
    booked = statuses.get(302, 0)
    errors = sum(n for status, n in statuses.items() if status not in (302, 409))
    winners = Counter(
        Appointment.objects.active()
        .filter(slot_id__in=slot_ids)
        .values_list("slot_id", flat=True)
    )
    most = max(winners.values(), default=0)
    latencies = sorted(seconds * 1000 for _, seconds in results)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(f"\n{title}")
    print(f"   responses:        {dict(sorted(statuses.items()))}")
    print(
        f"   winners per slot: max {most} "
        f"({len(winners)} of {len(slot_ids)} slots booked)"
    )
    print(f"   errors:           {errors}")
    print(
        f"   requests/s:       {len(results) / wall:.0f}  ({len(results)} answered in "
        f"{wall:.2f} s; latency median {statistics.median(latencies):.0f} ms, "
        f"p95 {p95:.0f} ms)"
    )
    print(f"   bookings/s:       {booked / wall:.0f}")
    return most <= 1 and errors == 0 and booked == len(winners) and len(winners) > 0


def main() -> None:
    _common.setup_django(collectstatic=True)
    contenders, patients, contested, distinct = fill()
    log_path = Path(tempfile.gettempdir()) / "clinic-bench-booking-gunicorn.log"
    print(
        f"gunicorn clinic.wsgi: {WORKERS} workers on {HOST}:{PORT}, "
        f"PostgreSQL {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}, "
        f"Redis {os.environ['REDIS_URL']}"
    )
    process = _common.start_gunicorn(
        host=HOST,
        port=PORT,
        workers=WORKERS,
        log_path=log_path,
        extra=("--backlog", "512"),
    )
    try:
        results, wall = fire([(key, contested.pk) for key in contenders], CONTENDERS)
        ok_race = report(
            f"1. {CONTENDERS} patients at once for one slot",
            results,
            wall,
            [contested.pk],
        )
        jobs = [(key, slot.pk) for key, slot in zip(patients, distinct, strict=True)]
        results, wall = fire(jobs, CONCURRENCY)
        ok_spread = report(
            f"2. {DISTINCT} bookings of distinct slots, {CONCURRENCY} in flight",
            results,
            wall,
            [slot.pk for slot in distinct],
        )
    finally:
        _common.stop_gunicorn(process)
    print(f"\ngunicorn stopped (log: {log_path})")
    if not (ok_race and ok_spread):
        print("FAILED: an invariant broke (see above)")
        sys.exit(1)
    print("OK: one winner per slot, no errors")


if __name__ == "__main__":
    main()

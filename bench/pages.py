"""Every page beside a bare Django project, under gunicorn, side by side (issue 17).

    python bench/pages.py            # or: make bench
    python bench/pages.py --smoke    # tiny data, about a second per page (CI)
    python bench/pages.py --refill   # generate the data again

(Not bench/http.py: a script's directory comes first on sys.path, and a module
named http there would hide the standard library's from every bench script.)

Needs PostgreSQL, Redis and wrk (Debian: `apt-get install wrk`). Uses
BENCH_DATABASE_URL (default: the local PostgreSQL database clinic_speed_bench, or
clinic_speed_smoke with --smoke; created if missing; never DATABASE_URL) and
BENCH_REDIS_URL (default redis://127.0.0.1:6379/2). Then:

1. generates the data once (10,000 approved doctors, 10,000 patients, 100,000
   follows, 1,000,000 slots, 100,000 appointments, 50,000 reviews: Django's
   bulk_create for people, INSERT ... SELECT generate_series in PostgreSQL for the
   rest) and keeps it: a later run re-uses the database while its row counts and
   generation day still match;
2. starts `gunicorn clinic.wsgi` (production settings: DEBUG off, a throwaway
   SECRET_KEY and JWT key, 3 sync workers) on 127.0.0.1:BENCH_PORT (default 8310)
   and a bare Django project generated into a temporary directory (same venv,
   same gunicorn settings, same database) on BENCH_PORT + 1: `/ok` answers "ok",
   `/select` one SELECT by primary key over a persistent connection;
3. for every page, ROUNDS times: wrk -t2 -c32 for SECONDS on the bare `/select`,
   then on the page; the page's ratio is its req/s over the bare runs' req/s
   taken right before it, so the machine's drifting load weighs on both alike;
   booking (hold + confirm, distinct slots, bench/booking_race.py) the same way,
   plus one slot contested by 50 patients at once (1 winner, 0 errors);
4. prints the table and each gunicorn worker's memory (RSS) after the run, and
   stops everything it started by PID (also on Ctrl-C or an error). Exit status 1
   when a page answered anything but its expected status, or booking broke.

All requests go to 127.0.0.1. Not a timed test: the smoke run only proves the
harness still works.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import _common

HOST = "127.0.0.1"
PORT = int(os.environ.get("BENCH_PORT", "8310"))
BARE_PORT = PORT + 1
WORKERS = 3
THREADS, CONNECTIONS = 2, 32
MARK = "speed.example"  # bench users' email domain


@dataclass(frozen=True)
class Scale:
    doctors: int
    patients: int
    follows: int
    slots_per_doctor: int  # SLOTS_PER_DAY a day, from DAYS_BACK days ago on
    past_visits: int  # completed appointments per doctor, each reviewed
    upcoming_visits: int  # confirmed appointments per doctor
    seconds: float
    rounds: int
    distinct_bookings: int
    contenders: int

    @property
    def slots(self) -> int:
        return self.doctors * self.slots_per_doctor

    @property
    def appointments(self) -> int:
        return self.doctors * (self.past_visits + self.upcoming_visits)

    @property
    def reviews(self) -> int:
        return self.doctors * self.past_visits


FULL = Scale(
    doctors=10_000,
    patients=10_000,
    follows=100_000,
    slots_per_doctor=100,
    past_visits=5,
    upcoming_visits=5,
    seconds=float(os.environ.get("BENCH_SECONDS", "5")),
    rounds=int(os.environ.get("BENCH_ROUNDS", "2")),
    distinct_bookings=500,
    contenders=50,
)
SMOKE = Scale(
    doctors=40,
    patients=40,
    follows=200,
    slots_per_doctor=100,
    past_visits=5,
    upcoming_visits=5,
    seconds=1,
    rounds=1,
    distinct_bookings=20,
    contenders=5,
)
SLOTS_PER_DAY = 10
DAYS_BACK = 5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny data, ~1 s/page")
    parser.add_argument("--refill", action="store_true", help="generate data again")
    parser.add_argument(
        "--only", default="", help="measure only pages whose title contains this"
    )
    return parser.parse_args()


ARGS = (
    parse_args()
    if __name__ == "__main__"
    else argparse.Namespace(smoke=True, refill=False, only="")
)
SCALE = SMOKE if ARGS.smoke else FULL
DATABASE = "clinic_speed_smoke" if ARGS.smoke else "clinic_speed_bench"
if os.environ.get("BENCH_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
else:
    os.environ.pop("DATABASE_URL", None)  # never the app's own database
# A Redis database of the bench's own (the app's REDIS_URL is not used).
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
_common.configure(database=DATABASE, redis_db=2, host=HOST)
os.environ.setdefault("CONN_MAX_AGE", "600")
# booking_race reads these at import; its fill and requests are re-used below.
os.environ["BENCH_PORT"] = str(PORT)
import booking_race  # noqa: E402

# --- Data --------------------------------------------------------------------------


def counts() -> dict[str, int]:
    from django.db import connection

    queries = {
        "doctors": "SELECT count(*) FROM doctors_doctorprofile d JOIN accounts_user u"
        " ON u.id = d.user_id WHERE u.email LIKE 'doctor%%@{m}'",
        "patients": "SELECT count(*) FROM accounts_user WHERE email LIKE"
        " 'patient%%@{m}'",
        "follows": "SELECT count(*) FROM doctors_follow f JOIN accounts_user u"
        " ON u.id = f.patient_id WHERE u.email LIKE 'patient%%@{m}'",
        "slots": "SELECT count(*) FROM appointments_slot s JOIN doctors_doctorprofile"
        " d ON d.id = s.doctor_id WHERE d.slug LIKE 'speed-%%'",
        "appointments": "SELECT count(*) FROM appointments_appointment a JOIN"
        " doctors_doctorprofile d ON d.id = a.doctor_id WHERE d.slug LIKE 'speed-%%'",
        "reviews": "SELECT count(*) FROM reviews_review r JOIN doctors_doctorprofile"
        " d ON d.id = r.doctor_id WHERE d.slug LIKE 'speed-%%'",
    }
    with connection.cursor() as cursor:
        found = {}
        for name, sql in queries.items():
            cursor.execute(sql.format(m=MARK))
            found[name] = cursor.fetchone()[0]
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_generated (day date NOT NULL)")
        cursor.execute("SELECT max(day) FROM bench_generated")
        found["day"] = cursor.fetchone()[0]
    return found


def wanted() -> dict:
    return {
        "doctors": SCALE.doctors,
        "patients": SCALE.patients,
        "follows": SCALE.follows,
        "slots": SCALE.slots,
        "appointments": SCALE.appointments,
        "reviews": SCALE.reviews,
        "day": dt.datetime.now(dt.UTC).date(),
    }


def fill() -> None:
    """The bench rows, all new (earlier bench rows are removed first)."""
    from django.db import connection, transaction

    from accounts.models import User
    from appointments.schedule import refresh_stale_next_free
    from doctors.models import DoctorProfile, Specialization

    started = time.perf_counter()
    sql = connection.cursor()
    with transaction.atomic():
        doctors = "SELECT id FROM doctors_doctorprofile WHERE slug LIKE 'speed-%%'"
        users = f"SELECT id FROM accounts_user WHERE email LIKE '%%@{MARK}'"
        for statement in (
            f"DELETE FROM reviews_review WHERE doctor_id IN ({doctors})",
            "DELETE FROM appointments_appointmentevent WHERE appointment_id IN "
            f"(SELECT id FROM appointments_appointment WHERE doctor_id IN ({doctors})"
            f" OR patient_id IN ({users}))",
            f"DELETE FROM appointments_appointment WHERE doctor_id IN ({doctors})"
            f" OR patient_id IN ({users})",
            f"DELETE FROM appointments_slot WHERE doctor_id IN ({doctors})",
            f"DELETE FROM doctors_follow WHERE doctor_id IN ({doctors})"
            f" OR patient_id IN ({users})",
            "DELETE FROM doctors_doctorprofile_languages WHERE doctorprofile_id IN"
            f" ({doctors})",
            f"DELETE FROM notifications_notification WHERE recipient_id IN ({users})",
            "DELETE FROM django_session",
            f"DELETE FROM doctors_doctorprofile WHERE id IN ({doctors})",
            f"DELETE FROM account_emailaddress WHERE user_id IN ({users})",
            f"DELETE FROM accounts_user_groups WHERE user_id IN ({users})",
            f"DELETE FROM accounts_user WHERE id IN ({users})",
            "DELETE FROM bench_generated",
        ):
            sql.execute(statement)
        specializations = [
            Specialization.objects.get_or_create(
                slug=f"speed-{n}", defaults={"name": f"Specialty {n:02d}"}
            )[0]
            for n in range(25)
        ]
        doctor_users = User.objects.bulk_create(
            (
                User(
                    email=f"doctor{n}@{MARK}",
                    full_name=f"Doctor {n:05d}",
                    password="!",
                    timezone="Europe/Berlin",
                )
                for n in range(SCALE.doctors)
            ),
            batch_size=2000,
        )
        User.objects.bulk_create(
            (
                User(email=f"patient{n}@{MARK}", full_name=f"Patient {n:05d}")
                for n in range(SCALE.patients)
            ),
            batch_size=2000,
        )
        DoctorProfile.objects.bulk_create(
            (
                _common.bench_doctor(
                    user,
                    n,
                    prefix="speed",
                    specialization=specializations[n % len(specializations)],
                    years_of_experience=n % 40,
                    city=f"City {n % 30}",
                    consultation_fee=40 + n % 160,
                    timezone="Europe/Berlin",
                    auto_confirm=True,
                    booking_horizon=dt.timedelta(days=60),
                )
                for n, user in enumerate(doctor_users)
            ),
            batch_size=2000,
        )
        # Index tables: the n-th doctor and patient, for the generators below.
        sql.execute(
            "CREATE TEMP TABLE bd ON COMMIT DROP AS SELECT (row_number() OVER"
            " (ORDER BY d.id) - 1)::int AS n, d.id, d.user_id FROM"
            " doctors_doctorprofile d WHERE d.slug LIKE 'speed-%%'"
        )
        sql.execute(
            "CREATE TEMP TABLE bp ON COMMIT DROP AS SELECT (row_number() OVER"
            f" (ORDER BY id) - 1)::int AS n, id FROM accounts_user WHERE email LIKE"
            f" 'patient%%@{MARK}'"
        )
        sql.execute("CREATE INDEX ON bd (n)")
        sql.execute("CREATE INDEX ON bp (n)")
        sql.execute("SELECT setseed(0.17)")
        # Follows: popularity skewed like real life (a few doctors, most followers).
        while True:
            sql.execute(
                "SELECT count(*) FROM doctors_follow WHERE doctor_id IN (SELECT id"
                " FROM bd)"
            )
            missing = SCALE.follows - sql.fetchone()[0]
            if missing <= 0:
                break
            sql.execute(
                "INSERT INTO doctors_follow (patient_id, doctor_id, created_at)"
                " SELECT bp.id, bd.id, now() - (r.g %% 365) * interval '1 day' FROM"
                " (SELECT g, floor(random() * %s)::int AS p,"
                " floor(power(random(), 3) * %s)::int AS d"
                " FROM generate_series(1, %s) g) r"
                " JOIN bp ON bp.n = r.p JOIN bd ON bd.n = r.d"
                " ON CONFLICT DO NOTHING",
                [SCALE.patients, SCALE.doctors, missing],
            )
        sql.execute(
            "DELETE FROM doctors_follow WHERE id IN (SELECT id FROM doctors_follow"
            " WHERE doctor_id IN (SELECT id FROM bd) ORDER BY id DESC OFFSET %s)",
            [SCALE.follows],
        )
        # Slots: SLOTS_PER_DAY half-hours a day from 08:00 UTC, from DAYS_BACK
        # days ago on; the first past ones are visits, later ones free.
        days = SCALE.slots_per_doctor // SLOTS_PER_DAY
        sql.execute(
            "INSERT INTO appointments_slot (doctor_id, starts_at, ends_at, is_booked,"
            " outside_schedule) SELECT bd.id, t, t + interval '30 minutes', false,"
            " false FROM bd, generate_series(0, %s) day, generate_series(0, %s) k,"
            " LATERAL (SELECT date_trunc('day', now()) + (day - %s) * interval"
            " '1 day' + interval '8 hours' + k * interval '30 minutes' AS t) s",
            [days - 1, SLOTS_PER_DAY - 1, DAYS_BACK],
        )
        # Past visits: the first slot of each of the last days, completed;
        # upcoming ones: the second slot of today and the days after, confirmed.
        for status, first_day, count, k in (
            ("completed", -DAYS_BACK, SCALE.past_visits, 0),
            ("confirmed", 0, SCALE.upcoming_visits, 1),
        ):
            sql.execute(
                "INSERT INTO appointments_appointment (slot_id, doctor_id,"
                " patient_id, booked_by_id, starts_at, ends_at, reason, status,"
                " cancellation_reason, created_at, updated_at, time_set_at,"
                " calendar_sequence)"
                " SELECT s.id, bd.id, bp.id, bp.id, s.starts_at, s.ends_at,"
                " 'Bench visit', %s, '', now(), now(), now(), 0 FROM bd"
                " JOIN appointments_slot s ON s.doctor_id = bd.id"
                " JOIN bp ON bp.n = (bd.n * 7 + extract(doy FROM s.starts_at)::int)"
                " %% %s"
                " WHERE s.starts_at >= date_trunc('day', now()) + %s * interval"
                " '1 day' + interval '8 hours' + %s * interval '30 minutes'"
                " AND s.starts_at < date_trunc('day', now()) + %s * interval '1 day'"
                " AND s.starts_at::time = time '08:00' + %s * interval '30 minutes'",
                [status, SCALE.patients, first_day, k, first_day + count, k],
            )
        sql.execute(
            "UPDATE appointments_slot SET is_booked = true WHERE id IN (SELECT"
            " slot_id FROM appointments_appointment WHERE doctor_id IN"
            " (SELECT id FROM bd))"
        )
        sql.execute(
            "INSERT INTO reviews_review (appointment_id, doctor_id, patient_id,"
            " rating, comment, reply, is_hidden, hidden_reason, created_at,"
            " updated_at) SELECT a.id, a.doctor_id, a.patient_id,"
            " least(5, 1 + floor(power(random(), 0.4) * 5)::int), 'Kind and clear;"
            " explained everything.', '', false, '', a.ends_at, a.ends_at"
            " FROM appointments_appointment a WHERE a.status = 'completed' AND"
            " a.doctor_id IN (SELECT id FROM bd)"
        )
        sql.execute(
            "UPDATE doctors_doctorprofile d SET followers_count = c.n FROM (SELECT"
            " doctor_id, count(*) n FROM doctors_follow GROUP BY doctor_id) c"
            " WHERE c.doctor_id = d.id AND d.id IN (SELECT id FROM bd)"
        )
        sql.execute(
            "UPDATE doctors_doctorprofile d SET rating_avg = round(c.a, 2),"
            " rating_count = c.n FROM (SELECT doctor_id, avg(rating) a, count(*) n"
            " FROM reviews_review WHERE NOT is_hidden GROUP BY doctor_id) c"
            " WHERE c.doctor_id = d.id AND d.id IN (SELECT id FROM bd)"
        )
        sql.execute("INSERT INTO bench_generated (day) VALUES (current_date)")
    sql.execute("ANALYZE")
    refresh_stale_next_free()
    print(f"generated the data in {time.perf_counter() - started:.0f} s")


def ensure_data(refill: bool) -> None:
    found = counts()
    if not refill and found == wanted():
        print(f"re-using the data in {DATABASE}: {found}")
        return
    print(f"generating the data in {DATABASE} (found {found}, want {wanted()})")
    fill()
    found = counts()
    if found != wanted():
        sys.exit(f"generated {found}, wanted {wanted()}")


def sessions() -> dict[str, str]:
    """Signed-in session keys: a patient with visits, a doctor for their day."""
    from accounts.models import User

    patient = User.objects.get(email=f"patient0@{MARK}")
    doctor = User.objects.get(email=f"doctor0@{MARK}")
    return {
        "patient": _common.session_key(patient),
        "doctor": _common.session_key(doctor),
    }


# --- Processes ---------------------------------------------------------------------

BARE_SETTINGS = """\
SECRET_KEY = {secret!r}
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "bare_urls"
INSTALLED_APPS = []
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
DATABASES = {{"default": {{
    "ENGINE": "django.db.backends.postgresql",
    "NAME": {name!r}, "USER": {user!r}, "PASSWORD": {password!r},
    "HOST": {host!r}, "PORT": {port!r},
    "CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True,
}}}}
USE_TZ = True
"""
BARE_URLS = """\
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path


def ok(request):
    return HttpResponse("ok")


def select(request):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, slug FROM doctors_doctorprofile WHERE id = %s", [{pk}]
        )
        row = cursor.fetchone()
    return HttpResponse(row[1])


def healthz(request):
    return JsonResponse({{"status": "ok"}})


urlpatterns = [path("ok", ok), path("select", select), path("healthz", healthz)]
"""


def write_bare_project(directory: Path, doctor_pk: int) -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    (directory / "bare_settings.py").write_text(
        BARE_SETTINGS.format(
            secret=os.environ["SECRET_KEY"],
            name=db["NAME"],
            user=db["USER"],
            password=db["PASSWORD"],
            host=db["HOST"],
            port=str(db["PORT"] or 5432),
        )
    )
    (directory / "bare_urls.py").write_text(BARE_URLS.format(pk=doctor_pk))


def start_bare(directory: Path, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bare_settings"}
    env["PYTHONPATH"] = str(directory)
    saved = os.environ.copy()
    os.environ.clear()
    os.environ.update(env)
    try:
        return _common.start_gunicorn(
            host=HOST,
            port=BARE_PORT,
            workers=WORKERS,
            log_path=log_path,
            app="django.core.wsgi:get_wsgi_application()",
            cwd=directory,
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)


def worker_rss(master: subprocess.Popen) -> list[int]:
    """Resident memory (KiB) of each of the master's worker processes."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if int(fields.get("PPid", "0").strip()) == master.pid and "VmRSS" in fields:
            sizes.append(int(fields["VmRSS"].split()[0]))
    return sorted(sizes)


# --- wrk ---------------------------------------------------------------------------

LUA = """\
local paths = {{{paths}}}
local hx = {{{hx}}}
local cookie = {cookie}
local i = 0
request = function()
  i = i % #paths + 1
  local headers = {{}}
  if cookie ~= "" then headers["Cookie"] = cookie end
  if hx[i] then headers["HX-Request"] = "true" end
  return wrk.format("GET", paths[i], headers)
end
"""


@dataclass
class Page:
    title: str
    paths: list[tuple[str, bool]]  # (path, htmx?) taken in turn
    cookie: str = ""
    target: float | None = None
    status: int = 200  # what every path answers


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        sys.exit(
            "wrk is not installed: `apt-get install wrk` (Debian/Ubuntu), "
            "`brew install wrk` (macOS)."
        )
    return found


def run_wrk(port: int, page: Page, seconds: float, scripts: Path) -> dict:
    """wrk -t2 -c32 for `seconds`; req/s (page views: requests over len(paths)),
    average latency, and failures (non-2xx/3xx answers and socket errors)."""
    script = scripts / f"{abs(hash((page.title, port)))}.lua"
    script.write_text(
        LUA.format(
            paths=", ".join(json.dumps(p) for p, _hx in page.paths),
            hx=", ".join("true" if hx else "false" for _p, hx in page.paths),
            cookie=json.dumps(page.cookie),
        )
    )
    command = [
        wrk_path(),
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://{HOST}:{port}",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", out)
    avg_ms = (
        float(latency.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[latency.group(2)]
    )
    failures = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        failures += int(found.group(1))
    if found := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        failures += sum(int(n) for n in found.groups())
    return {"rps": rps / len(page.paths), "ms": avg_ms, "failures": failures}


def check_pages(pages: list[Page]) -> None:
    """Each path answers its status (never a redirect to the login page) before
    timing."""
    for page in pages:
        for path, hx in page.paths:
            connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
            headers = {"Cookie": page.cookie} if page.cookie else {}
            if hx:
                headers["HX-Request"] = "true"
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            location = response.getheader("Location") or ""
            if response.status != page.status or "/login/" in location:
                sys.exit(f"GET {path} ({page.title}): {response.status} {location}")


def measure(page: Page, bare: Page, scripts: Path) -> dict:
    """Bare /select, then the page, ROUNDS times; the ratio of their sums."""
    pages, bares = [], []
    if not ARGS.smoke:  # warm the page's caches once, untimed
        run_wrk(PORT, page, 1, scripts)
    for _round in range(SCALE.rounds):
        bares.append(run_wrk(BARE_PORT, bare, SCALE.seconds, scripts))
        pages.append(run_wrk(PORT, page, SCALE.seconds, scripts))
    rps = sum(r["rps"] for r in pages) / len(pages)
    bare_rps = sum(r["rps"] for r in bares) / len(bares)
    return {
        "rps": rps,
        "ms": sum(r["ms"] for r in pages) / len(pages),
        "bare": bare_rps,
        "ratio": rps / bare_rps,
        "failures": sum(r["failures"] for r in pages),
    }


def measure_booking(bare: Page, scripts: Path) -> tuple[dict, bool]:
    """Bare /select, then hold + confirm of distinct slots (booking_race's
    patients, one booking each), then one slot contested by many at once."""
    booking_race.CONTENDERS = SCALE.contenders
    booking_race.DISTINCT = SCALE.distinct_bookings
    contenders, patients, contested, distinct = booking_race.fill()
    bare_result = run_wrk(BARE_PORT, bare, SCALE.seconds, scripts)
    jobs = [(key, slot.pk) for key, slot in zip(patients, distinct, strict=True)]
    results, wall = booking_race.fire(jobs, CONNECTIONS, hold_first=True)
    ok_spread = booking_race.report(
        f"booking: {len(jobs)} hold + confirm of distinct slots, {CONNECTIONS} "
        "in flight",
        results,
        wall,
        [slot.pk for slot in distinct],
    )
    race, race_wall = booking_race.fire(
        [(key, contested.pk) for key in contenders], len(contenders), hold_first=True
    )
    ok_race = booking_race.report(
        f"booking: {len(contenders)} patients at once for one slot",
        race,
        race_wall,
        [contested.pk],
    )
    booked = sum(1 for status, _ in results if status == 302)
    latencies = [seconds * 1000 for _, seconds in results]
    rps = booked / wall
    figures = {
        "rps": rps,
        "ms": sum(latencies) / len(latencies),
        "bare": bare_result["rps"],
        "ratio": rps / bare_result["rps"],
        "failures": sum(1 for status, _ in results + race if status not in (302, 409)),
    }
    return figures, ok_spread and ok_race


# --- Main --------------------------------------------------------------------------


def pages_to_measure(keys: dict[str, str]) -> list[Page]:
    from appointments.models import Slot
    from doctors.models import DoctorProfile

    doctor = DoctorProfile.objects.get(slug="speed-0")
    specialization = doctor.specialization.slug
    assert Slot.objects.filter(doctor=doctor, is_booked=False).exists()
    slug = doctor.slug
    patient = f"sessionid={keys['patient']}"
    return [
        Page("home", [("/", False)], target=0.60),
        Page("/doctors/ anonymous, page 1", [("/doctors/", False)], target=0.35),
        Page("/doctors/?sort=rating", [("/doctors/?sort=rating", False)], target=0.35),
        Page(
            "/doctors/?specialization=…",
            [(f"/doctors/?specialization={specialization}", False)],
            target=0.35,
        ),
        Page(
            "/doctors/ signed in", [("/doctors/", False)], cookie=patient, target=0.25
        ),
        # Its slots and reviews panels are rendered in: one request shows them.
        Page(
            "a doctor's page with its 2 panels",
            [(f"/doctors/{slug}/", False)],
            target=0.35,
        ),
        Page("free slots fragment", [(f"/doctors/{slug}/slots/", True)], target=0.50),
        Page("reviews fragment", [(f"/doctors/{slug}/reviews/", True)]),
        Page(
            "API /api/v1/doctors/<slug>/slots/",
            [(f"/api/v1/doctors/{slug}/slots/", False)],
            target=0.50,
        ),
        Page(
            "/appointments/ (patient)",
            [("/appointments/", False)],
            cookie=patient,
            target=0.30,
        ),
        Page(
            "doctor's day /doctors/me/appointments/",
            [("/doctors/me/appointments/", False)],
            cookie=f"sessionid={keys['doctor']}",
            target=0.30,
        ),
        # No target: what any signed-in request costs at least (the middleware,
        # the session and user from Redis, two EXISTS), the floor under booking's
        # two POSTs.
        Page(
            "signed-in redirect /start/ (floor)",
            [("/start/", False)],
            cookie=patient,
            status=302,
        ),
    ]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    wrk_path()
    _common.setup_django(collectstatic=True)
    ensure_data(ARGS.refill)
    from doctors.models import DoctorProfile

    keys = sessions()
    doctor_pk = DoctorProfile.objects.get(slug="speed-0").pk
    pages = [page for page in pages_to_measure(keys) if ARGS.only in page.title]
    bare_ok = Page("bare /ok", [("/ok", False)])
    bare_select = Page("bare /select", [("/select", False)])
    workdir = Path(tempfile.mkdtemp(prefix="clinic-bench-http-"))
    write_bare_project(workdir, doctor_pk)
    processes: list[subprocess.Popen] = []

    def stop_all(*_args):
        for process in reversed(processes):
            _common.stop_gunicorn(process)
        processes.clear()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rows, failed, rss = [], False, {}
    print(
        f"gunicorn: {WORKERS} sync workers each, app on {HOST}:{PORT}, bare on "
        f"{HOST}:{BARE_PORT}; wrk -t{THREADS} -c{CONNECTIONS}, {SCALE.rounds} x "
        f"{SCALE.seconds:.0f} s per page after as many bare runs; "
        f"load average before: {load_average()}"
    )
    try:
        processes.append(
            _common.start_gunicorn(
                host=HOST,
                port=PORT,
                workers=WORKERS,
                log_path=workdir / "app-gunicorn.log",
            )
        )
        processes.append(start_bare(workdir, workdir / "bare-gunicorn.log"))
        check_pages(pages)
        scripts = workdir
        ok = run_wrk(BARE_PORT, bare_ok, SCALE.seconds, scripts)
        select = run_wrk(BARE_PORT, bare_select, SCALE.seconds, scripts)
        rows.append(("bare /ok", ok | {"ratio": ok["rps"] / select["rps"]}, None))
        rows.append(("bare /select", select | {"ratio": 1.0}, 1.0))
        for page in pages:
            figures = measure(page, bare_select, scripts)
            rows.append((page.title, figures, page.target))
            print(
                f"  {page.title}: {figures['rps']:.0f} req/s, "
                f"ratio {figures['ratio']:.2f}",
                flush=True,
            )
            failed |= figures["failures"] > 0
        if ARGS.only in "booking":
            booking, booking_ok = measure_booking(bare_select, scripts)
            rows.append(("booking (hold + confirm, distinct slots)", booking, 0.10))
            failed |= not booking_ok
        rss = {
            "app": worker_rss(processes[0]),
            "bare": worker_rss(processes[1]),
        }
    finally:
        stop_all()
        load = load_average()
    print(f"\nload average after: {load} (2 cores, shared)\n")
    print("| page | req/s | avg ms | ratio to bare /select | target | failures |")
    print("|---|---:|---:|---:|---:|---:|")
    for title, figures, target in rows:
        mark = ""
        if target is not None and figures["ratio"] < target:
            mark = " (below)"
        print(
            f"| {title} | {figures['rps']:,.0f} | {figures['ms']:.1f} | "
            f"{figures['ratio']:.2f}{mark} | "
            f"{'' if target is None else f'≥ {target:.2f}'} | "
            f"{figures.get('failures', 0)} |"
        )
    for name, sizes in rss.items():
        listed = ", ".join(f"{kib / 1024:.0f} MiB" for kib in sizes)
        print(f"\n{name} gunicorn workers' RSS after the run: {listed}", end="")
    print(f"\n\nall processes stopped; logs in {workdir}")
    if failed:
        print("FAILED: a page answered an error, or booking broke (see above)")
        sys.exit(1)


if __name__ == "__main__":
    main()

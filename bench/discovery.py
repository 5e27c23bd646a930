"""Benchmark the doctor directory at 10,000 doctors (issue 4).

    python bench/discovery.py            # fill once (if needed), then time
    python bench/discovery.py --refill   # drop the bench data and fill again
    python bench/discovery.py --stale    # time it with every stored next free
                                         # slot stale (no refresh_next_free cron)

Uses DATABASE_URL (default: the local PostgreSQL database clinic_bench_discovery,
created if missing). Fills 10,000 approved doctors across the specializations,
100,000 follows (popularity skewed like real life), languages, and free slots for
most doctors over the next two weeks, then requests the directory through
Django's test client with the most common search/filter/sort combinations and
prints the median and 95th percentile server time (view, SQL and template) per
combination. Targets: median < 30 ms, p95 < 60 ms. Before each combination it
does what the every-minute `refresh_next_free` cron does.
"""

import argparse
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import _common

_common.configure(database="clinic_bench_discovery", host="testserver")

DOCTORS = 10_000
PATIENTS = 5_000
FOLLOWS = 100_000
SLOT_DAYS = 14
REPEATS = 60

SPECIALIZATIONS = [
    "Allergy and Immunology", "Anesthesiology", "Cardiology", "Dermatology",
    "Endocrinology", "Family Medicine", "Gastroenterology", "General Surgery",
    "Geriatrics", "Gynecology", "Hematology", "Infectious Disease", "Nephrology",
    "Neurology", "Obstetrics", "Oncology", "Ophthalmology", "Orthopedics",
    "Otolaryngology", "Pediatrics", "Psychiatry", "Pulmonology", "Radiology",
    "Rheumatology", "Urology",
]  # fmt: skip
CITIES = [
    "Berlin", "Hamburg", "Munich", "Cologne", "Frankfurt", "Stuttgart", "Leipzig",
    "Dresden", "Vienna", "Zurich", "Paris", "Lyon", "Madrid", "Barcelona", "Lisbon",
    "Rome", "Milan", "Amsterdam", "Brussels", "Copenhagen", "Oslo", "Stockholm",
    "Warsaw", "Prague", "Budapest", "Dublin", "London", "Manchester", "Edinburgh",
    "Athens",
]  # fmt: skip
LANGUAGES = ["English", "German", "French", "Spanish", "Italian", "Portuguese",
             "Polish", "Turkish", "Arabic", "Russian"]  # fmt: skip
KINDS = ["Clinic", "Practice", "Health Centre"]
FIRST = ["Ada", "Ben", "Chloe", "David", "Elena", "Farid", "Greta", "Hugo", "Ines",
         "Jonas", "Kira", "Luca", "Mara", "Nils", "Olga", "Paul", "Rosa", "Sami",
         "Tara", "Umut", "Vera", "Wim", "Yara", "Zoe"]  # fmt: skip
LAST = ["Lee", "Müller", "Schmidt", "Dubois", "García", "Rossi", "Novak", "Jensen",
        "Costa", "Kaya", "Nowak", "Smith", "Brown", "Weber", "Fischer", "Martin",
        "Bernard", "López", "Bianchi", "Horvat"]  # fmt: skip


def fill(rng: random.Random) -> None:
    from django.db import connection, transaction

    from accounts.models import User
    from appointments.models import Slot
    from doctors.models import DoctorProfile, Follow, Language, Specialization

    started = time.perf_counter()
    with transaction.atomic():
        # Bench rows only: their emails end in @bench.example.
        Slot.objects.filter(doctor__user__email__endswith="@bench.example").delete()
        Follow.objects.filter(patient__email__endswith="@bench.example").delete()
        DoctorProfile.objects.filter(user__email__endswith="@bench.example").delete()
        User.objects.filter(email__endswith="@bench.example").delete()

        specializations = [
            Specialization.objects.get_or_create(
                slug=name.lower().replace(" ", "-"), defaults={"name": name}
            )[0]
            for name in SPECIALIZATIONS
        ]
        languages = [
            Language.objects.get_or_create(slug=name.lower(), defaults={"name": name})[
                0
            ]
            for name in LANGUAGES
        ]
        now = datetime.now(UTC)
        users = User.objects.bulk_create(
            User(
                email=f"doctor{n}@bench.example",
                full_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                password="!",
                timezone="Europe/Berlin",
            )
            for n in range(DOCTORS)
        )
        patients = User.objects.bulk_create(
            User(
                email=f"patient{n}@bench.example",
                full_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                password="!",
            )
            for n in range(PATIENTS)
        )
        # Popularity like real life: a few doctors have most of the followers.
        weights = [1 / (rank + 1) ** 0.8 for rank in range(DOCTORS)]
        follows: set[tuple[int, int]] = set()
        while len(follows) < FOLLOWS:
            for index in rng.choices(range(DOCTORS), weights=weights, k=FOLLOWS):
                follows.add((rng.randrange(PATIENTS), index))
                if len(follows) == FOLLOWS:
                    break
        followers = [0] * DOCTORS
        for _patient, index in follows:
            followers[index] += 1
        doctors = DoctorProfile.objects.bulk_create(
            _common.bench_doctor(
                user,
                n,
                prefix="bench",
                specialization=rng.choice(specializations),
                years_of_experience=rng.randrange(1, 40),
                clinic_name=f"{rng.choice(LAST)} {rng.choice(KINDS)}",
                city=rng.choice(CITIES),
                consultation_fee=rng.randrange(40, 200),
                timezone="Europe/Berlin",
                followers_count=followers[n],
                rating_avg=round(rng.uniform(2.5, 5), 2) if n % 3 else 0,
                rating_count=rng.randrange(1, 200) if n % 3 else 0,
            )
            for n, user in enumerate(users)
        )
        # created_at is auto_now_add: spread it over two years for "newest".
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE doctors_doctorprofile SET created_at = "
                "now() - (id % 730) * interval '1 day' WHERE slug LIKE 'bench-%%'"
            )
        Through = DoctorProfile.languages.through
        Through.objects.bulk_create(
            Through(doctorprofile_id=doctor.pk, language_id=language.pk)
            for doctor in doctors
            for language in rng.sample(languages, rng.randrange(1, 4))
        )
        Follow.objects.bulk_create(
            (
                Follow(patient_id=patients[p].pk, doctor_id=doctors[d].pk)
                for p, d in follows
            ),
            batch_size=10_000,
        )
        # 70 % of doctors have free slots: 8 a weekday over the next two weeks,
        # starting today or later so "available within N days" differs.
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        slots = []
        for doctor in doctors:
            if rng.random() > 0.7:
                continue
            first_day = rng.choice([0, 0, 1, 2, 3, 5, 8])
            for day in range(first_day, SLOT_DAYS):
                date = today + timedelta(days=day)
                if date.weekday() >= 5:
                    continue
                for hour in range(8, 16):
                    start = date + timedelta(hours=hour)
                    slots.append(
                        Slot(
                            doctor_id=doctor.pk,
                            starts_at=start,
                            ends_at=start + timedelta(minutes=30),
                            is_booked=rng.random() < 0.3,
                        )
                    )
        Slot.objects.bulk_create(slots, batch_size=10_000)
    refresh_started = time.perf_counter()
    refreshed = refresh_stale_next_free()
    refresh_seconds = time.perf_counter() - refresh_started
    with connection.cursor() as cursor:
        for table in (
            "accounts_user",
            "doctors_doctorprofile",
            "doctors_follow",
            "doctors_doctorprofile_languages",
            "appointments_slot",
        ):
            # VACUUM as well: it merges the trigram (GIN) indexes' pending lists,
            # which right after a bulk load made search 30-60 % slower than the
            # steady state autovacuum keeps in production.
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(
        f"Filled {DOCTORS:,} doctors, {PATIENTS:,} patients, {len(follows):,} follows, "
        f"{len(slots):,} slots in {time.perf_counter() - started:.0f} s; stored the "
        f"next free slot of {refreshed:,} doctors in {refresh_seconds:.1f} s"
    )


def refresh_stale_next_free() -> int:
    from appointments.schedule import refresh_stale_next_free

    return refresh_stale_next_free()


HTMX = {"HX-Request": "true"}
# (label, path, GET parameters, signed in, headers)
COMBINATIONS = [
    ("default (most followed)", "/doctors/", {}, False, {}),
    ("default, signed in", "/doctors/", {}, True, {}),
    ("page 50", "/doctors/", {"page": 50}, False, {}),
    ("search q=müller", "/doctors/", {"q": "müller"}, False, {}),
    ("search q=ada berlin", "/doctors/", {"q": "ada berlin"}, False, {}),
    ("specialization", "/doctors/", {"specialization": "cardiology"}, False, {}),
    ("/specializations/cardiology/", "/specializations/cardiology/", {}, False, {}),
    (
        "specialization + city",
        "/doctors/",
        {"specialization": "cardiology", "city": "Berlin"},
        False,
        {},
    ),
    ("city, sort=rating", "/doctors/", {"city": "Berlin", "sort": "rating"}, False, {}),
    (
        "language + specialization",
        "/doctors/",
        {"language": "german", "specialization": "neurology"},
        False,
        {},
    ),
    ("sort=rating", "/doctors/", {"sort": "rating"}, False, {}),
    ("sort=name", "/doctors/", {"sort": "name"}, False, {}),
    ("sort=newest", "/doctors/", {"sort": "newest"}, False, {}),
    ("sort=next_available", "/doctors/", {"sort": "next_available"}, False, {}),
    ("available within 3 days", "/doctors/", {"available_within": 3}, False, {}),
    (
        "specialization, within 7 days, next_available",
        "/doctors/",
        {
            "specialization": "cardiology",
            "available_within": 7,
            "sort": "next_available",
        },
        False,
        {},
    ),
    ("htmx partial, q=lee", "/doctors/", {"q": "lee"}, False, HTMX),
]


class QueryTimer:
    """Counts the queries of a request and the time spent waiting for them."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def measure(*, stale: bool) -> None:
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from doctors.models import DoctorProfile

    patient = User.objects.filter(email__endswith="@bench.example").last()
    if stale:
        # As if nothing had refreshed them since before every slot was made.
        DoctorProfile.objects.update(next_free_checked_at=None)
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(patient)
    approved = DoctorProfile.objects.approved().count()
    print(
        f"\n{approved:,} approved doctors; {REPEATS} requests per row after warm-up; "
        f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        "wall = server time per request (view, SQL, template); cpu = this "
        "process's CPU time (Python only, unaffected by other processes "
        "waiting for the CPU); sql = time waiting for the database"
    )
    print(
        f"{'combination':<48} {'wall med':>9} {'wall p95':>9} {'cpu med':>8} "
        f"{'sql med':>8} {'queries':>7}"
    )
    worst_median = worst_p95 = 0.0
    for label, path, params, logged_in, headers in COMBINATIONS:
        client = signed_in if logged_in else anonymous
        refreshed = 0 if stale else refresh_stale_next_free()
        for _ in range(5):
            response = client.get(path, params, headers=headers)
            assert response.status_code == 200, (path, response.status_code)
        walls, cpus, sqls, count = [], [], [], 0
        for _ in range(REPEATS):
            queries = QueryTimer()
            with connection.execute_wrapper(queries):
                started, cpu_started = time.perf_counter(), time.process_time()
                client.get(path, params, headers=headers)
                walls.append((time.perf_counter() - started) * 1000)
                cpus.append((time.process_time() - cpu_started) * 1000)
            sqls.append(queries.seconds * 1000)
            count = queries.count
        median = statistics.median(walls)
        p95 = statistics.quantiles(walls, n=20)[-1]
        worst_median, worst_p95 = max(worst_median, median), max(worst_p95, p95)
        cpu, sql = statistics.median(cpus), statistics.median(sqls)
        print(
            f"{label:<48} {median:7.1f}ms {p95:7.1f}ms {cpu:6.1f}ms "
            f"{sql:6.1f}ms {count:>7}"
            + (f"  ({refreshed} refreshed)" if refreshed else "")
        )
    print(f"{'worst':<48} {worst_median:7.1f}ms {worst_p95:7.1f}ms")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refill", action="store_true", help="fill the data again")
    parser.add_argument("--explain", action="store_true", help="print query plans")
    parser.add_argument(
        "--stale",
        action="store_true",
        help="time it with every stored next free slot stale (no cron)",
    )
    args = parser.parse_args()
    _common.setup_django(collectstatic=False)
    from doctors.models import DoctorProfile

    have = DoctorProfile.objects.filter(slug__startswith="bench-").count()
    if args.refill or have != DOCTORS:
        fill(random.Random(4))
    if args.explain:
        explain()
    measure(stale=args.stale)
    if args.stale:
        refresh_stale_next_free()


def explain() -> None:
    from django.utils import timezone

    from doctors.filters import DoctorFilter

    for params in (
        {},
        {"sort": "next_available"},
        {"available_within": "3"},
        {"specialization": "cardiology", "city": "Berlin"},
        {"q": "ada berlin"},
        {"sort": "name"},
    ):
        qs = DoctorFilter(params, now=timezone.now()).qs[:20]
        print(f"\n--- {params}\n{qs.explain(analyze=True)}")


if __name__ == "__main__":
    main()

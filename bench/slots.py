"""Benchmark slot generation and the public slot list (issue 5).

    python bench/slots.py            # fill once (if needed), then time
    python bench/slots.py --refill   # drop the bench data and fill again

Uses DATABASE_URL (default: the local PostgreSQL database clinic_bench_slots,
created if missing). Creates 1,000 approved doctors in five time zones with weekly
hours (two windows a weekday, a lunch break), then times:

1. generating 60 days of slots for each of the 1,000 doctors from empty
   (`regenerate_slots`, one transaction per doctor), then the idempotent re-run
   and a change of hours (deletes and creates);
2. with a year of slots in the table (the past ten months filled in with SQL,
   30 % of slots booked), one doctor's next-7-days slot list: the selector alone
   and the whole `/doctors/<slug>/slots/` request (page and htmx fragment) through
   Django's test client.

Prints medians (and p95). Targets: 60 days for one doctor < 50 ms; a doctor page's
slot list < 20 ms server time.
"""

import argparse
import datetime as dt
import statistics
import time

import _common

_common.configure(database="clinic_bench_slots", host="testserver")

DOCTORS = 1_000
HORIZON_DAYS = 60
PAST_DAYS = 305  # with the 60 ahead: a year of slots in the table
REPEATS = 100
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Europe/London",
    "Asia/Tokyo",
    "Australia/Sydney",
]


def ms(seconds: float) -> float:
    return seconds * 1000


def summary(times: list[float]) -> str:
    median = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else median
    return f"median {median:6.1f} ms   p95 {p95:6.1f} ms"


def fill() -> list:
    """The doctors and their weekly hours (no slots yet)."""
    from django.db import transaction

    from accounts.models import User
    from appointments.models import Slot, WeeklyAvailability
    from doctors.models import DoctorProfile, Specialization

    with transaction.atomic():
        Slot.objects.filter(doctor__slug__startswith="bench-slots-").delete()
        DoctorProfile.objects.filter(slug__startswith="bench-slots-").delete()
        User.objects.filter(email__endswith="@bench-slots.example").delete()
        specialization, _ = Specialization.objects.get_or_create(
            slug="bench-general", defaults={"name": "Bench general"}
        )
        users = User.objects.bulk_create(
            User(
                email=f"doctor{n}@bench-slots.example",
                full_name=f"Bench Doctor {n}",
                password="!",
                timezone=ZONES[n % len(ZONES)],
            )
            for n in range(DOCTORS)
        )
        doctors = DoctorProfile.objects.bulk_create(
            _common.bench_doctor(
                user,
                n,
                prefix="bench-slots",
                specialization=specialization,
                timezone=ZONES[n % len(ZONES)],
                booking_horizon=dt.timedelta(days=HORIZON_DAYS),
            )
            for n, user in enumerate(users)
        )
        WeeklyAvailability.objects.bulk_create(
            WeeklyAvailability(
                doctor=doctor, weekday=day, start_time=start, end_time=end
            )
            for doctor in doctors
            for day in range(5)
            for start, end in (
                (dt.time(9), dt.time(12, 30)),
                (dt.time(14), dt.time(17, 30)),
            )
        )
    return doctors


def bench_generation(doctors) -> None:
    from django.utils import timezone

    from appointments import schedule
    from appointments.models import Slot, WeeklyAvailability

    now = timezone.now()
    print(f"\n1. Generation: {len(doctors):,} doctors x {HORIZON_DAYS} days")
    times, cpu, created = [], [], 0
    started = time.perf_counter()
    for doctor in doctors:
        t0, c0 = time.perf_counter(), time.process_time()
        created += schedule.regenerate_slots(doctor=doctor, now=now).created
        times.append(ms(time.perf_counter() - t0))
        cpu.append(ms(time.process_time() - c0))
    total = time.perf_counter() - started
    print(
        f"   first run:        {summary(times)}   per doctor; {created:,} slots "
        f"in {total:.1f} s"
    )
    print(f"   (of which Python: median {statistics.median(cpu):.1f} ms CPU)")

    times = []
    for doctor in doctors[:200]:
        t0 = time.perf_counter()
        result = schedule.regenerate_slots(doctor=doctor, now=now)
        times.append(ms(time.perf_counter() - t0))
        assert result.created == result.removed == 0
    print(f"   idempotent re-run:{summary(times)}   per doctor (200 doctors)")

    times = []
    for doctor in doctors[200:300]:
        WeeklyAvailability.objects.filter(doctor=doctor, start_time=dt.time(14)).update(
            start_time=dt.time(13, 15)
        )
        t0 = time.perf_counter()
        schedule.regenerate_slots(doctor=doctor, now=now)
        times.append(ms(time.perf_counter() - t0))
    print(f"   hours changed:    {summary(times)}   per doctor (100 doctors)")
    print(f"   slots now in the table: {Slot.objects.count():,}")


def fill_the_past_year(doctors) -> None:
    """Ten months of past slots (as if generated daily), 30 % of all booked."""
    from django.db import connection

    ids = [doctor.pk for doctor in doctors]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO appointments_slot
                (doctor_id, starts_at, ends_at, is_booked, outside_schedule)
            SELECT d.id, s.start, s.start + interval '30 minutes',
                   random() < 0.3, false
            FROM unnest(%s::bigint[]) AS d(id)
            CROSS JOIN LATERAL (
                SELECT day + t AS start
                FROM generate_series(
                    date_trunc('day', now()) - make_interval(days => %s),
                    date_trunc('day', now()) - interval '1 day',
                    interval '1 day'
                ) AS day,
                unnest(ARRAY(
                    SELECT interval '8 hours' + n * interval '30 minutes'
                    FROM generate_series(0, 13) AS n
                )) AS t
                WHERE extract(isodow FROM day) < 6
            ) AS s
            ON CONFLICT DO NOTHING
            """,
            [ids, PAST_DAYS],
        )
        past = cursor.rowcount
    print(
        f"\n   filled {past:,} past slots in {time.perf_counter() - started:.0f} s "
        "(30 % booked)"
    )


def book_some_future_slots() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE appointments_slot SET is_booked = true "
            "WHERE starts_at > now() AND random() < 0.3"
        )
        cursor.execute("ANALYZE appointments_slot")


def bench_slot_list(doctors) -> None:
    from zoneinfo import ZoneInfo

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from appointments import selectors
    from appointments.models import Slot

    doctor = doctors[len(doctors) // 2]
    total = Slot.objects.count()
    mine = Slot.objects.filter(doctor=doctor).count()
    print(
        f"\n2. One doctor's next 7 days, {total:,} slots in the table "
        f"({mine:,} of this doctor's)"
    )
    zone = ZoneInfo("Europe/Berlin")
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        picker = selectors.free_slots_by_day(
            doctor=doctor, first_day=None, zone=zone, now=timezone.now()
        )
        times.append(ms(time.perf_counter() - t0))
    shown = sum(len(day.slots) for day in picker.days)
    print(f"   selector only:    {summary(times)}   ({shown} free slots shown)")

    url = f"/doctors/{doctor.slug}/slots/"
    client = Client()
    for label, headers in (
        ("whole page", {}),
        ("htmx fragment", {"HX-Request": "true"}),
    ):
        for _ in range(5):
            assert client.get(url, headers=headers).status_code == 200
        times, cpu = [], []
        for _ in range(REPEATS):
            t0, c0 = time.perf_counter(), time.process_time()
            client.get(url, headers=headers)
            times.append(ms(time.perf_counter() - t0))
            cpu.append(ms(time.process_time() - c0))
        print(
            f"   request, {label + ':':<14}{summary(times)}   "
            f"(Python CPU median {statistics.median(cpu):.1f} ms)"
        )

    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refill", action="store_true", help="fill the data again")
    args = parser.parse_args()
    _common.setup_django(collectstatic=False)
    from django.utils import timezone

    from appointments.models import Slot, WeeklyAvailability
    from doctors.models import DoctorProfile

    doctors = list(
        DoctorProfile.objects.filter(slug__startswith="bench-slots-").order_by("pk")
    )
    refill = args.refill or len(doctors) != DOCTORS
    if refill:
        doctors = fill()
    else:  # start the generation from empty again: no future slots, first hours
        Slot.objects.filter(doctor__in=doctors, starts_at__gte=timezone.now()).delete()
        WeeklyAvailability.objects.filter(
            doctor__in=doctors, start_time=dt.time(13, 15)
        ).update(start_time=dt.time(14))
    bench_generation(doctors)
    if refill:
        fill_the_past_year(doctors)
    book_some_future_slots()
    bench_slot_list(doctors)


if __name__ == "__main__":
    main()

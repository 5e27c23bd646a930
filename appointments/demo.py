"""Demo schedules, time off and slots for `manage.py seed_demo` (after the doctors)."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from doctors.models import DoctorProfile

from . import schedule
from .models import TimeOff, WeeklyAvailability
from .schedule import Window

MON, TUE, WED, THU, FRI, SAT = range(6)


def _hours(days, *spans) -> list[Window]:
    return [
        Window(day, dt.time(*start), dt.time(*end))
        for day in days
        for start, end in spans
    ]


# Weekly hours (with lunch breaks) and booking settings, one pattern per doctor in
# turn, all in each doctor's own time zone.
PATTERNS = [
    {
        "windows": _hours(
            (MON, TUE, WED, THU, FRI), ((9, 0), (12, 30)), ((14, 0), (17, 30))
        ),
        "slot_minutes": 30,
        "buffer_minutes": 0,
        "auto_confirm": False,
    },
    {
        "windows": _hours((MON, WED, FRI), ((8, 0), (13, 0)))
        + _hours((TUE, THU), ((13, 0), (19, 0))),
        "slot_minutes": 20,
        "buffer_minutes": 10,
        "auto_confirm": True,
    },
    {
        "windows": _hours((MON, TUE, WED, THU), ((10, 0), (13, 0)), ((14, 0), (18, 0)))
        + _hours((SAT,), ((9, 0), (12, 0))),
        "slot_minutes": 45,
        "buffer_minutes": 15,
        "auto_confirm": False,
    },
]


def _time_off(doctor: DoctorProfile, index: int, today: dt.date) -> None:
    """Every third doctor takes a Friday afternoon off next week; every fifth a
    three-day conference in three weeks. Only when they have none yet."""
    if TimeOff.objects.filter(doctor=doctor).exists():
        return
    zone = ZoneInfo(doctor.timezone)
    if index % 3 == 0:
        friday = today + dt.timedelta(days=(FRI - today.weekday()) % 7 + 7)
        schedule.add_time_off(
            doctor=doctor,
            starts_at=dt.datetime.combine(friday, dt.time(13), tzinfo=zone),
            ends_at=dt.datetime.combine(friday, dt.time(18), tzinfo=zone),
            reason="School event",
        )
    if index % 5 == 0:
        monday = today + dt.timedelta(days=(MON - today.weekday()) % 7 + 21)
        schedule.add_time_off(
            doctor=doctor,
            starts_at=dt.datetime.combine(monday, dt.time(0), tzinfo=zone),
            ends_at=dt.datetime.combine(
                monday + dt.timedelta(days=3), dt.time(0), tzinfo=zone
            ),
            reason="Medical conference",
        )


def seed(stdout) -> list:
    """Give each approved demo doctor weekly hours and settings (only the first
    time: a doctor's own changes stay), some time off, then slots up to their
    horizon. Idempotent: a second run creates nothing new."""
    doctors = list(
        DoctorProfile.objects.approved()
        .filter(user__email__endswith="@example.com")
        .order_by("pk")
    )
    with_hours = set(
        WeeklyAvailability.objects.filter(doctor__in=doctors).values_list(
            "doctor_id", flat=True
        )
    )
    today = timezone.now().date()
    total = schedule.RegenerationResult()
    for index, doctor in enumerate(doctors):
        if doctor.pk not in with_hours:
            pattern = PATTERNS[index % len(PATTERNS)]
            total += schedule.save_schedule(
                doctor=doctor,
                windows=pattern["windows"],
                slot_minutes=pattern["slot_minutes"],
                buffer_minutes=pattern["buffer_minutes"],
                min_notice=dt.timedelta(hours=2),
                booking_horizon=dt.timedelta(days=60),
                auto_confirm=pattern["auto_confirm"],
            )
        _time_off(doctor, index, today)
        total += schedule.regenerate_slots(doctor=doctor)
    stdout.write(
        f"Schedules: {len(doctors)} doctors with weekly hours, "
        f"{TimeOff.objects.filter(doctor__in=doctors).count()} time off periods, "
        f"{total.created} slots created."
    )
    return []

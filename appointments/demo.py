"""Demo schedules, time off and slots for `manage.py seed_demo` (after the doctors)."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.demo import DESK_EMAIL, PATIENTS, WALK_IN
from accounts.models import User
from doctors.models import DoctorProfile

from . import schedule, services
from .models import Appointment, AppointmentEvent, Slot, TimeOff, WeeklyAvailability
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


# --- Demo appointments (the booking issue) ----------------------------------------

# Written straight to the tables, like the other demo data (no emails at seed
# time); notifications.demo then fills the inboxes from these rows.
DEMO_REASONS = {
    "pending": "Recurring headaches in the afternoon for three weeks.",
    "confirmed": "Annual check-up and a look at my blood test results.",
    "cancelled": "Sore throat and a mild fever since Monday.",
    "declined": "Follow-up on the knee pain after running.",
    "completed": "Persistent cough after a cold, worse at night.",
    "expired": "Skin rash on both arms that comes and goes.",
    "today": "Dizziness when standing up quickly.",
}


def _book(patient, slot, status: str, history: list[tuple], **fields):
    """One appointment with its history: (actor, from, to, note) per event."""
    appointment = Appointment.objects.create(
        slot=slot,
        doctor=slot.doctor,
        patient=patient,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        status=status,
        **fields,
    )
    Slot.objects.filter(pk=slot.pk).update(
        is_booked=status in Appointment.ACTIVE_STATUSES
        or slot.starts_at < timezone.now(),
        held_by=None,
        held_until=None,
    )
    AppointmentEvent.objects.bulk_create(
        AppointmentEvent(
            appointment=appointment,
            actor=actor,
            from_status=from_status,
            to_status=to_status,
            note=note,
        )
        for actor, from_status, to_status, note in history
    )
    return appointment


def _future_slot(doctor, after: dt.datetime):
    return (
        Slot.objects.bookable(timezone.now())
        .filter(doctor=doctor, starts_at__gte=after)
        .order_by("starts_at")
        .first()
    )


def _past_slot(doctor, days_ago: int, hour: int):
    zone = ZoneInfo(doctor.timezone)
    day = timezone.now().astimezone(zone).date() - dt.timedelta(days=days_ago)
    starts_at = dt.datetime.combine(day, dt.time(hour, 30), tzinfo=zone)
    slot, _ = Slot.objects.get_or_create(
        doctor=doctor,
        starts_at=starts_at,
        defaults={
            "ends_at": starts_at + dt.timedelta(minutes=doctor.slot_minutes),
            "is_booked": True,
        },
    )
    return slot


def seed_appointments(stdout) -> list:
    """Give each demo patient an appointment in every status, with its history:
    pending, confirmed, cancelled by the patient, declined by the doctor,
    completed, and one the doctor never confirmed (closed automatically); plus
    one today with the first demo doctor when a free time is left today.
    Idempotent: a patient who has any of these already gets nothing new."""
    patients = list(
        User.objects.filter(email__in=[email for email, _, _ in PATIENTS]).order_by(
            "pk"
        )
    )
    doctors = list(
        DoctorProfile.objects.approved()
        .filter(user__email__endswith="@example.com")
        .select_related("user")
        .order_by("pk")
    )
    manual = [doctor for doctor in doctors if not doctor.auto_confirm]
    if not patients or not manual:
        stdout.write("Appointments: skipped (no demo patients or doctors).")
        return []
    now = timezone.now()
    done = set(
        Appointment.objects.filter(
            patient__in=patients, reason__in=DEMO_REASONS.values()
        ).values_list("patient_id", flat=True)
    )
    created = 0
    for i, patient in enumerate(patients):
        if patient.pk in done:
            continue
        pick = [
            ("pending", manual[i % len(manual)], 2),
            ("confirmed", doctors[(i + 3) % len(doctors)], 4),
            ("cancelled", doctors[(i + 5) % len(doctors)], 6),
            ("declined", manual[(i + 2) % len(manual)], 8),
        ]
        for kind, doctor, days in pick:
            slot = _future_slot(doctor, now + dt.timedelta(days=days, hours=i))
            if slot is None:
                continue
            booked = (patient, "", "pending", "")
            reason = DEMO_REASONS[kind]
            if kind == "pending":
                _book(patient, slot, "pending", [booked], reason=reason)
            elif kind == "confirmed":
                _book(
                    patient,
                    slot,
                    "confirmed",
                    [booked, (doctor.user, "pending", "confirmed", "")],
                    reason=reason,
                )
            elif kind == "cancelled":
                note = "Feeling better, thank you."
                _book(
                    patient,
                    slot,
                    "cancelled",
                    [booked, (patient, "pending", "cancelled", note)],
                    reason=reason,
                    cancelled_by=patient,
                    cancellation_reason=note,
                )
            else:
                note = "Fully booked that morning; please pick another time."
                _book(
                    patient,
                    slot,
                    "cancelled",
                    [booked, (doctor.user, "pending", "cancelled", note)],
                    reason=reason,
                    cancelled_by=doctor.user,
                    cancellation_reason=note,
                )
            created += 1
        doctor = doctors[(i + 7) % len(doctors)]
        _book(
            patient,
            _past_slot(doctor, days_ago=5 + i, hour=11),
            "completed",
            [
                (patient, "", "pending", ""),
                (doctor.user, "pending", "confirmed", ""),
                (doctor.user, "confirmed", "completed", ""),
            ],
            reason=DEMO_REASONS["completed"],
        )
        note = "Not confirmed in time."
        _book(
            patient,
            _past_slot(manual[(i + 4) % len(manual)], days_ago=12 + i, hour=15),
            "cancelled",
            [(patient, "", "pending", ""), (None, "pending", "cancelled", note)],
            reason=DEMO_REASONS["expired"],
            cancellation_reason=note,
        )
        created += 2
        if i == 1:  # the demo doctor's "Today"
            zone = ZoneInfo(manual[0].timezone)
            tonight = dt.datetime.combine(
                now.astimezone(zone).date() + dt.timedelta(days=1),
                dt.time(0),
                tzinfo=zone,
            )
            slot = (
                Slot.objects.free(now)
                .filter(doctor=manual[0], starts_at__gt=now, starts_at__lt=tonight)
                .first()
            )
            if slot is not None:
                _book(
                    patient,
                    slot,
                    "confirmed",
                    [
                        (patient, "", "pending", ""),
                        (manual[0].user, "pending", "confirmed", ""),
                    ],
                    reason=DEMO_REASONS["today"],
                )
                created += 1
    # The demo books its slots directly, not through the services: store the
    # doctors' next free slots as a booking would.
    locked = DoctorProfile.objects.lock(doctor.pk for doctor in doctors)
    schedule.refresh_next_free(locked, now=now)
    stdout.write(f"Appointments: {created} demo appointments in every status.")
    return []


NO_SHOW_REASON = "Annual check-up (demo, missed)."
DESK_REASONS = {
    "walk_in": "Called in: sore throat and fever since yesterday.",
    "phone": "Called in: follow-up on the blood test results.",
}


def seed_front_desk(stdout) -> list:
    """The front desk's part of the demo: two past no-shows of one patient, and
    visits the desk booked on the phone, one for the caller without an account.
    Through the booking service (the desk's own door). Idempotent: nothing new
    when the desk's demo bookings exist."""
    desk = User.objects.filter(email=DESK_EMAIL).first()
    walk_in = User.objects.filter(full_name=WALK_IN[0], email__isnull=True).first()
    patients = list(
        User.objects.filter(email__in=[email for email, _, _ in PATIENTS]).order_by(
            "pk"
        )
    )
    doctors = list(
        DoctorProfile.objects.approved()
        .filter(user__email__endswith="@example.com")
        .select_related("user")
        .order_by("pk")
    )
    if desk is None or walk_in is None or len(patients) < 2 or not doctors:
        stdout.write("Front desk: skipped (no demo desk, patients or doctors).")
        return []
    created = 0
    missing = patients[1]
    if not Appointment.objects.filter(reason=NO_SHOW_REASON).exists():
        for days_ago, doctor in ((9, doctors[0]), (30, doctors[-1])):
            _book(
                missing,
                _past_slot(doctor, days_ago=days_ago, hour=9),
                Appointment.Status.NO_SHOW,
                [
                    (missing, "", "pending", ""),
                    (doctor.user, "pending", "confirmed", ""),
                    (desk, "confirmed", "no_show", ""),
                ],
                reason=NO_SHOW_REASON,
            )
            created += 1
    if not Appointment.objects.filter(booked_by=desk).exists():
        now = timezone.now()
        for patient, doctor, reason, days in (
            (walk_in, doctors[0], DESK_REASONS["walk_in"], 1),
            (patients[0], doctors[1 % len(doctors)], DESK_REASONS["phone"], 3),
        ):
            slot = _future_slot(doctor, now + dt.timedelta(days=days))
            if slot is None:
                continue
            try:
                services.book(
                    patient=patient, slot_id=slot.pk, reason=reason, booked_by=desk
                )
            except services.BookingError:
                continue  # the patient's other demo visits clash: leave it out
            created += 1
    stdout.write(f"Front desk: {created} no-shows and desk bookings.")
    return []

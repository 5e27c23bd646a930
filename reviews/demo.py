"""Demo reviews for `manage.py seed_demo` (last: after doctors and appointments).

Reviews are written through the services, so every doctor's rating_avg and
rating_count come out exactly as the app itself would keep them."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.demo import PATIENTS
from accounts.models import User
from appointments.models import Appointment, AppointmentEvent, Slot
from doctors.models import DoctorProfile

from . import services
from .models import Review

RATINGS = [5, 5, 4, 5, 3, 5, 4, 4, 5, 2, 5, 4, 1, 5, 4]
COMMENTS = [
    "Took the time to listen and explained every option clearly.",
    "Friendly, on time and thorough. I felt in good hands.",
    "",
    "The wait was long, but the consultation itself was excellent.",
    "Very professional. Gave me a clear plan and a follow-up date.",
    "Kind with my daughter, who is usually scared of doctors.",
    "Good advice, although the appointment felt a little rushed.",
    "",
    "Answered all my questions and followed up by email with the results.",
    "I did not feel listened to, and the diagnosis was vague.",
    "Excellent: the treatment worked within a week.",
    "Calm, precise and easy to talk to.",
    "Arrived 40 minutes late and was dismissive.",
    "Best doctor I've seen in years. Highly recommended.",
    "Clear explanations and a very tidy practice.",
]
REPLIES = [
    "Thank you for your kind words, I'm glad you are feeling better.",
    "Thank you for the feedback. We are working on shorter waiting times.",
    "I'm sorry the visit fell short. Please call the practice so we can talk.",
]
# Completed visits the reviews seed creates when the appointments seed made none
# for a doctor: many for the first doctor (so the reviews panel has pages).
VISITS_PER_DOCTOR = [14, 6, 5, 4, 3, 5, 2, 4, 3, 2]


def _past_visits(doctor: DoctorProfile, patients: list[User], index: int) -> None:
    """Completed visits in the last months, each on a booked past slot with its
    history, for a doctor who has no completed appointment yet."""
    zone = ZoneInfo(doctor.timezone)
    today = timezone.now().astimezone(zone).date()
    count = VISITS_PER_DOCTOR[index] if index < len(VISITS_PER_DOCTOR) else 0
    for number in range(count):
        day = today - dt.timedelta(days=9 + 13 * number + index)
        starts_at = dt.datetime.combine(day, dt.time(10 + number % 6), tzinfo=zone)
        length = dt.timedelta(minutes=doctor.slot_minutes)
        slot, _ = Slot.objects.get_or_create(
            doctor=doctor,
            starts_at=starts_at,
            defaults={"ends_at": starts_at + length, "is_booked": True},
        )
        appointment = Appointment.objects.create(
            slot=slot,
            doctor=doctor,
            patient=patients[(index + number) % len(patients)],
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            reason="Check-up",
            status=Appointment.Status.COMPLETED,
        )
        booked_at = starts_at - dt.timedelta(days=3 + number % 5, hours=5)
        Appointment.objects.filter(pk=appointment.pk).update(created_at=booked_at)
        # The history reads as it happened: booked days before, completed after.
        for actor, from_status, to_status, at in (
            (appointment.patient, "", "confirmed", booked_at),
            (
                doctor.user,
                "confirmed",
                "completed",
                slot.ends_at + dt.timedelta(minutes=5),
            ),
        ):
            event = AppointmentEvent.objects.create(
                appointment=appointment,
                actor=actor,
                from_status=from_status,
                to_status=to_status,
            )
            AppointmentEvent.objects.filter(pk=event.pk).update(created_at=at)


def seed(stdout) -> list:
    """Review the demo patients' completed visits, reply to some, hide one.

    Idempotent: visits are added only for doctors with no completed appointment,
    reviews only for visits without one, and one review is hidden only when none
    is. Maria's latest visit stays unreviewed, so the demo login can write one."""
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
    staff = User.objects.filter(email="staff@example.com").first()
    if not patients or not doctors:
        stdout.write("Reviews: skipped (no demo patients or doctors).")
        return []

    with_visits = set(
        Appointment.objects.filter(
            doctor__in=doctors, status=Appointment.Status.COMPLETED
        ).values_list("doctor_id", flat=True)
    )
    for index, doctor in enumerate(doctors):
        if doctor.pk not in with_visits:
            _past_visits(doctor, patients, index)

    visits = Appointment.objects.filter(
        patient__in=patients,
        doctor__in=doctors,
        status=Appointment.Status.COMPLETED,
        review__isnull=True,
    ).order_by("starts_at", "pk")
    kept_for_demo = (
        Appointment.objects.filter(
            patient__email=PATIENTS[0][0], status=Appointment.Status.COMPLETED
        )
        .order_by("-starts_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    created = 0
    for visit in visits:
        if visit.pk == kept_for_demo:
            continue
        choice = random.Random(visit.starts_at.toordinal() + visit.doctor_id)
        position = choice.randrange(len(RATINGS))
        review = services.create(
            patient=visit.patient,
            appointment_id=visit.pk,
            rating=RATINGS[position],
            comment=COMMENTS[position],
        )
        # Backdate to the day after the visit, so "posted" reads naturally.
        Review.objects.filter(pk=review.pk).update(
            created_at=visit.ends_at + dt.timedelta(hours=20)
        )
        if position % 3 == 0:
            services.reply(
                doctor_user=visit.doctor.user,
                review_id=review.pk,
                text=REPLIES[0 if review.rating >= 4 else 2],
            )
        created += 1

    # The lowest-rated one, whatever its rating: ratings follow dates and ids, so
    # a run may have no review of 2 stars or fewer.
    lowest = Review.objects.filter(doctor__in=doctors).order_by("rating", "pk").first()
    hidden = Review.objects.filter(doctor__in=doctors, is_hidden=True).exists()
    if staff is not None and lowest is not None and not hidden:
        services.hide(
            staff=staff,
            review_id=lowest.pk,
            reason="Names a member of staff; please describe your visit instead.",
        )
    stdout.write(
        f"Reviews: {created} added "
        f"({Review.objects.filter(doctor__in=doctors).count()} in all, "
        f"{Review.objects.filter(doctor__in=doctors, is_hidden=True).count()} hidden)."
    )
    return []

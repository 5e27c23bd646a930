import contextlib
import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from django.db.models import Avg, Count
from django.utils import timezone

from accounts.tests.factories import UserFactory
from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory
from doctors.models import DoctorProfile
from notifications.models import Notification
from reviews import services
from reviews.models import Review
from reviews.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db


def rating_of(doctor: DoctorProfile) -> tuple[Decimal, int]:
    doctor.refresh_from_db()
    return doctor.rating_avg, doctor.rating_count


def table_aggregate(doctor: DoctorProfile) -> tuple[Decimal, int]:
    """What the profile must say: an aggregate over the visible reviews."""
    totals = (
        Review.objects.visible()
        .filter(doctor=doctor)
        .aggregate(avg=Avg("rating"), count=Count("id"))
    )
    average = Decimal(str(totals["avg"] or 0)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return average, totals["count"]


# --- create ---------------------------------------------------------------------


def test_the_patient_reviews_their_completed_visit(patient, doctor, visit):
    review = services.create(
        patient=patient, appointment_id=visit.pk, rating=4, comment="Kind."
    )
    assert (review.doctor, review.patient, review.rating) == (doctor, patient, 4)
    assert rating_of(doctor) == (Decimal("4.00"), 1)


def test_someone_elses_appointment_is_not_found(other_patient, visit):
    with pytest.raises(services.ReviewNotFound):
        services.create(
            patient=other_patient, appointment_id=visit.pk, rating=5, comment=""
        )
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    "status",
    [
        Appointment.Status.PENDING,
        Appointment.Status.CONFIRMED,
        Appointment.Status.CANCELLED,
    ],
)
def test_a_visit_that_is_not_completed_cannot_be_reviewed(patient, doctor, status):
    appointment = AppointmentFactory(
        patient=patient, slot__doctor=doctor, status=status
    )
    with pytest.raises(services.NotReviewable, match="once it has taken place"):
        services.create(
            patient=patient, appointment_id=appointment.pk, rating=5, comment=""
        )
    assert rating_of(doctor) == (Decimal("0.00"), 0)


def test_a_visit_is_reviewed_only_once(patient, doctor, visit):
    services.create(patient=patient, appointment_id=visit.pk, rating=5, comment="")
    with pytest.raises(services.NotReviewable, match="already reviewed"):
        services.create(patient=patient, appointment_id=visit.pk, rating=1, comment="")
    assert Review.objects.count() == 1
    assert rating_of(doctor) == (Decimal("5.00"), 1)


def test_the_one_to_one_guard_turns_a_duplicate_into_not_reviewable(
    patient, visit, monkeypatch
):
    """If the pre-check misses a concurrent insert, the constraint still refuses."""
    services.create(patient=patient, appointment_id=visit.pk, rating=5, comment="")
    monkeypatch.setattr(services, "refusal_for", lambda appointment: None)
    with pytest.raises(services.NotReviewable):
        services.create(patient=patient, appointment_id=visit.pk, rating=1, comment="")


@pytest.mark.parametrize(
    ("ratings", "shown"),
    [
        # 33/8 = 4.125: half up 4.13; half even and truncation give 4.12.
        ((5, 5, 5, 4, 4, 4, 3, 3), "4.13"),
        # 35/8 = 4.375: half up (and half even) 4.38; truncation gives 4.37.
        ((5, 5, 5, 5, 4, 4, 4, 3), "4.38"),
        # 14/3 = 4.666…: 4.67; truncation gives 4.66.
        ((5, 5, 4), "4.67"),
        # 13/3 = 4.333…: 4.33; rounding up gives 4.34.
        ((5, 4, 4), "4.33"),
    ],
)
def test_the_average_is_rounded_half_up_to_two_places(
    patient, doctor, visit, ratings, shown
):
    *earlier, last = ratings
    for rating in earlier:
        ReviewFactory(appointment__slot__doctor=doctor, rating=rating)
    services.create(patient=patient, appointment_id=visit.pk, rating=last, comment="")
    assert rating_of(doctor) == (Decimal(shown), len(ratings))


# --- edit and delete -------------------------------------------------------------


def test_the_author_edits_within_30_days(patient, doctor, visit):
    review = services.create(
        patient=patient, appointment_id=visit.pk, rating=2, comment="Late."
    )
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        services.edit(author=patient, review_id=review.pk, rating=4, comment="Fine.")
    review.refresh_from_db()
    assert (review.rating, review.comment) == (4, "Fine.")
    assert rating_of(doctor) == (Decimal("4.00"), 1)


def test_editing_after_30_days_is_refused(patient, doctor, visit):
    review = services.create(
        patient=patient, appointment_id=visit.pk, rating=2, comment=""
    )
    with (
        time_machine.travel(timezone.now() + timedelta(days=30, minutes=1)),
        pytest.raises(services.EditWindowClosed),
    ):
        services.edit(author=patient, review_id=review.pk, rating=5, comment="")
    assert rating_of(doctor) == (Decimal("2.00"), 1)


def test_only_the_author_edits_or_deletes(other_patient, doctor, staff):
    review = ReviewFactory(appointment__slot__doctor=doctor)
    for user in (other_patient, doctor.user, staff):
        with pytest.raises(services.ReviewNotFound):
            services.edit(author=user, review_id=review.pk, rating=1, comment="")
        with pytest.raises(services.ReviewNotFound):
            services.delete(author=user, review_id=review.pk)
    assert Review.objects.get().rating == 5


def test_the_author_deletes_at_any_time(patient, doctor, visit):
    review = services.create(
        patient=patient, appointment_id=visit.pk, rating=3, comment=""
    )
    with time_machine.travel(timezone.now() + timedelta(days=400)):
        services.delete(author=patient, review_id=review.pk)
    assert not Review.objects.exists()
    assert rating_of(doctor) == (Decimal("0.00"), 0)


def test_a_deleted_review_frees_the_visit_for_a_new_review(patient, visit):
    review = services.create(
        patient=patient, appointment_id=visit.pk, rating=3, comment=""
    )
    services.delete(author=patient, review_id=review.pk)
    services.create(patient=patient, appointment_id=visit.pk, rating=4, comment="")
    assert Review.objects.get().rating == 4


# --- reply -----------------------------------------------------------------------


def test_the_doctor_replies_once_and_edits_the_reply(doctor):
    review = ReviewFactory(appointment__slot__doctor=doctor)
    services.reply(doctor_user=doctor.user, review_id=review.pk, text="Thank you!")
    first = Review.objects.get().replied_at
    services.reply(doctor_user=doctor.user, review_id=review.pk, text="Thanks, Ada.")
    review.refresh_from_db()
    assert review.reply == "Thanks, Ada."
    assert review.replied_at >= first


def test_another_doctor_or_the_patient_cannot_reply(doctor, patient):
    from doctors.tests.factories import DoctorProfileFactory

    review = ReviewFactory(appointment__slot__doctor=doctor, patient=patient)
    for user in (DoctorProfileFactory().user, patient):
        with pytest.raises(services.ReviewNotFound):
            services.reply(doctor_user=user, review_id=review.pk, text="Hello")
    assert Review.objects.get().reply == ""


def test_a_hidden_review_gets_no_reply(doctor):
    review = ReviewFactory(appointment__slot__doctor=doctor, is_hidden=True)
    with pytest.raises(services.ReviewNotFound):
        services.reply(doctor_user=doctor.user, review_id=review.pk, text="Hello")


# --- moderation ------------------------------------------------------------------


def test_staff_hide_a_review_with_a_reason_and_the_author_is_told(
    staff, doctor, django_capture_on_commit_callbacks, mailoutbox
):
    kept = ReviewFactory(appointment__slot__doctor=doctor, rating=5)
    review = ReviewFactory(appointment__slot__doctor=doctor, rating=1)
    services.recompute_rating(doctor_id=doctor.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.hide(staff=staff, review_id=review.pk, reason="Insults staff")
    review.refresh_from_db()
    assert (review.is_hidden, review.hidden_reason) == (True, "Insults staff")
    assert rating_of(doctor) == (Decimal("5.00"), 1)
    notification = Notification.objects.get(recipient=review.patient)
    assert notification.kind == Notification.Kind.REVIEW_HIDDEN
    assert "Insults staff" in notification.message
    assert [m.to for m in mailoutbox] == [[review.patient.email]]
    assert kept.patient.notifications.count() == 0


def test_hiding_twice_notifies_once(staff, doctor):
    review = ReviewFactory(appointment__slot__doctor=doctor)
    assert services.hide(staff=staff, review_id=review.pk, reason="Spam")
    assert not services.hide(staff=staff, review_id=review.pk, reason="Spam again")
    assert Notification.objects.count() == 1
    assert Review.objects.get().hidden_reason == "Spam"


def test_hiding_needs_a_reason(staff, doctor):
    review = ReviewFactory(appointment__slot__doctor=doctor)
    with pytest.raises(services.ReviewError, match="reason"):
        services.hide(staff=staff, review_id=review.pk, reason="   ")
    assert not Review.objects.get().is_hidden


def test_only_staff_moderate(patient, doctor):
    review = ReviewFactory(appointment__slot__doctor=doctor)
    for user in (patient, doctor.user):
        with pytest.raises(services.NotAllowed):
            services.hide(staff=user, review_id=review.pk, reason="No")
        with pytest.raises(services.NotAllowed):
            services.unhide(staff=user, review_id=review.pk)
    assert not Review.objects.get().is_hidden


def test_unhide_brings_the_review_back_into_the_average(staff, doctor):
    review = ReviewFactory(appointment__slot__doctor=doctor, rating=2)
    services.hide(staff=staff, review_id=review.pk, reason="Checking")
    assert rating_of(doctor) == (Decimal("0.00"), 0)
    assert services.unhide(staff=staff, review_id=review.pk)
    assert not services.unhide(staff=staff, review_id=review.pk)
    review.refresh_from_db()
    assert (review.is_hidden, review.hidden_reason) == (False, "")
    assert rating_of(doctor) == (Decimal("2.00"), 1)


# --- aggregates stay exact -------------------------------------------------------


def test_interleaved_changes_keep_the_aggregates_exact(doctor, staff):
    """Creates, edits, deletes, hides and unhides in a random order, checking the
    profile against an aggregate over the table after every step."""
    chance = random.Random(8)
    other_doctor = DoctorProfile.objects.get(
        pk=ReviewFactory(rating=1).doctor_id
    )  # a second doctor whose numbers must not move
    services.recompute_rating(doctor_id=other_doctor.pk)
    patients = [UserFactory() for _ in range(6)]
    visits = [
        AppointmentFactory(
            patient=chance.choice(patients),
            slot__doctor=doctor,
            status=Appointment.Status.COMPLETED,
        )
        for _ in range(25)
    ]
    for step in range(150):
        reviews = list(Review.objects.filter(doctor=doctor))
        action = chance.choice(["create", "create", "edit", "delete", "hide", "unhide"])
        if action == "create":
            visit = chance.choice(visits)
            with contextlib.suppress(services.NotReviewable):
                services.create(
                    patient=visit.patient,
                    appointment_id=visit.pk,
                    rating=chance.randint(1, 5),
                    comment=f"step {step}",
                )
        elif reviews and action == "edit":
            review = chance.choice(reviews)
            services.edit(
                author=review.patient,
                review_id=review.pk,
                rating=chance.randint(1, 5),
                comment="edited",
            )
        elif reviews and action == "delete":
            review = chance.choice(reviews)
            services.delete(author=review.patient, review_id=review.pk)
        elif reviews and action == "hide":
            services.hide(
                staff=staff, review_id=chance.choice(reviews).pk, reason="Moderated"
            )
        elif reviews and action == "unhide":
            services.unhide(staff=staff, review_id=chance.choice(reviews).pk)
        assert rating_of(doctor) == table_aggregate(doctor), f"after step {step}"
    assert rating_of(doctor)[1] > 0
    assert rating_of(other_doctor) == (Decimal("1.00"), 1)

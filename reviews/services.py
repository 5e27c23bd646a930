"""Writes on reviews. Every use case keeps the doctor's rating aggregates exact.

Each function runs in one transaction that first locks the doctor's profile row
(`DoctorProfile.objects.lock`), then changes the review, then recomputes
`rating_avg` and `rating_count` from the visible reviews with one aggregate over
the table. The
profile lock serialises every review write of one doctor, so two concurrent writes
can never leave a stale average, and the lock order (profile, then review) is the
same everywhere, so they cannot deadlock.
"""

from decimal import ROUND_HALF_UP, Decimal
from http import HTTPStatus

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.errors import Refusal
from accounts.models import User
from appointments.models import Appointment
from doctors import cache as doctor_cache
from doctors.models import DoctorProfile
from notifications.models import Notification
from notifications.services import notify

from .models import Review


class ReviewError(Refusal):
    """A review write that the rules refuse; `message` is shown to the user."""

    status = HTTPStatus.BAD_REQUEST
    code = "invalid"
    default_message = gettext_lazy("This review cannot be changed.")


class ReviewNotFound(ReviewError):
    """No such review or appointment for this user."""

    status = HTTPStatus.NOT_FOUND
    code = "not_found"


class NotReviewable(ReviewError):
    """The appointment is not completed yet, or it was already reviewed."""

    status = HTTPStatus.CONFLICT
    code = "already_reviewed"


class EditWindowClosed(ReviewError):
    """The author's 30 days to edit are over."""

    status = HTTPStatus.CONFLICT
    code = "edit_window_closed"
    default_message = gettext_lazy(
        "Reviews can be edited for 30 days after posting; you can delete it."
    )


class NotAllowed(ReviewError):
    """The user's role may not do this."""

    status = HTTPStatus.FORBIDDEN
    code = "permission_denied"


def refusal_for(appointment: Appointment) -> str | None:
    """Why `appointment` cannot be reviewed now, or None when it can.

    Only a completed visit can be reviewed, once. Views call it to explain before the
    form is filled in; `create` calls it again under the lock."""
    if appointment.status != Appointment.Status.COMPLETED:
        return _("You can review a visit once it has taken place.")
    if Review.objects.filter(appointment_id=appointment.pk).exists():
        return _("You have already reviewed this visit.")
    return None


def recompute_rating(*, doctor_id: int) -> tuple[Decimal, int]:
    """Set the doctor's rating_avg (2 places, half up) and rating_count from the
    visible reviews. Call inside the transaction that holds the profile lock."""
    totals = (
        Review.objects.visible()
        .filter(doctor_id=doctor_id)
        .aggregate(total=Sum("rating"), count=Count("id"))
    )
    count = totals["count"]
    average = (
        (Decimal(totals["total"]) / count).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if count
        else Decimal("0.00")
    )
    DoctorProfile.objects.filter(pk=doctor_id).update(
        rating_avg=average, rating_count=count
    )
    # Every review write (post, edit, delete, reply, hide) comes through here.
    doctor_cache.bump_on_commit([doctor_id])
    return average, count


def _locked_review(review_id: int, **scope) -> Review:
    """Lock the doctor's profile, then the review; ReviewNotFound outside `scope`."""
    doctor_id = (
        Review.objects.filter(pk=review_id, **scope)
        .values_list("doctor_id", flat=True)
        .first()
    )
    if doctor_id is None:
        raise ReviewNotFound
    DoctorProfile.objects.lock([doctor_id])
    review = Review.objects.select_for_update().filter(pk=review_id, **scope).first()
    if review is None:  # deleted while we waited for the lock
        raise ReviewNotFound
    return review


@transaction.atomic
def create(*, patient: User, appointment_id: int, rating: int, comment: str) -> Review:
    """Review one of the patient's own completed appointments, once.

    Raises ReviewNotFound for someone else's (or no) appointment, NotReviewable when
    it is not completed or already reviewed."""
    appointment = Appointment.objects.filter(pk=appointment_id, patient=patient).first()
    if appointment is None:
        raise ReviewNotFound
    DoctorProfile.objects.lock([appointment.doctor_id])
    if refusal := refusal_for(appointment):
        raise NotReviewable(refusal)
    try:
        # The savepoint keeps the transaction usable if the one-to-one refuses.
        with transaction.atomic():
            review = Review.objects.create(
                appointment=appointment,
                doctor_id=appointment.doctor_id,
                patient=patient,
                rating=rating,
                comment=comment,
            )
    except IntegrityError as error:
        raise NotReviewable(_("You have already reviewed this visit.")) from error
    recompute_rating(doctor_id=appointment.doctor_id)
    return review


@transaction.atomic
def edit(*, author: User, review_id: int, rating: int, comment: str) -> Review:
    """Change the author's rating and comment, within 30 days of posting.

    A hidden review stays hidden. Raises ReviewNotFound (not the author's review),
    EditWindowClosed."""
    review = _locked_review(review_id, patient=author)
    if not review.is_editable(timezone.now()):
        raise EditWindowClosed
    review.rating, review.comment = rating, comment
    review.save(update_fields=["rating", "comment", "updated_at"])
    recompute_rating(doctor_id=review.doctor_id)
    return review


@transaction.atomic
def delete(*, author: User, review_id: int) -> None:
    """Delete the author's review, at any time. Raises ReviewNotFound."""
    review = _locked_review(review_id, patient=author)
    review.delete()
    recompute_rating(doctor_id=review.doctor_id)


@transaction.atomic
def reply(*, doctor_user: User, review_id: int, text: str) -> Review:
    """Post or edit the doctor's one public reply to a visible review of them.

    Raises ReviewNotFound for another doctor's review or a hidden one."""
    review = _locked_review(review_id, doctor__user=doctor_user, is_hidden=False)
    review.reply = text
    review.replied_at = timezone.now()
    review.save(update_fields=["reply", "replied_at", "updated_at"])
    recompute_rating(doctor_id=review.doctor_id)
    return review


def _require_staff(user: User) -> None:
    if not (user.is_active and user.is_staff):
        raise NotAllowed(_("Only clinic staff can moderate reviews."))


@transaction.atomic
def hide(*, staff: User, review_id: int, reason: str) -> bool:
    """Hide a review from the doctor's page and average, telling the author why.

    Compare-and-set: returns False (and notifies nobody) when it was already hidden.
    Raises NotAllowed for non-staff, ReviewNotFound, ReviewError without a reason."""
    _require_staff(staff)
    reason = reason.strip()
    if not reason:
        raise ReviewError(_("Give the reason for hiding the review."))
    review = _locked_review(review_id)
    changed = Review.objects.filter(pk=review.pk, is_hidden=False).update(
        is_hidden=True, hidden_reason=reason, updated_at=timezone.now()
    )
    if changed:
        notify(
            recipient=review.patient,
            kind=Notification.Kind.REVIEW_HIDDEN,
            message=_("Your review of %(doctor)s was hidden by the clinic: %(reason)s")
            % {"doctor": review.doctor.display_name, "reason": reason[:150]},
            link=reverse("reviews:mine"),
            email_context={"review": review, "reason": reason},
        )
    recompute_rating(doctor_id=review.doctor_id)
    return bool(changed)


@transaction.atomic
def unhide(*, staff: User, review_id: int) -> bool:
    """Show a hidden review again. Compare-and-set: False when it was not hidden.

    Raises NotAllowed for non-staff, ReviewNotFound."""
    _require_staff(staff)
    review = _locked_review(review_id)
    changed = Review.objects.filter(pk=review.pk, is_hidden=True).update(
        is_hidden=False, hidden_reason="", updated_at=timezone.now()
    )
    recompute_rating(doctor_id=review.doctor_id)
    return bool(changed)


def on_reviewer_saved(sender, instance, created=False, update_fields=None, **kw):
    """A person renamed: the cached reviews panels of the doctors they reviewed."""
    if not created and doctor_cache.person_changed(update_fields):
        doctor_cache.bump_on_commit(
            Review.objects.filter(patient=instance)
            .order_by()
            .values_list("doctor_id", flat=True)
            .distinct()
        )

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.models import Appointment
from doctors.models import DoctorProfile

# How long after posting the author may still edit a review.
EDIT_WINDOW = timedelta(days=30)


class ReviewQuerySet(models.QuerySet):
    SORTS = {
        "newest": ("-created_at", "-id"),
        "highest": ("-rating", "-created_at", "-id"),
        "lowest": ("rating", "-created_at", "-id"),
    }

    def visible(self) -> "ReviewQuerySet":
        """Reviews shown on the doctor's page and counted in the average."""
        return self.filter(is_hidden=False)

    def by(self, user) -> "ReviewQuerySet":
        """The reviews `user` wrote; nobody else's."""
        return self.filter(patient=user) if user.is_authenticated else self.none()

    def of_doctor_user(self, user) -> "ReviewQuerySet":
        """Reviews of `user`'s own doctor profile (empty unless they are a doctor)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(doctor__user=user)

    def with_people(self) -> "ReviewQuerySet":
        """What a review card shows: author, visit date, doctor, in the same query."""
        return self.select_related("patient", "appointment", "doctor__user")

    def sorted_by(self, sort: str) -> "ReviewQuerySet":
        """`newest` (default for unknown values), `highest` or `lowest` first."""
        return self.order_by(*self.SORTS.get(sort, self.SORTS["newest"]))


class Review(models.Model):
    """A verified review: one per completed appointment."""

    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.CASCADE,
        related_name="review",
        verbose_name=_("appointment"),
    )
    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.CASCADE,
        related_name="reviews",
        verbose_name=_("doctor"),
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reviews",
        verbose_name=_("patient"),
    )
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    reply = models.TextField(_("doctor's reply"), max_length=2000, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.TextField(_("reason for hiding"), blank=True)
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5),
                name="review_rating_1_to_5",
            ),
        ]
        indexes = [
            models.Index(
                fields=["doctor", "-created_at", "-id"],
                condition=Q(is_hidden=False),
                name="review_visible_by_doctor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ for {self.doctor} by {self.patient}"

    def get_absolute_url(self) -> str:
        return f"{reverse('reviews:mine')}#review-{self.pk}"

    @property
    def visit_month(self) -> date:
        """All a public review shows of the visit: its month (the first day of it,
        in the active time zone), never the day or time a patient saw the doctor.

        Reads `appointment`; `with_people()` loads it in the same query."""
        return timezone.localdate(self.appointment.starts_at).replace(day=1)

    def is_editable(self, now: datetime) -> bool:
        """The author may edit for EDIT_WINDOW after posting (deleting has no limit)."""
        return now < self.created_at + EDIT_WINDOW

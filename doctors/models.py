import zoneinfo
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.timezones import timezone_choices, validate_timezone


class Specialization(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("specialization")
        verbose_name_plural = _("specializations")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("doctors:specialization", args=[self.slug])


class Language(models.Model):
    """A language a doctor consults in; reference data kept by staff in admin."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("language")
        verbose_name_plural = _("languages")

    def __str__(self) -> str:
        return self.name


class DoctorProfileQuerySet(models.QuerySet):
    def approved(self) -> "DoctorProfileQuerySet":
        """Only approved doctors are listed, shown or bookable."""
        return self.filter(status=DoctorProfile.Status.APPROVED)

    def approved_of(self, user) -> "DoctorProfileQuerySet":
        """`user`'s own profile if it is approved: one row exactly when `user` is a
        doctor. An approved profile is what makes a doctor; the Doctors group
        follows approval for model permissions and menus, but staff can change
        groups and statuses apart in admin, so no door tests the group."""
        if not user.is_authenticated:
            return self.none()
        return self.approved().filter(user=user)

    def visible_to(self, user) -> "DoctorProfileQuerySet":
        """Approved profiles, plus the user's own application, plus all for staff."""
        if user.is_authenticated and user.is_staff:
            return self.all()
        if user.is_authenticated:
            return self.filter(Q(status=DoctorProfile.Status.APPROVED) | Q(user=user))
        return self.approved()

    def lock(self, pks: "Iterable[int | None] | models.QuerySet") -> list[int]:
        """Lock the rows of these doctors (those this queryset holds) in id order
        and return their ids. The first lock of every write to a doctor's slots,
        reviews or followers, so such writes queue per doctor and cannot
        deadlock. `pks` may be a queryset of ids, read in the same statement."""
        return list(
            self.select_for_update()
            .filter(pk__in=pks if isinstance(pks, models.QuerySet) else set(pks))
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def next_free_stale(self, now: datetime) -> "DoctorProfileQuerySet":
        """Doctors whose stored next free slot may no longer be right at `now`
        (or was never stored)."""
        return self.exclude(next_free_is_current(now))

    def with_follow_state(self, user) -> "DoctorProfileQuerySet":
        """Annotate `is_followed`: whether `user` follows each doctor."""
        if not user.is_authenticated:
            return self.annotate(is_followed=models.Value(False))
        return self.annotate(
            is_followed=models.Exists(
                Follow.objects.filter(patient=user, doctor=models.OuterRef("pk"))
            )
        )


def next_free_is_current(now: datetime) -> Q:
    """Whether a doctor's stored next free slot is still right at `now`: checked
    before `now` (not by a clock ahead of this one), the slot still past the
    notice, and no hold on an earlier slot ended since."""
    return (
        Q(next_free_checked_at__lte=now)
        & (
            Q(next_free_at__isnull=True)
            | Q(next_free_at__gte=models.Value(now) + models.F("min_notice"))
        )
        & (Q(next_free_hold_ends_at__isnull=True) | Q(next_free_hold_ends_at__gt=now))
    )


class DoctorProfile(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="doctor_profile",
        verbose_name=_("user"),
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    specialization = models.ForeignKey(
        Specialization,
        on_delete=models.PROTECT,
        related_name="doctors",
        verbose_name=_("specialization"),
    )
    license_number = models.CharField(_("license number"), max_length=50)
    bio = models.TextField(_("bio"), max_length=3000)
    qualifications = models.TextField(_("qualifications"), max_length=2000)
    years_of_experience = models.PositiveSmallIntegerField(
        _("years of experience"), validators=[MaxValueValidator(70)]
    )
    languages = models.ManyToManyField(
        Language, related_name="doctors", verbose_name=_("languages")
    )
    clinic_name = models.CharField(_("clinic name"), max_length=150)
    address = models.CharField(_("address"), max_length=255)
    city = models.CharField(_("city"), max_length=100)
    consultation_fee = models.DecimalField(
        _("consultation fee"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=63,
        default="UTC",
        choices=timezone_choices,
        validators=[validate_timezone],
    )

    # Booking settings, all in the doctor's time zone.
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"),
        default=30,
        validators=[MinValueValidator(10), MaxValueValidator(120)],
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        _("buffer between appointments (minutes)"),
        default=0,
        validators=[MaxValueValidator(60)],
    )
    # Durations, not counts of minutes or days, so "starts after now + notice" is
    # one SQL comparison per doctor on every database (the directory needs it).
    min_notice = models.DurationField(
        _("minimum notice"),
        default=timedelta(hours=2),
        validators=[MaxValueValidator(timedelta(days=30))],
        help_text=_("How long before its start a slot can still be booked."),
    )
    booking_horizon = models.DurationField(
        _("booking horizon"),
        default=timedelta(days=60),
        validators=[
            MinValueValidator(timedelta(days=1)),
            MaxValueValidator(timedelta(days=180)),
        ],
        help_text=_("How far ahead patients can book (whole days, 1–180)."),
    )
    auto_confirm = models.BooleanField(
        _("confirm bookings automatically"), default=False
    )

    # Kept exact by the services that change them, in the same transaction.
    followers_count = models.PositiveIntegerField(_("followers"), default=0)
    rating_avg = models.DecimalField(
        _("average rating"), max_digits=3, decimal_places=2, default=Decimal("0")
    )
    rating_count = models.PositiveIntegerField(_("number of ratings"), default=0)

    # The start of the doctor's first bookable slot, as of `next_free_checked_at`
    # (None: no free slot then), so the directory sorts and filters on a column
    # instead of searching every doctor's slots. Every write to the doctor's slots
    # refreshes it with the doctor's row locked (appointments.schedule.
    # refresh_next_free). Time alone can only make it stale in two ways, which the
    # directory checks (`next_free_is_current`): the slot passes the minimum
    # notice, or a hold on an earlier slot ends (`next_free_hold_ends_at`, the
    # first end of a hold on a slot still ahead of the notice).
    next_free_at = models.DateTimeField(
        _("next free slot"), null=True, blank=True, editable=False
    )
    next_free_hold_ends_at = models.DateTimeField(
        _("first hold ends"), null=True, blank=True, editable=False
    )
    next_free_checked_at = models.DateTimeField(
        _("next free slot checked at"), null=True, blank=True, editable=False
    )

    created_at = models.DateTimeField(_("applied at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DoctorProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("doctor profile")
        verbose_name_plural = _("doctor profiles")
        indexes = [
            models.Index(
                fields=["-followers_count", "id"],
                condition=Q(status="approved"),
                name="doctor_approved_popular",
            ),
            models.Index(
                fields=["-rating_avg", "-rating_count", "id"],
                condition=Q(status="approved"),
                name="doctor_approved_rating",
            ),
            models.Index(
                fields=["-created_at", "id"],
                condition=Q(status="approved"),
                name="doctor_approved_newest",
            ),
            models.Index(fields=["status", "city"], name="doctor_status_city"),
            # /specializations/<slug>/ and the specialization filter, most
            # followed first: an index range instead of a walk of every doctor.
            models.Index(
                fields=["specialization", "-followers_count", "id"],
                condition=Q(status="approved"),
                name="doctor_approved_spec_popular",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating_avg__gte=0) & Q(rating_avg__lte=5),
                name="doctor_rating_avg_range",
            ),
        ]

    # Written only by their services, with the row locked. A save of a profile
    # loaded earlier (an edit form, the admin) must not put old values back.
    DERIVED_FIELDS = frozenset(
        {
            "followers_count",
            "rating_avg",
            "rating_count",
            "next_free_at",
            "next_free_hold_ends_at",
            "next_free_checked_at",
        }
    )

    def __str__(self) -> str:
        return str(self.user)

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.DERIVED_FIELDS
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("doctors:detail", args=[self.slug])

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The practice's time zone: the doctor's hours and day live in it."""
        return zoneinfo.ZoneInfo(self.timezone or "UTC")

    @property
    def display_name(self) -> str:
        """How the site names the doctor to people, e.g. “Dr Ada Lee”. Reads `user`:
        load it with select_related("user") where many are shown."""
        return gettext("Dr %(name)s") % {"name": self.user.full_name}

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED


class Follow(models.Model):
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="follows",
        verbose_name=_("patient"),
    )
    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.CASCADE,
        related_name="follows",
        verbose_name=_("doctor"),
    )
    created_at = models.DateTimeField(_("followed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "doctor"], name="follow_once_per_doctor"
            ),
        ]
        indexes = [models.Index(fields=["doctor", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.patient} → {self.doctor}"


class FollowNotice(models.Model):
    """When a doctor was last told that this patient followed them: following,
    unfollowing and following again tells the doctor at most once a day
    (doctors.services.follow). Outlives the Follow row, which unfollowing deletes."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("patient"),
    )
    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("doctor"),
    )
    sent_at = models.DateTimeField(_("notified at"))

    class Meta:
        verbose_name = _("follow notice")
        verbose_name_plural = _("follow notices")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "doctor"], name="one_follow_notice_per_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} → {self.doctor} ({self.sent_at:%Y-%m-%d %H:%M})"

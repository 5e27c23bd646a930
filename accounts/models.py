import uuid
import zoneinfo

from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    Group,
    PermissionsMixin,
)
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from .timezones import timezone_choices, validate_timezone


class Role(models.TextChoices):
    """The groups every account belongs to; created by a data migration."""

    PATIENT = "Patients", _("Patient")
    DOCTOR = "Doctors", _("Doctor")
    STAFF = "Clinic staff", _("Clinic staff")


def avatar_upload_to(instance: "User", filename: str) -> str:
    # A random name: the uploaded name can leak personal data and is guessable.
    return f"avatars/{uuid.uuid4().hex}.webp"


def avatar_thumbnail_upload_to(instance: "User", filename: str) -> str:
    return f"avatars/thumbs/{uuid.uuid4().hex}.webp"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        user.groups.add(Group.objects.get_or_create(name=Role.PATIENT)[0])
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    timezone = models.CharField(
        _("time zone"),
        max_length=63,
        default="UTC",
        choices=timezone_choices,
        validators=[validate_timezone],
        help_text=_("Times on the site are shown in this zone."),
    )
    avatar = models.ImageField(_("avatar"), upload_to=avatar_upload_to, blank=True)
    avatar_thumbnail = models.ImageField(
        upload_to=avatar_thumbnail_upload_to, blank=True, editable=False
    )
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Can log in to the admin site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=now)
    # Set when the person closed their account: the row stays (appointments the
    # practice must keep point at it) with everything that named them erased.
    erased_at = models.DateTimeField(_("account closed at"), null=True, blank=True)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["full_name"], name="user_full_name")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile")

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def public_name(self) -> str:
        """First name and last initial, e.g. “Ada L.”: shown beside reviews."""
        if self.erased_at:
            return _("Former patient")
        parts = self.full_name.split()
        if len(parts) > 1:
            return f"{parts[0]} {parts[-1][0]}."
        return parts[0] if parts else _("Patient")

    @property
    def initials(self) -> str:
        parts = self.full_name.split()
        return "".join(part[0] for part in parts[:2]).upper() or self.email[0].upper()

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The user's time zone, UTC when unset or unknown (a zone a later tzdata
        dropped, a value written around the form): for showing them times."""
        try:
            return zoneinfo.ZoneInfo(self.timezone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    def has_role(self, role: Role) -> bool:
        """Group membership, read from the prefetched groups when available."""
        return any(group.name == role for group in self.groups.all())


class AccessLog(models.Model):
    """A member of staff looked at a patient's records (in the admin): who, when,
    what. Written by accounts.audit.AccessLoggedAdmin, read by superusers only."""

    class Action(models.TextChoices):
        LIST = "list", _("listed")
        VIEW = "view", _("opened")

    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    patient = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        related_name="record_views",
        verbose_name=_("patient"),
    )
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    record = models.CharField(_("record"), max_length=100)
    record_id = models.CharField(_("record id"), max_length=64, blank=True)
    path = models.CharField(_("address"), max_length=500)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("record access")
        verbose_name_plural = _("record accesses")

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.record} {self.record_id}".strip()

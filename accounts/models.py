import datetime as dt
import uuid
import zoneinfo

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
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
        if not username:
            # email__iexact=None would match the accounts that have no address.
            raise self.model.DoesNotExist
        return self.get(email__iexact=username)

    def unclaimed(self):
        """Accounts the front desk opened for a caller that nobody has taken over
        yet: no usable password and never logged in. Signing up or resetting the
        password with the account's email address claims one."""
        return self.filter(
            password__startswith=UNUSABLE_PASSWORD_PREFIX,
            last_login__isnull=True,
            is_active=True,
        )


class User(AbstractBaseUser, PermissionsMixin):
    # The login. Empty (NULL) only for a patient the front desk registered without
    # one: such an account cannot log in until someone claims it with an address.
    email = models.EmailField(_("email address"), unique=True, null=True, blank=True)
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
            # NULLs are distinct in a unique index: any number of accounts may
            # have no address, no two the same one in any case.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["full_name"], name="user_full_name")]

    def __str__(self) -> str:
        return self.full_name or self.email or f"#{self.pk}"

    def clean(self) -> None:
        super().clean()
        # A blank address is stored as NULL: many accounts may have none.
        self.email = self.__class__.objects.normalize_email(self.email).lower() or None

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile")

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else (self.email or "")

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
        initials = "".join(part[0] for part in parts[:2])
        return (initials or (self.email or "?")[0]).upper()

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


class IdempotencyKeyQuerySet(models.QuerySet):
    def expired(self, at=None) -> "IdempotencyKeyQuerySet":
        """Keys older than IdempotencyKey.LIFETIME: they replay nothing any more."""
        return self.filter(created_at__lt=(at or now()) - IdempotencyKey.LIFETIME)


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` an API client sent with a write, and the answer it got:
    the same key with the same request replays that answer instead of acting twice
    (a booking retried after its answer was lost). `status` is null while the
    first request is still running. One row per (user, key): the constraint is
    what makes two concurrent requests with one key act once."""

    LIFETIME = dt.timedelta(hours=24)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the method, path and body."
    )
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=now, db_index=True)

    objects = IdempotencyKeyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], name="one_idempotency_key_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status or 'running'})"


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

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> "NotificationQuerySet":
        """The user's own notifications; nobody else's (others' are a 404)."""
        return self.filter(recipient=user)

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    class Kind(models.TextChoices):
        FOLLOWED = "followed", _("Someone followed me")
        APPOINTMENT_BOOKED = "appointment_booked", _("Appointment booked")
        APPOINTMENT_CONFIRMED = "appointment_confirmed", _("Appointment confirmed")
        APPOINTMENT_CANCELLED = "appointment_cancelled", _("Appointment cancelled")
        APPOINTMENT_RESCHEDULED = (
            "appointment_rescheduled",
            _("Appointment rescheduled"),
        )
        APPOINTMENT_COMPLETED = "appointment_completed", _("Visit completed")
        APPOINTMENT_REMINDER = "appointment_reminder", _("Reminder before a visit")
        APPOINTMENT_PENDING = (
            "appointment_pending",
            _("Booking still waiting for the doctor"),
        )
        WAITLIST_SLOT_FREE = "waitlist_slot_free", _("An earlier time freed up")
        APPLICATION_APPROVED = "application_approved", _("Doctor application approved")
        APPLICATION_REJECTED = "application_rejected", _("Doctor application rejected")
        REVIEW_HIDDEN = "review_hidden", _("My review was hidden")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    message = models.CharField(_("message"), max_length=300)
    link = models.CharField(_("link"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"]),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"

    def get_absolute_url(self) -> str:
        return reverse("notifications:open", args=[self.pk])

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @property
    def icon(self) -> str:
        """The Bootstrap Icons name shown beside it in the inbox."""
        return KIND_ICONS.get(self.kind, "bell")


KIND_ICONS = {
    Notification.Kind.FOLLOWED: "person-plus",
    Notification.Kind.APPOINTMENT_BOOKED: "calendar-plus",
    Notification.Kind.APPOINTMENT_CONFIRMED: "calendar-check",
    Notification.Kind.APPOINTMENT_CANCELLED: "calendar-x",
    Notification.Kind.APPOINTMENT_RESCHEDULED: "calendar2-week",
    Notification.Kind.APPOINTMENT_COMPLETED: "clipboard2-check",
    Notification.Kind.APPOINTMENT_REMINDER: "alarm",
    Notification.Kind.APPOINTMENT_PENDING: "hourglass-split",
    Notification.Kind.WAITLIST_SLOT_FREE: "calendar-heart",
    Notification.Kind.APPLICATION_APPROVED: "patch-check",
    Notification.Kind.APPLICATION_REJECTED: "x-octagon",
    Notification.Kind.REVIEW_HIDDEN: "eye-slash",
}


class EmailPreference(models.Model):
    """Whether a user wants email for one kind of notification (in-app is always on).

    No row means the default for the kind: on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="email_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Notification.Kind.choices)
    enabled = models.BooleanField(_("send email"), default=True)

    class Meta:
        verbose_name = _("email preference")
        verbose_name_plural = _("email preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"], name="email_preference_once_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {'on' if self.enabled else 'off'}"


class OptOut(models.Model):
    """The user wants no notification of this kind at all (inbox nor email).

    Only kinds in `services.OPTIONAL_KINDS` can be switched off this way."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_opt_outs",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Notification.Kind.choices)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="opt_out_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: no {self.kind}"

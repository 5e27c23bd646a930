from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doctors.models import DoctorProfile


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WeeklyAvailability(models.Model):
    """One window of working hours on a weekday, in the doctor's time zone.

    Several windows on one day make breaks (09:00–12:00 and 14:00–17:30)."""

    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.CASCADE,
        related_name="weekly_availability",
        verbose_name=_("doctor"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    class Meta:
        ordering = ["weekday", "start_time"]
        verbose_name = _("weekly availability")
        verbose_name_plural = _("weekly availability")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="availability_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        window = f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"
        return f"{self.get_weekday_display()} {window}"


class TimeOff(models.Model):
    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.CASCADE,
        related_name="time_off",
        verbose_name=_("doctor"),
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("time off")
        verbose_name_plural = _("time off")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="time_off_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["doctor", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.doctor}: {self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%H:%M}"


class SlotQuerySet(models.QuerySet):
    """The rule of what a patient may book, written once: `bookable` and the
    pieces it is made of (`free`, `offered`), each usable on its own.

    With `outer_doctor=True` a method is for a subquery over DoctorProfile rows:
    it keeps the outer doctor's slots and reads their notice and horizon from that
    row. Joining the doctor table again instead (as the plain form does) keeps
    PostgreSQL from using the (doctor, starts_at) index as a range; the directory
    and the stored next free slot (`DoctorProfile.next_free_at`) need the speed.
    """

    def free(self, now: datetime) -> "SlotQuerySet":
        """Slots nobody has booked and nobody holds at `now` (an expired hold is free).

        Does not apply the doctor's notice and horizon: see `bookable`."""
        return self.filter(is_booked=False).filter(
            Q(held_until__isnull=True) | Q(held_until__lte=now)
        )

    def held(self, now: datetime) -> "SlotQuerySet":
        """Unbooked slots someone holds at `now`: the ones `free` leaves out only
        for their hold."""
        return self.filter(is_booked=False, held_until__gt=now)

    def offered(self, now: datetime, *, outer_doctor: bool = False) -> "SlotQuerySet":
        """Slots on the doctor's schedule (not flagged outside the hours) that start
        after the doctor's minimum notice at `now`, booked, held or not. Time off
        needs no filter: regeneration deletes the free slots it covers, and flags
        the ones it must keep (booked, held, with history) `outside_schedule`."""
        if outer_doctor:
            return self.filter(
                doctor=OuterRef("pk"),
                outside_schedule=False,
                starts_at__gte=Value(now) + OuterRef("min_notice"),
            )
        return self.filter(
            outside_schedule=False,
            starts_at__gte=Value(now) + F("doctor__min_notice"),
        )

    def bookable(self, now: datetime, *, outer_doctor: bool = False) -> "SlotQuerySet":
        """Slots a patient may book at `now`: free, offered (past the doctor's
        minimum notice) and inside the doctor's booking horizon, of approved
        doctors (with `outer_doctor`, the outer query chooses the doctors)."""
        slots = self.free(now).offered(now, outer_doctor=outer_doctor)
        if outer_doctor:
            return slots.filter(starts_at__lt=Value(now) + OuterRef("booking_horizon"))
        return slots.filter(
            doctor__status="approved",
            starts_at__lt=Value(now) + F("doctor__booking_horizon"),
        )


class Slot(models.Model):
    """A bookable time of one doctor, generated from the weekly availability."""

    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.CASCADE,
        related_name="slots",
        verbose_name=_("doctor"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    is_booked = models.BooleanField(_("booked"), default=False)
    # A short hold reserves the slot while one patient confirms.
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="held_slots",
        verbose_name=_("held by"),
    )
    held_until = models.DateTimeField(_("held until"), null=True, blank=True)
    # Set by regeneration when a booked or held slot no longer fits the hours.
    outside_schedule = models.BooleanField(_("outside the weekly hours"), default=False)
    # When the slot last became free for others: created by regeneration, or
    # given back by a cancelled or moved visit. The waitlist tells patients who
    # joined before it.
    freed_at = models.DateTimeField(_("freed at"), null=True, blank=True)

    objects = SlotQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "starts_at"], name="slot_unique_doctor_start"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="slot_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(
                fields=["doctor", "starts_at"],
                condition=Q(is_booked=False),
                name="slot_unbooked_by_doctor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} {self.starts_at:%Y-%m-%d %H:%M} UTC"

    def _hold_runs(self, now: datetime) -> bool:
        return self.held_until is not None and self.held_until > now

    def is_held_by(self, user, now: datetime) -> bool:
        """Whether `user`'s hold on this slot still runs at `now`."""
        return self._hold_runs(now) and self.held_by_id == user.pk

    def is_held_by_other(self, user, now: datetime) -> bool:
        return self._hold_runs(now) and self.held_by_id != getattr(user, "pk", None)


class AppointmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AppointmentQuerySet":
        """The user's appointments as patient or as doctor; nobody else's."""
        return self.filter(Q(patient=user) | Q(doctor__user=user))

    def active(self) -> "AppointmentQuerySet":
        return self.filter(status__in=Appointment.ACTIVE_STATUSES)

    def upcoming(self, now: datetime) -> "AppointmentQuerySet":
        """Pending or confirmed visits that have not ended: what is still to come."""
        return self.active().filter(ends_at__gt=now)

    def past(self, now: datetime) -> "AppointmentQuerySet":
        """Everything not `upcoming`: ended visits, and cancelled or closed ones."""
        return self.exclude(status__in=Appointment.ACTIVE_STATUSES, ends_at__gt=now)

    def no_shows(self, *, since: datetime | None = None) -> "AppointmentQuerySet":
        """Visits the patient missed (marked no-show), those starting after `since`
        when given."""
        missed = self.filter(status=Appointment.Status.NO_SHOW)
        return missed.filter(starts_at__gte=since) if since else missed


class Appointment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("No-show")

    ACTIVE_STATUSES = (Status.PENDING, Status.CONFIRMED)

    slot = models.ForeignKey(
        Slot,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("slot"),
    )
    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("doctor"),
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("patient"),
    )
    # Copied from the slot so overlap and day rules are one indexed query.
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    reason = models.TextField(_("reason for the visit"), max_length=500)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # The patient, or clinic staff booking on the patient's behalf (a phone call).
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("booked by"),
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancellation_reason = models.TextField(_("reason for cancelling"), blank=True)
    reminder_sent_at = models.DateTimeField(
        _("reminder sent at"), null=True, blank=True
    )
    # When the visit got its current time (booked, or moved): a reminder whose
    # moment had passed by then is not sent.
    time_set_at = models.DateTimeField(_("time set at"), default=timezone.now)
    # The patient said (through the reminder's link) that they will come.
    attendance_confirmed_at = models.DateTimeField(
        _("attendance confirmed at"), null=True, blank=True
    )
    # The iCalendar SEQUENCE (RFC 5545 3.8.7.4): raised by the services with every
    # change of time or status, so calendars replace their copy with the newer.
    calendar_sequence = models.PositiveIntegerField(
        _("calendar sequence"), default=0, editable=False
    )
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        # Patients hold add/change_appointment for their own bookings: the front
        # desk (any patient's appointments, in admin) needs a permission of its own.
        permissions = [
            (
                "work_front_desk",
                _("Can book, move, cancel and mark no-shows for any patient"),
            )
        ]
        constraints = [
            # The last guard against double booking: holds whatever the code does.
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(status__in=["pending", "confirmed"]),
                name="one_active_appointment_per_slot",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="appointment_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "starts_at"]),
            models.Index(fields=["doctor", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.patient} with {self.doctor} at {self.starts_at:%Y-%m-%d %H:%M} UTC"
        )

    def get_absolute_url(self) -> str:
        return reverse("appointments:detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class AppointmentEvent(models.Model):
    """One row per status change: who moved the appointment, when, from what to what."""

    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("appointment"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_status = models.CharField(
        _("from"), max_length=10, choices=Appointment.Status.choices, blank=True
    )
    to_status = models.CharField(
        _("to"), max_length=10, choices=Appointment.Status.choices
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("appointment event")
        verbose_name_plural = _("appointment events")

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.from_status or '—'} → {self.to_status}"


class SentReminder(models.Model):
    """One reminder sent for one appointment: its unique constraint is what makes
    each reminder go out exactly once, however many `send_reminders` run at once.
    Rescheduling deletes an appointment's rows, so the new time is reminded."""

    class Kind(models.TextChoices):
        BEFORE_VISIT = "before_visit", _("Before the visit")
        STILL_PENDING = "still_pending", _("Booking still pending")

    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="sent_reminders",
        verbose_name=_("appointment"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # Before the visit: how long before its start; still pending: how long after
    # the booking.
    offset = models.DurationField(_("offset"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        ordering = ["sent_at"]
        verbose_name = _("sent reminder")
        verbose_name_plural = _("sent reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind", "offset"],
                name="one_reminder_per_appointment_kind_offset",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.kind} {self.offset}"


class UsedLink(models.Model):
    """A one-click link (from a reminder email) that was used: refused next time.

    Stores the SHA-256 of the signed token, never the token."""

    digest = models.CharField(_("digest"), max_length=64, unique=True)
    used_at = models.DateTimeField(_("used at"), auto_now_add=True)

    class Meta:
        verbose_name = _("used link")
        verbose_name_plural = _("used links")

    def __str__(self) -> str:
        return self.digest[:12]


class DateOverride(models.Model):
    """Different hours on one date, in the doctor's zone: its windows replace the
    weekday's weekly windows on that date (none: closed that day)."""

    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.CASCADE,
        related_name="date_overrides",
        verbose_name=_("doctor"),
    )
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("date override")
        verbose_name_plural = _("date overrides")
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "date"], name="one_override_per_doctor_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.doctor}: {self.date:%Y-%m-%d}"


class DateOverrideWindow(models.Model):
    override = models.ForeignKey(
        DateOverride,
        on_delete=models.CASCADE,
        related_name="windows",
        verbose_name=_("date override"),
    )
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    class Meta:
        ordering = ["start_time"]
        verbose_name = _("window")
        verbose_name_plural = _("windows")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="override_window_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"


class WaitlistRequestQuerySet(models.QuerySet):
    def active(self, today: "date") -> "WaitlistRequestQuerySet":
        """Requests still waiting on local date `today`: not ended, their date not
        passed, and their patient has not booked with that doctor since joining."""
        booked_since = Appointment.objects.filter(
            patient=OuterRef("patient"),
            doctor=OuterRef("doctor"),
            created_at__gte=OuterRef("created_at"),
        )
        return self.filter(ended_at__isnull=True, until__gte=today).exclude(
            Exists(booked_since)
        )


class WaitlistRequest(models.Model):
    """A patient asks to hear when a time with a doctor frees up before `until`."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="waitlist_requests",
        verbose_name=_("patient"),
    )
    doctor = models.ForeignKey(
        DoctorProfile,
        on_delete=models.CASCADE,
        related_name="waitlist_requests",
        verbose_name=_("doctor"),
    )
    until = models.DateField(_("until"))
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    objects = WaitlistRequestQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("waitlist request")
        verbose_name_plural = _("waitlist requests")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "doctor"],
                condition=Q(ended_at__isnull=True),
                name="one_open_waitlist_request_per_doctor",
            ),
        ]
        indexes = [models.Index(fields=["doctor", "created_at"])]

    def __str__(self) -> str:
        return f"{self.patient} waits for {self.doctor} until {self.until}"


class WaitlistNotice(models.Model):
    """A waiting patient was told about a free slot: at most once per slot."""

    request = models.ForeignKey(
        WaitlistRequest,
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name=_("waitlist request"),
    )
    slot = models.ForeignKey(
        Slot, on_delete=models.CASCADE, related_name="+", verbose_name=_("slot")
    )
    created_at = models.DateTimeField(_("told at"), auto_now_add=True)

    class Meta:
        verbose_name = _("waitlist notice")
        verbose_name_plural = _("waitlist notices")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "slot"], name="one_waitlist_notice_per_slot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} told of slot {self.slot_id}"


class CalendarFeed(models.Model):
    """A person's private calendar subscription: whoever knows the token reads
    their appointments' names and times (never reasons), as a calendar app does.

    The token is kept as it is, not hashed: the profile page and the API show the
    link again whenever the person needs it for another device (a hash could only
    be shown once, and every lost link would mean renewing it, breaking the
    other subscriptions), and whoever can read this table can read the
    appointments themselves, in more detail than the feed gives. The first
    characters (`selector`) find the row; the whole token is then compared in
    constant time, so response times reveal nothing of it."""

    SELECTOR_LENGTH = 12

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("user"),
    )
    selector = models.CharField(max_length=SELECTOR_LENGTH, unique=True)
    token = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    rotated_at = models.DateTimeField(_("renewed at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"

"""The waitlist: a patient asks to be told when an earlier time with a doctor
frees up, until a date they choose.

A slot "frees up" when it is created by regeneration (a new window, a date
override, the horizon moving on) or given back by a cancelled, declined or moved
visit: `Slot.freed_at` records when. `notify_waitlist` (the `notify_waitlist`
command, from cron) tells the patients who joined before that moment and whose
date the slot falls on or before, in the order they joined, WAITLIST_BATCH_SIZE
per slot per run, while the slot stays bookable; the next run tells the next
ones. Nobody holds the slot for them: the first to book it gets it (the booking
lock decides). A request ends when its patient books with that doctor, when its
date passes (`WaitlistRequest.objects.active`) or when they leave it.

Exactly once: a `WaitlistNotice` row, unique per (request, slot), is written in
the transaction that writes the notification; each slot is worked on under its
row lock (skip_locked), so concurrent runs never tell the same person twice, and
split the slots between them.
"""

import datetime as dt
from http import HTTPStatus

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.errors import Refusal
from accounts.models import User
from doctors.models import DoctorProfile
from notifications.models import Notification
from notifications.services import notify

from .models import Slot, WaitlistNotice, WaitlistRequest
from .notices import format_for

# Active requests one patient may have at once.
MAX_ACTIVE_REQUESTS = 5


class WaitlistRefused(Refusal):
    status = HTTPStatus.BAD_REQUEST
    code = "waitlist_refused"
    field = None


class WaitlistFull(WaitlistRefused):
    code = "waitlist_full"
    default_message = gettext_lazy(
        "You are waiting for %(n)d doctors already, the most at once. Leave one "
        "of those waitlists first."
    ) % {"n": MAX_ACTIVE_REQUESTS}


class AlreadyWaiting(WaitlistRefused):
    status = HTTPStatus.CONFLICT
    code = "already_waiting"
    default_message = gettext_lazy(
        "You are on this doctor's waitlist already. Leave it first to change the date."
    )


class OwnWaitlist(WaitlistRefused):
    code = "own_waitlist"
    default_message = gettext_lazy("You cannot wait for your own times.")


class WaitlistRequestNotFound(WaitlistRefused):
    status = HTTPStatus.NOT_FOUND
    code = "not_found"
    default_message = gettext_lazy("That waitlist request does not exist.")


def today_for(user: User, now: dt.datetime) -> dt.date:
    return now.astimezone(user.zone).date()


def _lock_patient(patient: User) -> None:
    # Serialises one patient's joins, so the five-at-most rule holds.
    list(User.objects.select_for_update().filter(pk=patient.pk).values_list("pk"))


@transaction.atomic
def join(
    *,
    patient: User,
    doctor: DoctorProfile,
    until: dt.date,
    now: dt.datetime | None = None,
) -> WaitlistRequest:
    """Put `patient` on `doctor`'s waitlist until `until` (the form checks the
    date). Requests that ended by themselves (booked, date passed) are closed
    first. Raises OwnWaitlist, AlreadyWaiting or WaitlistFull."""
    now = now or timezone.now()
    if doctor.user_id == patient.pk:
        raise OwnWaitlist
    _lock_patient(patient)
    mine = WaitlistRequest.objects.filter(patient=patient, ended_at__isnull=True)
    active = set(mine.active(today_for(patient, now)).values_list("pk", flat=True))
    mine.exclude(pk__in=active).update(ended_at=now)
    if mine.filter(doctor=doctor).exists():
        raise AlreadyWaiting
    if len(active) >= MAX_ACTIVE_REQUESTS:
        raise WaitlistFull
    return WaitlistRequest.objects.create(patient=patient, doctor=doctor, until=until)


@transaction.atomic
def leave(
    *, patient: User, request_id: int, now: dt.datetime | None = None
) -> WaitlistRequest:
    """End one of the patient's open requests. Raises WaitlistRequestNotFound
    (another patient's, or ended already)."""
    now = now or timezone.now()
    ended = WaitlistRequest.objects.filter(
        pk=request_id, patient=patient, ended_at__isnull=True
    ).update(ended_at=now)
    if not ended:
        raise WaitlistRequestNotFound
    return WaitlistRequest.objects.get(pk=request_id)


def slot_link(slot: Slot, viewer: User) -> str:
    """The doctor's slot picker at the week of `slot`, in the viewer's zone,
    scrolled to its day."""
    day = slot.starts_at.astimezone(viewer.zone).date()
    path = reverse("appointments:doctor_slots", args=[slot.doctor.slug])
    anchor = f"slot-day-{slot.doctor_id}-{day:%Y%m%d}"
    return f"{path}?{urlencode({'week': day.isoformat()})}#{anchor}"


def notify_waitlist(*, now: dt.datetime | None = None, batch: int | None = None) -> int:
    """Tell waiting patients about bookable slots freed after they joined; returns
    how many were told by this call. Each slot is its own transaction."""
    now = now or timezone.now()
    batch = settings.WAITLIST_BATCH_SIZE if batch is None else batch
    waiting = WaitlistRequest.objects.filter(
        ended_at__isnull=True, until__gte=(now - dt.timedelta(days=1)).date()
    )
    latest = max(waiting.values_list("until", flat=True), default=None)
    if latest is None or batch <= 0:
        return 0
    slot_ids = list(
        Slot.objects.bookable(now)
        .filter(
            freed_at__isnull=False,
            doctor_id__in=waiting.values("doctor_id"),
            starts_at__lt=dt.datetime.combine(
                latest + dt.timedelta(days=2), dt.time(0), tzinfo=dt.UTC
            ),
        )
        .order_by("starts_at")
        .values_list("pk", flat=True)
    )
    return sum(_tell_about(slot_id=pk, now=now, batch=batch) for pk in slot_ids)


@transaction.atomic
def _tell_about(*, slot_id: int, now: dt.datetime, batch: int) -> int:
    """Tell the next `batch` waiting patients about one slot, under its row lock
    (skipped when another run works on it, or a booking holds it right now)."""
    slot = (
        Slot.objects.bookable(now)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("doctor__user")
        .filter(pk=slot_id, freed_at__isnull=False)
        .first()
    )
    if slot is None:
        return 0
    doctor = slot.doctor
    day = slot.starts_at.astimezone(doctor.zone).date()
    told = WaitlistNotice.objects.filter(request=OuterRef("pk"), slot=slot)
    # Active on the slot's day: waiting still, and their date not before it.
    candidates = (
        WaitlistRequest.objects.active(day)
        .filter(doctor=doctor, created_at__lt=slot.freed_at)
        .exclude(Exists(told))
        .exclude(patient_id=doctor.user_id)
        .select_related("patient")
        .order_by("created_at", "id")[:batch]
    )
    sent = 0
    for request in candidates:
        try:
            with transaction.atomic():
                WaitlistNotice.objects.create(request=request, slot=slot)
        except IntegrityError:
            continue  # told already (a concurrent run on SQLite)
        patient = request.patient
        notify(
            recipient=patient,
            kind=Notification.Kind.WAITLIST_SLOT_FREE,
            message=_(
                "An earlier time with %(doctor)s is free: %(when)s. The first to "
                "book it gets it."
            )
            % {
                "doctor": doctor.display_name,
                "when": format_for(patient, slot.starts_at),
            },
            link=slot_link(slot, patient),
        )
        sent += 1
    return sent

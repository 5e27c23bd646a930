"""Reads that span more than one model of the doctors app."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Case,
    DateTimeField,
    F,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from .models import DoctorProfile, next_free_is_current

# Soonest first, doctors with no bookable slot last, the id as the tie-break.
NEXT_AVAILABLE_ORDER = (F("next_available").asc(nulls_last=True), "id")


def directory(*, user=None, now: datetime) -> QuerySet[DoctorProfile]:
    """Approved doctors as the directory lists them, one query per page.

    Each row carries `next_available` (the start of the doctor's earliest slot a
    patient may book at `now`, or None) and `is_followed` (whether `user` follows
    them; False for anonymous visitors), with the user and specialization joined,
    so a card needs no further query. Filtering and sorting: `DoctorFilter`.
    """
    # The one place the doctors app reads appointments (see DESIGN.md): the
    # next-available sort and filter. Imported here so the app dependency stays
    # one-way at import time.
    from appointments.models import Slot

    # Mostly the stored `next_free_at`, a column: searching the slots of 10,000
    # doctors for every page cost 20-30 ms. Where time made it stale (see
    # `next_free_is_current`), searched from the slots by the booking rule itself.
    # appointments/tests/test_next_free.py pins both paths to bookable(). The
    # outer queryset is approved() already.
    first_bookable = (
        Slot.objects.bookable(now, outer_doctor=True)
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    stored = Case(
        When(
            next_free_at__lt=Value(now) + F("booking_horizon"),
            then=F("next_free_at"),
        ),
        default=None,
    )
    next_available = Case(
        When(next_free_is_current(now), then=stored),
        default=Subquery(first_bookable),
        output_field=DateTimeField(),
    )
    return (
        DoctorProfile.objects.approved()
        .select_related("user", "specialization")
        .with_follow_state(user or AnonymousUser())
        .annotate(next_available=next_available)
    )


# How many free times a directory card offers as buttons.
CARD_TIMES = 3


@dataclass(frozen=True)
class FreeTimes:
    """A doctor's first bookable times for a card, and until when the clock alone
    leaves them as they are (None: no moment in sight)."""

    slots: tuple[tuple[int, datetime], ...]  # (slot id, start)
    unchanged_until: datetime | None


def next_free_times(
    doctors: Sequence[DoctorProfile], *, now: datetime, count: int = CARD_TIMES
) -> dict[int, FreeTimes]:
    """The first `count` slots each of `doctors` (approved, with `min_notice`,
    `booking_horizon` and `next_free_hold_ends_at` loaded) offers at `now`, for
    a whole page in one query: a window numbers each doctor's free slots past
    the notice by start, and the first `count` are kept (SQLite and PostgreSQL).

    The query leaves the horizon out, so that a slot still beyond it tells when it
    comes in (the directory keeps a page until then); the horizon is then applied
    to each row as `SlotQuerySet.bookable` does (pinned by a test). Writes bump
    the doctor's version (see doctors.cache); `unchanged_until` is the first moment
    time alone changes the answer: the first slot passes the notice, a later one
    comes within the horizon, or a hold on an earlier one ends."""
    from appointments.models import Slot

    by_id = {doctor.pk: doctor for doctor in doctors}
    found: dict[int, list[tuple[int, datetime]]] = {pk: [] for pk in by_id}
    if by_id:
        # `SlotQuerySet.offered` with each doctor's notice read from the page's
        # row: joining the doctor table for it made PostgreSQL read all 10,000
        # doctors (7 ms); this way each doctor is one range of the (doctor,
        # starts_at) index.
        ahead = Q()
        for doctor in doctors:
            ahead |= Q(doctor_id=doctor.pk, starts_at__gte=now + doctor.min_notice)
        rows = (
            Slot.objects.free(now)
            .filter(ahead, outside_schedule=False)
            .annotate(
                place=Window(
                    RowNumber(),
                    partition_by=[F("doctor_id")],
                    order_by=[F("starts_at").asc(), F("id").asc()],
                )
            )
            .filter(place__lte=count)
            .order_by("doctor_id", "starts_at", "id")
            .values_list("doctor_id", "id", "starts_at")
        )
        for doctor_id, slot_id, starts_at in rows:
            found[doctor_id].append((slot_id, starts_at))
    result = {}
    for pk, slots in found.items():
        doctor = by_id[pk]
        horizon_end = now + doctor.booking_horizon
        shown = tuple(slot for slot in slots if slot[1] < horizon_end)
        moments = [doctor.next_free_hold_ends_at]
        if shown:
            moments.append(shown[0][1] - doctor.min_notice)
        beyond = slots[len(shown) :]
        moments += [start - doctor.booking_horizon for _id, start in beyond]
        future = [moment for moment in moments if moment and moment > now]
        result[pk] = FreeTimes(shown, min(future) if future else None)
    return result

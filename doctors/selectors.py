"""Reads that span more than one model of the doctors app."""

from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, OuterRef, QuerySet, Subquery, Value

from .models import DoctorProfile

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

    # The rule of `Slot.objects.bookable(now)` (free, past the doctor's minimum
    # notice, inside their booking horizon, approved doctors only), written
    # against the outer doctor row: bookable() joins the doctor table again for
    # the notice and horizon, which keeps PostgreSQL from using the
    # (doctor, starts_at) index as a range, about 5x slower per doctor at 10,000
    # doctors. test_next_available_is_the_first_bookable_slot pins the two
    # together. The outer queryset is approved() already.
    next_slot = (
        Slot.objects.free(now)
        .filter(
            doctor=OuterRef("pk"),
            starts_at__gte=Value(now) + OuterRef("min_notice"),
            starts_at__lt=Value(now) + OuterRef("booking_horizon"),
        )
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    return (
        DoctorProfile.objects.approved()
        .select_related("user", "specialization")
        .with_follow_state(user or AnonymousUser())
        .annotate(next_available=Subquery(next_slot))
    )


# The fast path of the next-available sort reads this many bookable slots per
# doctor it needs (ties at the same time are the norm: many doctors start at
# 09:00), and never more than the cap; then it sorts every doctor instead.
NEXT_AVAILABLE_SLOTS_PER_DOCTOR = 10
NEXT_AVAILABLE_SCAN = 2000


def by_next_available(
    doctors: QuerySet[DoctorProfile],
    *,
    now: datetime,
    offset: int,
    limit: int,
    candidates: QuerySet[DoctorProfile] | None = None,
    before: datetime | None = None,
) -> list[DoctorProfile]:
    """`doctors[offset:offset + limit]` in (next_available, id) order, quickly.

    Sorting by the next free time computes it for every matching doctor (one
    index probe each: about 50 ms at 10,000 doctors). The first pages come
    faster from the other side: walk bookable slots in (starts_at, doctor)
    order and keep each doctor's first appearance, which is exactly that order.
    When the slots read do not reach the page, sort every doctor as usual.

    `doctors` is `directory(...)` filtered; when it also keeps only doctors
    free before some time, pass that time as `before` and the doctors without
    that filter as `candidates`, so the walk applies the bound itself.
    """
    from appointments.models import Slot

    wanted = offset + limit
    scan = min(NEXT_AVAILABLE_SCAN, wanted * NEXT_AVAILABLE_SLOTS_PER_DOCTOR)
    candidates = doctors if candidates is None else candidates
    slots = Slot.objects.bookable(now).filter(
        # The range lets the (starts_at) index start at now: notice is >= 0.
        starts_at__gte=now,
        doctor__in=candidates.order_by().values("pk"),
    )
    if before is not None:
        slots = slots.filter(starts_at__lt=before)
    doctor_ids = slots.order_by("starts_at", "doctor_id").values_list(
        "doctor_id", flat=True
    )[:scan]
    first_seen: dict[int, None] = {}
    for doctor_id in doctor_ids:
        first_seen.setdefault(doctor_id)
        if len(first_seen) >= wanted:
            break
    if len(first_seen) < wanted and len(doctor_ids) == scan:
        # The walk was cut short before the page: sort every doctor.
        return list(doctors.order_by(*NEXT_AVAILABLE_ORDER)[offset:wanted])
    # Either the page is complete, or the walk saw every bookable slot; with a
    # bound that is every matching doctor, without one the rest have no slot.
    page_ids = list(first_seen)[offset:wanted]
    if len(page_ids) < limit and before is None:
        return list(doctors.order_by(*NEXT_AVAILABLE_ORDER)[offset:wanted])
    found = doctors.order_by().in_bulk(page_ids)
    return [found[pk] for pk in page_ids]

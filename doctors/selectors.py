"""Reads that span more than one model of the doctors app."""

from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import OuterRef, QuerySet, Subquery, Value

from .models import DoctorProfile


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

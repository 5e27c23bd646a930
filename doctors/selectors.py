"""Reads that span more than one model of the doctors app."""

from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Case,
    DateTimeField,
    F,
    QuerySet,
    Subquery,
    Value,
    When,
)

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

"""Reads that span more than one model of the doctors app."""

from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import OuterRef, QuerySet, Subquery

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

    next_slot = (
        Slot.objects.bookable(now)
        .filter(doctor=OuterRef("pk"))
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    return (
        DoctorProfile.objects.approved()
        .select_related("user", "specialization")
        .with_follow_state(user or AnonymousUser())
        .annotate(next_available=Subquery(next_slot))
    )

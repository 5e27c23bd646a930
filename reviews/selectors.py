"""Reads for the reviews panel."""

from dataclasses import dataclass

from django.db.models import Count

from doctors.models import DoctorProfile

from .models import Review


@dataclass(frozen=True)
class RatingShare:
    stars: int
    count: int
    percent: int


def rating_distribution(*, doctor: DoctorProfile) -> list[RatingShare]:
    """How many visible reviews gave 5, 4, 3, 2 and 1 stars, with whole percentages.

    One grouped query; the rows go 5 stars first, each star present (0 when none)."""
    counts = dict(
        Review.objects.visible()
        .filter(doctor=doctor)
        .order_by()
        .values_list("rating")
        .annotate(n=Count("id"))
    )
    total = sum(counts.values())
    return [
        RatingShare(
            stars=stars,
            count=counts.get(stars, 0),
            percent=round(100 * counts.get(stars, 0) / total) if total else 0,
        )
        for stars in range(5, 0, -1)
    ]

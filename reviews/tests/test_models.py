from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from reviews.models import Review
from reviews.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("rating", [0, 6])
def test_the_database_refuses_a_rating_outside_1_to_5(rating):
    review = ReviewFactory()
    with pytest.raises(IntegrityError):
        Review.objects.filter(pk=review.pk).update(rating=rating)


def test_a_review_is_editable_for_30_days():
    review = ReviewFactory()
    assert review.is_editable(review.created_at + timedelta(days=29, hours=23))
    assert not review.is_editable(review.created_at + timedelta(days=30))


def test_visible_leaves_out_hidden_reviews():
    shown = ReviewFactory()
    ReviewFactory(is_hidden=True, hidden_reason="Spam")
    assert list(Review.objects.visible()) == [shown]


def test_sorted_by_orders_newest_highest_lowest():
    now = timezone.now()
    low = ReviewFactory(rating=1)
    high = ReviewFactory(rating=5)
    middle = ReviewFactory(rating=3)
    for days, review in enumerate([middle, high, low]):
        Review.objects.filter(pk=review.pk).update(
            created_at=now - timedelta(days=days)
        )
    assert list(Review.objects.sorted_by("newest")) == [middle, high, low]
    assert list(Review.objects.sorted_by("highest")) == [high, middle, low]
    assert list(Review.objects.sorted_by("lowest")) == [low, middle, high]
    assert list(Review.objects.sorted_by("bogus")) == [middle, high, low]

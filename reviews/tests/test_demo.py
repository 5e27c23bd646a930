import io

import pytest

from appointments.models import Appointment
from doctors.models import DoctorProfile
from reviews import demo
from reviews.models import Review
from reviews.tests.test_services import rating_of, table_aggregate

pytestmark = pytest.mark.django_db


def test_the_demo_reviews_completed_visits_with_exact_aggregates():
    import accounts.demo
    import doctors.demo

    accounts.demo.seed(io.StringIO())
    doctors.demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    reviews = Review.objects.all()
    assert reviews.count() > 20
    assert reviews.filter(is_hidden=True).count() == 1
    assert reviews.exclude(reply="").exists()
    assert not reviews.exclude(appointment__status=Appointment.Status.COMPLETED)
    for doctor in DoctorProfile.objects.filter(reviews__isnull=False).distinct():
        assert rating_of(doctor) == table_aggregate(doctor)
    # The demo patient keeps one visit to review herself.
    assert Appointment.objects.filter(
        patient__email="maria.garcia@example.com",
        status=Appointment.Status.COMPLETED,
        review__isnull=True,
    ).exists()

    before = reviews.count()
    demo.seed(io.StringIO())
    assert Review.objects.count() == before

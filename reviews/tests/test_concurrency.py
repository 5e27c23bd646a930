"""Concurrent review writes on PostgreSQL, where row locks are real."""

import random
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import QuerySet

from accounts.tests.factories import UserFactory
from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory
from reviews import services
from reviews.models import Review
from reviews.tests.test_services import rating_of, table_aggregate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
STEPS = 15


def test_concurrent_changes_keep_the_aggregates_exact(doctor, staff):
    """Many threads, each on its own connection, create, edit, delete, hide and
    unhide reviews of one doctor in lockstep; the profile ends equal to the table.
    (Without the profile lock, the last writers each miss the others' rows.)"""
    patients = [UserFactory() for _ in range(THREADS)]
    visits = {
        patient.pk: [
            AppointmentFactory(
                patient=patient,
                slot__doctor=doctor,
                status=Appointment.Status.COMPLETED,
            ).pk
            for _ in range(4)
        ]
        for patient in patients
    }
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(number: int) -> None:
        chance = random.Random(number)
        patient = patients[number]
        try:
            for _ in range(STEPS):
                start.wait()  # every step starts together: the most overlap
                reviews = list(
                    Review.objects.filter(doctor=doctor).values_list("pk", "patient_id")
                )
                mine = [pk for pk, author in reviews if author == patient.pk]
                action = chance.choice(
                    ["create", "create", "edit", "delete", "hide", "unhide"]
                )
                try:
                    if action == "create":
                        services.create(
                            patient=patient,
                            appointment_id=chance.choice(visits[patient.pk]),
                            rating=chance.randint(1, 5),
                            comment="",
                        )
                    elif action == "edit" and mine:
                        services.edit(
                            author=patient,
                            review_id=chance.choice(mine),
                            rating=chance.randint(1, 5),
                            comment="edited",
                        )
                    elif action == "delete" and mine:
                        services.delete(author=patient, review_id=chance.choice(mine))
                    elif action == "hide" and reviews:
                        services.hide(
                            staff=staff,
                            review_id=chance.choice(reviews)[0],
                            reason="Race",
                        )
                    elif action == "unhide" and reviews:
                        services.unhide(
                            staff=staff, review_id=chance.choice(reviews)[0]
                        )
                except (services.NotReviewable, services.ReviewNotFound):
                    pass  # someone else deleted it first, or it was reviewed already
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert rating_of(doctor) == table_aggregate(doctor)
    assert Review.objects.filter(doctor=doctor).exists()


@pytest.mark.parametrize("round_", range(3))
def test_two_patients_reviewing_at_once_are_both_counted(doctor, monkeypatch, round_):
    """Two patients post a review of the same doctor at the same moment. Each write
    pauses between reading the aggregate and storing it; the profile lock makes
    the second wait and count both reviews, so neither is lost."""
    patients = [UserFactory(), UserFactory()]
    visits = [
        AppointmentFactory(
            patient=patient, slot__doctor=doctor, status=Appointment.Status.COMPLETED
        )
        for patient in patients
    ]
    aggregate = QuerySet.aggregate

    def slow_aggregate(self, *args, **kwargs):
        result = aggregate(self, *args, **kwargs)
        if self.model is Review:
            time.sleep(0.5)  # between computing the rating and writing it
        return result

    monkeypatch.setattr(QuerySet, "aggregate", slow_aggregate)
    start = threading.Barrier(len(patients))
    errors: list[BaseException] = []

    def review(patient, visit, rating):
        try:
            start.wait(timeout=30)
            services.create(
                patient=patient, appointment_id=visit.pk, rating=rating, comment=""
            )
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=review, args=(patient, visit, rating))
        for patient, visit, rating in zip(patients, visits, (5, 2), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Review.objects.visible().filter(doctor=doctor).count() == 2
    assert rating_of(doctor) == table_aggregate(doctor) == (Decimal("3.50"), 2)

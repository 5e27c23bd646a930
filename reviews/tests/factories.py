import factory

from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory
from reviews.models import Review


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    appointment = factory.SubFactory(
        AppointmentFactory, status=Appointment.Status.COMPLETED
    )
    doctor = factory.SelfAttribute("appointment.doctor")
    patient = factory.SelfAttribute("appointment.patient")
    rating = 5
    comment = "Kind and thorough."

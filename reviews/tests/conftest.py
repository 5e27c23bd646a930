import pytest

from appointments.models import Appointment
from appointments.tests.factories import AppointmentFactory


@pytest.fixture
def visit(patient, doctor):
    """The patient's completed appointment with the doctor, not yet reviewed."""
    return AppointmentFactory(
        patient=patient, slot__doctor=doctor, status=Appointment.Status.COMPLETED
    )

"""The front desk and a patient online race for one time: real threads, real
row locks (PostgreSQL only)."""

import pytest

from accounts.tests.factories import StaffFactory, UserFactory
from appointments import services
from appointments.models import Appointment
from appointments.tests.factories import SlotFactory
from appointments.tests.test_races import race
from doctors.tests.factories import DoctorProfileFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(6))
def test_staff_booking_for_a_caller_and_a_patient_online_one_wins(round_):
    doctor = DoctorProfileFactory()
    slot = SlotFactory(doctor=doctor)
    staff = StaffFactory()
    caller, online = UserFactory(), UserFactory()

    def desk():
        return services.book(
            patient=caller,
            slot_id=slot.pk,
            reason="Booked on the phone",
            booked_by=staff,
        )

    def website():
        return services.book(patient=online, slot_id=slot.pk, reason="Booked online")

    jobs = [desk, website] if round_ % 2 else [website, desk]
    outcomes = [outcome for outcome, _ in race(*jobs)]
    assert sorted(outcomes) == ["ok", "refused"]
    booked = Appointment.objects.get(slot=slot)
    assert booked.patient in (caller, online)
    assert booked.booked_by == (staff if booked.patient == caller else online)
    slot.refresh_from_db()
    assert slot.is_booked

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from appointments import services as appointment_services
from appointments.schedule import refresh_next_free
from appointments.tests.factories import SlotFactory
from doctors import services
from doctors.models import DoctorProfile
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db


def test_saving_a_profile_loaded_earlier_keeps_the_counters_and_next_free_slot():
    """An edit form loads the profile, a follow and a booking land, then the form
    saves: the follow count and the stored next free slot must survive."""
    doctor = DoctorProfileFactory()
    first, second = (
        SlotFactory(doctor=doctor, starts_at=timezone.now() + dt.timedelta(days=d))
        for d in (2, 3)
    )
    refresh_next_free([doctor.pk], now=timezone.now())
    loaded_earlier = DoctorProfile.objects.get(pk=doctor.pk)

    services.follow(patient=UserFactory(), doctor=doctor)
    appointment_services.book(patient=UserFactory(), slot_id=first.pk, reason="Cough")
    loaded_earlier.bio = "New bio"
    loaded_earlier.save()

    doctor.refresh_from_db()
    assert doctor.bio == "New bio"
    assert doctor.followers_count == 1
    assert doctor.next_free_at == second.starts_at


def test_the_display_name_is_dr_and_the_full_name():
    assert DoctorProfileFactory.build(user__full_name="Ada Lee").display_name == (
        "Dr Ada Lee"
    )

import io

import pytest
from django.db.models import Count

from doctors import demo
from doctors.models import DoctorProfile, Follow, Specialization

pytestmark = pytest.mark.django_db


def test_demo_doctors_are_many_varied_and_their_counts_are_exact():
    from accounts import demo as accounts_demo

    accounts_demo.seed(io.StringIO())
    logins = demo.seed(io.StringIO())

    approved = DoctorProfile.objects.approved()
    assert Specialization.objects.count() >= 12
    assert approved.count() >= 40
    assert approved.values("specialization").distinct().count() >= 12
    assert approved.values("city").distinct().count() >= 5
    assert DoctorProfile.objects.filter(status="pending").count() == 1
    assert all(doctor.languages.exists() for doctor in approved)
    counts = dict(Follow.objects.values_list("doctor").annotate(n=Count("id")))
    assert {d.pk: d.followers_count for d in DoctorProfile.objects.all()} == {
        d.pk: counts.get(d.pk, 0) for d in DoctorProfile.objects.all()
    }
    assert len(set(counts.values())) > 10  # varied, not all the same
    role, email, password = logins[0]
    doctor = DoctorProfile.objects.get(user__email=email)
    assert role == "doctor" and doctor.is_approved
    assert doctor.user.check_password(password)
    assert doctor.user.has_role("Doctors")

    first = (Follow.objects.count(), DoctorProfile.objects.count())
    demo.seed(io.StringIO())
    assert (Follow.objects.count(), DoctorProfile.objects.count()) == first

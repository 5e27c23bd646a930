import pytest
from django.contrib.auth.models import Group

from accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_the_three_role_groups_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "Patients",
        "Doctors",
        "Clinic staff",
    }


@pytest.mark.parametrize(
    ("role", "codename"),
    [
        (Role.PATIENT, "add_follow"),
        (Role.PATIENT, "add_appointment"),
        (Role.PATIENT, "add_review"),
        (Role.DOCTOR, "change_doctorprofile"),
        (Role.DOCTOR, "add_weeklyavailability"),
        (Role.DOCTOR, "add_timeoff"),
        (Role.STAFF, "change_doctorprofile"),
        (Role.STAFF, "add_specialization"),
        (Role.STAFF, "change_appointment"),
        (Role.STAFF, "change_review"),
        (Role.STAFF, "view_user"),
    ],
)
def test_each_role_has_the_permissions_it_needs(role, codename):
    group = Group.objects.get(name=role)
    assert group.permissions.filter(codename=codename).exists()


def test_patients_cannot_manage_clinic_reference_data():
    patients = Group.objects.get(name=Role.PATIENT)
    assert not patients.permissions.filter(
        codename__in=["add_specialization", "change_doctorprofile", "change_user"]
    ).exists()


def test_create_user_puts_everyone_in_patients():
    user = User.objects.create_user("New@Example.com", "pw-123456789", full_name="N")
    assert user.email == "new@example.com"
    assert user.has_role(Role.PATIENT)

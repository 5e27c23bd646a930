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


def test_create_user_puts_everyone_in_patients():
    user = User.objects.create_user("New@Example.com", "pw-123456789", full_name="N")
    assert user.email == "new@example.com"
    assert user.has_role(Role.PATIENT)

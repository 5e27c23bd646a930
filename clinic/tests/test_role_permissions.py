"""Role groups' model permissions, through the one reader they have: the admin."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.tests.factories import StaffFactory
from accounts.tests.mfa import log_in_with_mfa
from reviews.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_pages(doctor):
    """Admin pages that Clinic staff reach only through their group's permissions
    (the admin is the one reader of model permissions: no page or API of patients
    or doctors asks for one, so those groups' permissions gate nothing)."""
    review = ReviewFactory(appointment__slot__doctor=doctor)
    return {
        "change_doctorprofile": reverse(
            "admin:doctors_doctorprofile_change", args=[doctor.pk]
        ),
        "add_specialization": reverse("admin:doctors_specialization_add"),
        "change_appointment": reverse(
            "admin:appointments_appointment_change", args=[review.appointment_id]
        ),
        "change_review": reverse("admin:reviews_review_change", args=[review.pk]),
        "view_user": reverse("admin:accounts_user_changelist"),
    }


def test_clinic_staff_reach_the_admin_pages_their_group_grants(
    staff_client, admin_pages
):
    for permission, url in admin_pages.items():
        response = staff_client.get(url)
        assert response.status_code == HTTPStatus.OK, permission
        if permission.startswith("change_"):  # an editable form, not read-only
            assert response.context["has_change_permission"], permission


def test_staff_outside_the_clinic_staff_group_are_refused_those_pages(
    client, admin_pages
):
    outsider = StaffFactory()
    outsider.groups.clear()
    log_in_with_mfa(client, outsider)
    for permission, url in admin_pages.items():
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN, permission

from http import HTTPStatus

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import StaffFactory
from accounts.tests.mfa import log_in_with_mfa
from doctors.models import DoctorProfile
from doctors.tests.factories import DoctorProfileFactory, FollowFactory
from notifications.models import Notification

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:doctors_doctorprofile_changelist")


@pytest.fixture
def admin_client(staff_client):
    """Clinic staff: not superusers, only their group's permissions."""
    return staff_client


def test_the_changelist_filters_by_status_and_searches(
    admin_client, django_assert_max_num_queries
):
    DoctorProfileFactory.create_batch(5)
    pending = DoctorProfileFactory(
        status=DoctorProfile.Status.PENDING, user__full_name="Zed Applicant"
    )

    with django_assert_max_num_queries(15):
        response = admin_client.get(CHANGELIST, {"status__exact": "pending"})
    assert list(response.context["cl"].result_list) == [pending]

    response = admin_client.get(CHANGELIST, {"q": "Zed"})
    assert list(response.context["cl"].result_list) == [pending]


def test_approving_selected_applications_calls_the_service(admin_client, doctor):
    pending = DoctorProfileFactory.create_batch(2, status=DoctorProfile.Status.PENDING)

    response = admin_client.post(
        CHANGELIST,
        {
            "action": "approve_selected",
            "index": 0,
            ACTION_CHECKBOX_NAME: [p.pk for p in pending] + [doctor.pk],
        },
        follow=True,
    )

    html = response.content.decode()
    assert "2 applications approved." in html
    assert "1 profile skipped" in html
    for profile in pending:
        profile.refresh_from_db()
        assert profile.is_approved
        assert profile.user.has_role(Role.DOCTOR)
        assert Notification.objects.filter(
            recipient=profile.user, kind=Notification.Kind.APPLICATION_APPROVED
        ).exists()


def test_rejecting_asks_for_a_reason_on_an_intermediate_page(admin_client):
    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    selected = {ACTION_CHECKBOX_NAME: [pending.pk], "action": "reject_selected"}

    page = admin_client.post(CHANGELIST, {**selected, "index": 0})
    assert page.status_code == HTTPStatus.OK
    assert "Reason for rejection" in page.content.decode()
    pending.refresh_from_db()
    assert pending.status == DoctorProfile.Status.PENDING

    empty = admin_client.post(CHANGELIST, {**selected, "reason": ""})
    assert "This field is required." in empty.content.decode()

    done = admin_client.post(
        CHANGELIST, {**selected, "reason": "License not found."}, follow=True
    )
    assert "1 application rejected." in done.content.decode()
    pending.refresh_from_db()
    assert pending.status == DoctorProfile.Status.REJECTED
    assert pending.rejection_reason == "License not found."


def test_status_counters_and_schedule_are_read_only_in_the_form(admin_client, doctor):
    response = admin_client.get(
        reverse("admin:doctors_doctorprofile_change", args=[doctor.pk])
    )
    form = response.context["adminform"].form
    # The schedule changes only where its slots (and next free one) follow.
    for name in ("status", "followers_count", "min_notice", "slot_minutes"):
        assert name not in form.fields
    assert "bio" in form.fields
    assert b"Next free slot" in response.content


@pytest.mark.parametrize(
    "name",
    [
        "admin:doctors_specialization_changelist",
        "admin:doctors_language_changelist",
        "admin:doctors_follow_changelist",
        "admin:accounts_user_changelist",
    ],
)
def test_the_other_admin_pages_load(admin_client, name):
    FollowFactory()
    response = admin_client.get(reverse(name), {"q": "a"})
    assert response.status_code == HTTPStatus.OK


def test_users_are_searched_by_email_and_name_and_filtered_by_group(
    admin_client, doctor, patient
):
    url = reverse("admin:accounts_user_changelist")
    found = admin_client.get(url, {"q": "Ada Lee"}).context["cl"].result_list
    assert list(found) == [doctor.user]
    found = admin_client.get(url, {"q": patient.email}).context["cl"].result_list
    assert list(found) == [patient]
    group = doctor.user.groups.get(name=Role.DOCTOR)
    found = admin_client.get(url, {"groups__id__exact": group.pk}).context["cl"]
    assert list(found.result_list) == [doctor.user]


def test_actions_need_the_change_permission(client):
    viewer = StaffFactory()
    viewer.groups.clear()  # not Clinic staff: may only look
    viewer.user_permissions.add(Permission.objects.get(codename="view_doctorprofile"))
    log_in_with_mfa(client, viewer)

    response = client.get(CHANGELIST)

    assert response.status_code == HTTPStatus.OK
    assert response.context["action_form"] is None  # no approve, no reject


def test_follows_cannot_be_edited_in_admin_so_counts_stay_exact(admin_client):
    follow = FollowFactory()
    assert (
        admin_client.get(reverse("admin:doctors_follow_add")).status_code
        == HTTPStatus.FORBIDDEN
    )
    response = admin_client.post(
        reverse("admin:doctors_follow_delete", args=[follow.pk]), {"post": "yes"}
    )
    assert response.status_code == HTTPStatus.FORBIDDEN

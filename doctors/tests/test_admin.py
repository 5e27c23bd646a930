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


# --- Approve and reject from a profile's page ----------------------------------------


def change_url(profile) -> str:
    return reverse("admin:doctors_doctorprofile_change", args=[profile.pk])


def test_a_pending_profile_page_offers_approve_and_reject(admin_client):
    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    html = admin_client.get(change_url(pending)).content.decode()
    assert "This application waits for review" in html
    approve = reverse("admin:doctors_doctorprofile_approve", args=[pending.pk])
    assert f'action="{approve}"' in html
    assert reverse("admin:doctors_doctorprofile_reject", args=[pending.pk]) in html


def test_an_approved_profile_page_offers_neither(admin_client, doctor):
    html = admin_client.get(change_url(doctor)).content.decode()
    assert "review-box" not in html


def test_approving_from_the_page_calls_the_service_and_logs_it(admin_client):
    from django.contrib.admin.models import LogEntry

    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    url = reverse("admin:doctors_doctorprofile_approve", args=[pending.pk])
    assert admin_client.get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    response = admin_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == change_url(pending)
    assert "1 application approved." in response.content.decode()
    pending.refresh_from_db()
    assert pending.is_approved
    assert pending.user.has_role(Role.DOCTOR)
    assert Notification.objects.filter(
        recipient=pending.user, kind=Notification.Kind.APPLICATION_APPROVED
    ).exists()
    entry = LogEntry.objects.get(object_id=str(pending.pk))
    assert entry.change_message == "Approved the application."
    # Twice: the service refuses, the page says so.
    again = admin_client.post(url, follow=True)
    assert "1 profile skipped: it was not pending." in again.content.decode()


def test_rejecting_from_the_page_asks_for_a_reason(admin_client):
    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    url = reverse("admin:doctors_doctorprofile_reject", args=[pending.pk])
    page = admin_client.get(url)
    assert "Reason for rejection" in page.content.decode()
    empty = admin_client.post(url, {"reason": ""})
    assert "This field is required." in empty.content.decode()
    pending.refresh_from_db()
    assert pending.status == DoctorProfile.Status.PENDING
    done = admin_client.post(url, {"reason": "License not found."}, follow=True)
    assert done.redirect_chain[-1][0] == change_url(pending)
    assert "1 application rejected." in done.content.decode()
    pending.refresh_from_db()
    assert pending.status == DoctorProfile.Status.REJECTED
    assert pending.rejection_reason == "License not found."
    assert Notification.objects.filter(
        recipient=pending.user, kind=Notification.Kind.APPLICATION_REJECTED
    ).exists()


def test_approve_and_reject_need_the_change_permission(client):
    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    viewer = StaffFactory()
    viewer.groups.clear()  # not Clinic staff: may only look at profiles
    viewer.user_permissions.add(Permission.objects.get(codename="view_doctorprofile"))
    log_in_with_mfa(client, viewer)
    html = client.get(change_url(pending)).content.decode()
    assert "review-box" not in html
    for name in ("approve", "reject"):
        url = reverse(f"admin:doctors_doctorprofile_{name}", args=[pending.pk])
        assert client.post(url, {"reason": "x"}).status_code == HTTPStatus.FORBIDDEN
    pending.refresh_from_db()
    assert pending.status == DoctorProfile.Status.PENDING


def test_approve_and_reject_unknown_profiles_are_404(admin_client):
    for name in ("approve", "reject"):
        url = reverse(f"admin:doctors_doctorprofile_{name}", args=[987654])
        assert admin_client.post(url).status_code == HTTPStatus.NOT_FOUND


def test_approve_is_for_signed_in_staff_only(client, patient):
    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    url = reverse("admin:doctors_doctorprofile_approve", args=[pending.pk])
    assert client.post(url).status_code == HTTPStatus.FOUND  # to log in
    client.force_login(patient)
    client.post(url)
    pending.refresh_from_db()
    assert pending.status == DoctorProfile.Status.PENDING


def test_durations_read_as_people_say_them(admin_client):
    import datetime as dt

    profile = DoctorProfileFactory(
        min_notice=dt.timedelta(hours=2), booking_horizon=dt.timedelta(days=60)
    )
    html = admin_client.get(change_url(profile)).content.decode()
    assert '<div class="readonly">2 h</div>' in html
    assert '<div class="readonly">60 days</div>' in html
    assert "2:00:00" not in html
    assert "60 days, 0:00:00" not in html

import random
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count

from accounts.models import Role
from accounts.tests.factories import UserFactory
from doctors import services
from doctors.models import DoctorProfile, Follow
from doctors.tests.factories import (
    DoctorProfileFactory,
    FollowFactory,
    LanguageFactory,
    SpecializationFactory,
)
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def application_fields(**overrides) -> dict:
    return {
        "specialization": SpecializationFactory(),
        "license_number": "LIC-42",
        "bio": "Careful and kind.",
        "qualifications": "MD",
        "years_of_experience": 7,
        "languages": [LanguageFactory(), LanguageFactory()],
        "clinic_name": "Lee Practice",
        "address": "2 High Street",
        "city": "Berlin",
        "consultation_fee": Decimal("80.00"),
        "timezone": "Europe/Berlin",
        **overrides,
    }


def assert_count_is_exact(doctor: DoctorProfile) -> None:
    doctor.refresh_from_db()
    assert doctor.followers_count == Follow.objects.filter(doctor=doctor).count()


# --- Applying and reviewing ------------------------------------------------------


def test_applying_creates_a_pending_profile_with_a_slug_from_the_name():
    user = UserFactory(full_name="Ada Lee")
    profile = services.apply(user=user, **application_fields())

    assert profile.status == DoctorProfile.Status.PENDING
    assert profile.slug == "ada-lee"
    assert profile.languages.count() == 2
    assert not user.has_role(Role.DOCTOR)
    assert profile not in DoctorProfile.objects.approved()


def test_slugs_are_unique_and_never_a_reserved_word():
    first = services.apply(
        user=UserFactory(full_name="Ada Lee"), **application_fields()
    )
    second = services.apply(
        user=UserFactory(full_name="Ada  Lee"), **application_fields()
    )
    me = services.apply(user=UserFactory(full_name="Me"), **application_fields())
    apply = services.apply(user=UserFactory(full_name="Apply"), **application_fields())

    assert (first.slug, second.slug) == ("ada-lee", "ada-lee-2")
    assert me.slug == "me-2"
    assert apply.slug == "apply-2"


def test_a_name_without_latin_letters_still_gets_a_slug():
    profile = services.apply(user=UserFactory(full_name="李明"), **application_fields())
    assert profile.slug == "doctor"


def test_applying_twice_is_refused():
    user = UserFactory()
    services.apply(user=user, **application_fields())
    with pytest.raises(services.AlreadyApplied):
        services.apply(user=user, **application_fields())


def test_application_then_approval_puts_the_user_in_doctors_and_makes_it_public(
    staff, django_capture_on_commit_callbacks, mailoutbox
):
    user = UserFactory(full_name="Ada Lee")
    profile = services.apply(user=user, **application_fields())

    with django_capture_on_commit_callbacks(execute=True):
        approved = services.approve(profile=profile, by=staff)

    assert approved.status == DoctorProfile.Status.APPROVED
    assert approved.reviewed_at is not None
    assert user.has_role(Role.DOCTOR)
    assert DoctorProfile.objects.approved().filter(pk=profile.pk).exists()
    notification = Notification.objects.get(recipient=user)
    assert notification.kind == Notification.Kind.APPLICATION_APPROVED
    assert notification.link == approved.get_absolute_url()
    assert mailoutbox and mailoutbox[0].to == [user.email]


def test_approving_an_approved_profile_is_refused(staff, doctor):
    with pytest.raises(services.InvalidTransition):
        services.approve(profile=doctor, by=staff)


def test_rejection_keeps_the_profile_hidden_and_tells_the_applicant_why(staff):
    profile = services.apply(user=UserFactory(), **application_fields())

    rejected = services.reject(
        profile=profile, by=staff, reason="The license number is not valid."
    )

    assert rejected.status == DoctorProfile.Status.REJECTED
    assert rejected.rejection_reason == "The license number is not valid."
    assert not rejected.user.has_role(Role.DOCTOR)
    assert not DoctorProfile.objects.approved().filter(pk=profile.pk).exists()
    notification = Notification.objects.get(recipient=profile.user)
    assert notification.kind == Notification.Kind.APPLICATION_REJECTED
    assert "The license number is not valid." in notification.message


def test_rejection_needs_a_reason_and_a_pending_profile(staff, doctor):
    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    with pytest.raises(ValueError):
        services.reject(profile=pending, by=staff, reason="   ")
    with pytest.raises(services.InvalidTransition):
        services.reject(profile=doctor, by=staff, reason="No.")


def test_a_rejected_applicant_can_fix_and_resubmit(staff):
    user = UserFactory()
    profile = services.apply(user=user, **application_fields())
    services.reject(profile=profile, by=staff, reason="Add your license.")

    again = services.apply(user=user, **application_fields(license_number="LIC-7"))

    assert again.pk == profile.pk
    assert again.slug == profile.slug
    assert again.status == DoctorProfile.Status.PENDING
    assert again.rejection_reason == ""
    assert again.license_number == "LIC-7"


# --- Following -------------------------------------------------------------------


def test_following_adds_one_follower_and_notifies_the_doctor(patient, doctor):
    assert services.follow(patient=patient, doctor=doctor) is True

    doctor.refresh_from_db()
    assert doctor.followers_count == 1
    assert Follow.objects.filter(patient=patient, doctor=doctor).exists()
    notification = Notification.objects.get(recipient=doctor.user)
    assert notification.kind == Notification.Kind.FOLLOWED
    assert patient.public_name in notification.message


def test_following_twice_is_a_no_op(patient, doctor):
    services.follow(patient=patient, doctor=doctor)
    assert services.follow(patient=patient, doctor=doctor) is False

    doctor.refresh_from_db()
    assert doctor.followers_count == 1
    assert Notification.objects.filter(recipient=doctor.user).count() == 1


def test_a_doctor_cannot_follow_their_own_profile(doctor):
    with pytest.raises(services.CannotFollowSelf):
        services.follow(patient=doctor.user, doctor=doctor)
    assert_count_is_exact(doctor)
    assert doctor.followers_count == 0


def test_a_pending_doctor_cannot_be_followed(patient):
    pending = DoctorProfileFactory(status=DoctorProfile.Status.PENDING)
    with pytest.raises(services.NotFollowable):
        services.follow(patient=patient, doctor=pending)
    assert not Follow.objects.exists()


def test_unfollowing_removes_one_follower_and_twice_is_a_no_op(patient, doctor):
    services.follow(patient=patient, doctor=doctor)

    assert services.unfollow(patient=patient, doctor=doctor) is True
    assert services.unfollow(patient=patient, doctor=doctor) is False

    assert_count_is_exact(doctor)
    assert doctor.followers_count == 0


def test_a_doctor_may_follow_other_doctors(doctor):
    other = DoctorProfileFactory()
    services.follow(patient=doctor.user, doctor=other)
    assert_count_is_exact(other)
    assert other.followers_count == 1


def test_followers_count_stays_exact_through_interleaved_follows_and_unfollows():
    doctors = DoctorProfileFactory.create_batch(3)
    patients = UserFactory.create_batch(6)
    FollowFactory(patient=patients[0], doctor=doctors[0])  # factory: no counter
    DoctorProfile.objects.filter(pk=doctors[0].pk).update(followers_count=1)
    rng = random.Random(7)

    for _step in range(300):
        action = rng.choice([services.follow, services.unfollow])
        action(patient=rng.choice(patients), doctor=rng.choice(doctors))

    counts = dict(Follow.objects.values_list("doctor").annotate(n=Count("id")))
    for doctor in doctors:
        doctor.refresh_from_db()
        assert doctor.followers_count == counts.get(doctor.pk, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_followers_count_stays_exact_under_concurrent_threads():
    """Real connections racing on PostgreSQL: each thread follows and unfollows the
    same doctors many times; the counter must equal COUNT(*) at the end."""
    doctors = DoctorProfileFactory.create_batch(2)
    patients = UserFactory.create_batch(8)
    errors = []
    barrier = threading.Barrier(len(patients))

    def worker(patient, seed):
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _step in range(40):
                action = rng.choice([services.follow, services.unfollow])
                # Several threads share each patient's rows too: duplicates race.
                action(
                    patient=rng.choice(patients[:3] + [patient]),
                    doctor=rng.choice(doctors),
                )
        except Exception as error:  # reported below, never swallowed
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(patient, seed))
        for seed, patient in enumerate(patients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    for doctor in doctors:
        assert_count_is_exact(doctor)

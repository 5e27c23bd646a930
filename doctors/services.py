"""Writes of the doctors app: applying, reviewing applications, following."""

import datetime as dt
import logging
from http import HTTPStatus
from typing import Any

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.errors import Refusal
from accounts.models import Role, User
from notifications.models import Notification
from notifications.services import notify

from . import cache
from .models import DoctorProfile, Follow, FollowNotice

logger = logging.getLogger(__name__)

# Path segments under /doctors/ that are pages, never a doctor's slug.
RESERVED_SLUGS = frozenset(
    {"me", "apply", "edit", "new", "follow", "unfollow", "following", "search"}
)


class AlreadyApplied(Refusal):
    """The user already has a pending or approved doctor profile."""

    code = "already_applied"
    default_message = gettext_lazy(
        "You already have a pending or approved application."
    )


class InvalidTransition(Refusal):
    """The application is not in a state that allows this review step."""

    code = "transition_refused"
    default_message = gettext_lazy("This application was already decided.")


class CannotFollowSelf(Refusal):
    """A doctor tried to follow their own profile."""

    status = HTTPStatus.FORBIDDEN
    code = "permission_denied"
    default_message = gettext_lazy("You cannot follow your own profile.")


class NotFollowable(Refusal):
    """Only approved doctors can be followed."""

    status = HTTPStatus.NOT_FOUND
    code = "not_found"


def unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    """A slug from the doctor's name, unique among profiles, never a reserved word."""
    base = slugify(name)[:100] or "doctor"
    taken = DoctorProfile.objects.filter(slug__startswith=base)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    taken_slugs = set(taken.values_list("slug", flat=True)) | RESERVED_SLUGS
    candidate, number = base, 1
    while candidate in taken_slugs:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


@transaction.atomic
def apply(*, user: User, **fields: Any) -> DoctorProfile:
    """Create the user's doctor application (pending), or resubmit a rejected one.

    `fields` are DoctorProfile fields; `languages` is an iterable of Language rows.
    Raises AlreadyApplied when the user has a pending or approved profile."""
    languages = list(fields.pop("languages", []))
    profile = DoctorProfile.objects.select_for_update().filter(user=user).first()
    if profile is not None and profile.status != DoctorProfile.Status.REJECTED:
        raise AlreadyApplied
    if profile is None:
        profile = DoctorProfile(user=user)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.status = DoctorProfile.Status.PENDING
    profile.rejection_reason = ""
    profile.reviewed_at = None
    for _attempt in range(5):
        if not profile.slug:
            profile.slug = unique_slug(user.full_name or user.email.split("@")[0])
        try:
            # A savepoint: two applicants with the same name may race for a slug.
            with transaction.atomic():
                profile.save()
            break
        except IntegrityError:
            if DoctorProfile.objects.filter(user=user).exclude(pk=profile.pk).exists():
                raise AlreadyApplied from None
            profile.slug = ""
    else:  # pragma: no cover - five collisions in a row
        raise IntegrityError("Could not find a free slug")
    profile.languages.set(languages)
    return profile


def _lock_for_review(profile: DoctorProfile, allowed: set[str]) -> DoctorProfile:
    locked = (
        DoctorProfile.objects.select_for_update()
        .select_related("user")
        .get(pk=profile.pk)
    )
    if locked.status not in allowed:
        raise InvalidTransition
    return locked


@transaction.atomic
def approve(*, profile: DoctorProfile, by: User) -> DoctorProfile:
    """Approve a pending (or previously rejected) application: the profile becomes
    public and its user joins the Doctors group; the applicant is notified.

    Raises InvalidTransition when the profile is already approved."""
    allowed = {DoctorProfile.Status.PENDING, DoctorProfile.Status.REJECTED}
    locked = _lock_for_review(profile, allowed)
    now = timezone.now()
    updated = DoctorProfile.objects.filter(pk=locked.pk, status=locked.status).update(
        status=DoctorProfile.Status.APPROVED,
        reviewed_at=now,
        rejection_reason="",
        updated_at=now,
    )
    if not updated:  # pragma: no cover - the row lock makes this unreachable
        raise InvalidTransition
    cache.bump_on_commit([locked.pk])
    locked.user.groups.add(Group.objects.get_or_create(name=Role.DOCTOR)[0])
    locked.refresh_from_db()
    logger.info("Doctor profile %s approved by %s", locked.pk, by.pk)
    notify(
        recipient=locked.user,
        kind=Notification.Kind.APPLICATION_APPROVED,
        message=_("Your doctor application was approved: your profile is public."),
        link=locked.get_absolute_url(),
        email_context={"profile": locked},
    )
    return locked


@transaction.atomic
def reject(*, profile: DoctorProfile, by: User, reason: str) -> DoctorProfile:
    """Reject a pending application with a reason the applicant sees.

    Raises InvalidTransition unless the profile is pending; ValueError without a
    reason."""
    reason = reason.strip()
    if not reason:
        raise ValueError("A rejection needs a reason.")
    locked = _lock_for_review(profile, {DoctorProfile.Status.PENDING})
    now = timezone.now()
    DoctorProfile.objects.filter(pk=locked.pk, status=locked.status).update(
        status=DoctorProfile.Status.REJECTED,
        reviewed_at=now,
        rejection_reason=reason,
        updated_at=now,
    )
    cache.bump_on_commit([locked.pk])
    locked.refresh_from_db()
    logger.info("Doctor profile %s rejected by %s", locked.pk, by.pk)
    message = _("Your doctor application was not approved. Reason: %(reason)s") % {
        "reason": reason
    }
    notify(
        recipient=locked.user,
        kind=Notification.Kind.APPLICATION_REJECTED,
        message=Truncator(message).chars(300),
        link=reverse("doctors:application"),
        email_context={"profile": locked, "reason": reason},
    )
    return locked


@transaction.atomic
def follow(*, patient: User, doctor: DoctorProfile) -> bool:
    """Make `patient` follow an approved doctor. Following twice is a no-op.

    Returns True when a Follow row was created; followers_count moves by one in
    the same transaction only then, and the doctor is notified.
    Raises CannotFollowSelf for the doctor's own profile, NotFollowable unless the
    doctor is approved."""
    if doctor.user_id == patient.pk:
        raise CannotFollowSelf
    # The doctor's row lock serialises every follow and unfollow of this doctor,
    # so "is there a row?" and the counter update cannot interleave with another.
    if not DoctorProfile.objects.approved().lock([doctor.pk]):
        raise NotFollowable
    _follow, created = Follow.objects.get_or_create(patient=patient, doctor=doctor)
    if created:
        DoctorProfile.objects.filter(pk=doctor.pk).update(
            followers_count=F("followers_count") + 1
        )
        cache.bump_on_commit([doctor.pk])
        if _first_follow_notice_today(patient=patient, doctor=doctor):
            notify(
                recipient=doctor.user,
                kind=Notification.Kind.FOLLOWED,
                message=_("%(name)s started following you.")
                % {"name": patient.public_name},
                link=doctor.get_absolute_url(),
            )
    return created


# Following again after unfollowing tells the doctor at most this often.
FOLLOW_NOTICE_INTERVAL = dt.timedelta(days=1)


def _first_follow_notice_today(*, patient: User, doctor: DoctorProfile) -> bool:
    """Record a follow notice unless one went out within FOLLOW_NOTICE_INTERVAL.
    Called under the doctor's row lock, which serialises it per doctor."""
    now = timezone.now()
    if FollowNotice.objects.filter(
        patient=patient, doctor=doctor, sent_at__lte=now - FOLLOW_NOTICE_INTERVAL
    ).update(sent_at=now):
        return True
    _notice, created = FollowNotice.objects.get_or_create(
        patient=patient, doctor=doctor, defaults={"sent_at": now}
    )
    return created


@transaction.atomic
def unfollow(*, patient: User, doctor: DoctorProfile) -> bool:
    """Stop following. Unfollowing a doctor one does not follow is a no-op.

    Returns True when a Follow row was deleted (followers_count then drops by one
    in the same transaction)."""
    DoctorProfile.objects.lock([doctor.pk])
    deleted, _rows = Follow.objects.filter(patient=patient, doctor=doctor).delete()
    if deleted:
        DoctorProfile.objects.filter(pk=doctor.pk).update(
            followers_count=F("followers_count") - 1
        )
        cache.bump_on_commit([doctor.pk])
    return bool(deleted)

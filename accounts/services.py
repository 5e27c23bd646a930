"""Account writes that reach beyond one form's save."""

from http import HTTPStatus

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from .errors import Refusal
from .forms import delete_files_on_commit, replace_avatar
from .models import Role, User


@transaction.atomic
def remove_avatar(*, user: User) -> bool:
    """Clear `user`'s profile picture and thumbnail; the files are deleted once
    the transaction commits. Returns False when there was no picture to remove."""
    if not (user.avatar or user.avatar_thumbnail):
        return False
    old_files = replace_avatar(user, None)
    user.save(update_fields=["avatar", "avatar_thumbnail"])
    delete_files_on_commit(old_files)
    return True


class EmailTaken(Refusal):
    """The address belongs to an account already: find that person instead."""

    status = HTTPStatus.CONFLICT
    code = "email_taken"
    field = "email"
    default_message = _(
        "An account with this email address exists already: search for the "
        "patient by it instead."
    )


@transaction.atomic
def register_patient(*, full_name: str, phone: str, email: str | None = None) -> User:
    """Open an account for a caller who has none (the front desk, on the phone).

    The account has no usable password, so nobody can log in to it until the
    person claims it: by signing up, or by resetting the password, with `email`
    (optional: without one only the front desk can book for them, until they add
    it at the desk). Patients group, like every sign-up. Raises EmailTaken."""
    email = User.objects.normalize_email(email or "").lower() or None
    if email and User.objects.filter(email__iexact=email).exists():
        raise EmailTaken
    user = User(full_name=full_name, phone=phone, email=email)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # the same address registered a moment ago
        raise EmailTaken from None
    user.groups.add(Group.objects.get_or_create(name=Role.PATIENT)[0])
    return user


@transaction.atomic
def claim(*, email: str, full_name: str, password: str, zone: str) -> User | None:
    """Give the person signing up with `email` the account the front desk opened
    for them (`User.objects.unclaimed`), with their name, zone and password, and
    keep its appointments and phone. None when no unclaimed account has that
    address. The address still has to be verified before anyone logs in, as for
    any sign-up, so typing someone's address claims nothing usable."""
    user = (
        User.objects.unclaimed().select_for_update().filter(email__iexact=email).first()
    )
    if user is None:
        return None
    user.full_name = full_name or user.full_name
    user.timezone = zone or user.timezone
    user.set_password(password)
    user.save(update_fields=["full_name", "timezone", "password"])
    return user

"""Claiming an account the front desk opened for a caller (allauth's forms).

Kept apart from accounts.forms: allauth builds its sign-up form on top of
accounts.forms.SignupForm, so that module cannot import allauth's forms."""

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ResetPasswordKeyForm, SignupForm
from allauth.account.models import EmailAddress
from allauth.account.utils import setup_user_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from . import services
from .models import User


class ClaimingSignupForm(SignupForm):
    """Signing up with the address of an unclaimed account takes that account
    over (its appointments, its phone) instead of answering "already exists"."""

    unclaimed = False

    def validate_unique_email(self, value: str) -> str:
        self.unclaimed = User.objects.unclaimed().filter(email__iexact=value).exists()
        if self.unclaimed:
            return value
        return super().validate_unique_email(value)

    def try_save(self, request):
        if self.unclaimed:
            email = self.cleaned_data["email"]
            with transaction.atomic():
                user = services.claim(
                    email=email,
                    full_name=self.cleaned_data["full_name"],
                    password=self.cleaned_data["password1"],
                    zone=self.cleaned_data["timezone"],
                )
                if user is not None:
                    # Unverified, like any sign-up: the confirmation mail goes out
                    # and nobody logs in before the address is proven.
                    setup_user_email(request, user, [EmailAddress(email=email)])
                    return user, None
            # Claimed a moment ago by someone else: an ordinary "already exists".
            self.account_already_exists = True
        return super().try_save(request)


class ClaimingResetPasswordKeyForm(ResetPasswordKeyForm):
    """A reset link opened proves the address it was mailed to: an account the
    front desk opened gets its address verified, so its owner logs in right
    after choosing a password."""

    @transaction.atomic
    def save(self) -> None:
        user = self.user
        unclaimed = User.objects.unclaimed().filter(pk=user.pk).exists()
        super().save()
        if unclaimed and user.email:
            EmailAddress.objects.update_or_create(
                user=user,
                email=user.email,
                defaults={"verified": True, "primary": True},
            )


class LoginForm(AllauthLoginForm):
    """allauth's log-in form in the site's words ("Remember me", not "Remember
    Me"); here beside the other allauth forms for the same import reason."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields["remember"].label = _("Remember me")

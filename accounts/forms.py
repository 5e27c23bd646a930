import re
from datetime import date
from functools import partial

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .images import ProcessedAvatar, process_avatar
from .models import User
from .timezones import canonical, canonical_zones, detected_zone

PHONE_RE = re.compile(r"\+?[0-9][0-9 ()./-]{5,30}")


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form (allauth calls `signup`)."""

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    # The browser's zone, filled in by static/js/timezone.js (no question to
    # answer); UTC without JavaScript. Changed later on the profile page.
    timezone = forms.CharField(
        required=False,
        widget=forms.HiddenInput(attrs={"data-detect-timezone": ""}),
    )

    field_order = ["full_name", "email", "password1", "password2", "timezone"]

    def clean_timezone(self) -> str:
        return detected_zone(self.cleaned_data.get("timezone"))

    def signup(self, request, user) -> None:
        user.full_name = self.cleaned_data["full_name"]
        user.timezone = self.cleaned_data["timezone"]
        user.save(update_fields=["full_name", "timezone"])


class ProfileForm(forms.ModelForm):
    """The signed-in user's own details and avatar (the email lives in allauth)."""

    avatar = forms.FileField(
        label=_("Profile picture"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG, PNG or WebP, up to 5 MB and 4000×4000 pixels."),
    )

    class Meta:
        model = User
        fields = ["full_name", "phone", "date_of_birth", "timezone"]
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "date_of_birth": forms.DateInput(
                attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.timezone
        if stored and stored not in canonical_zones():
            # Chosen from the old, longer list: an alias shows (and saves) as the
            # zone it stands for; a zone with no listed equivalent stays on offer.
            listed = canonical(stored)
            if listed:
                self.initial["timezone"] = listed
            else:
                field = self.fields["timezone"]
                field.choices = [*field.choices, (_("Other"), [(stored, stored)])]

    def _get_validation_exclusions(self):
        # The field's own choices (above) decide; the model's list would refuse a
        # zone kept from the old list that the person did not change.
        return {*super()._get_validation_exclusions(), "timezone"}

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise forms.ValidationError(_("Enter your name."), code="required")
        return name

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not PHONE_RE.fullmatch(phone):
            raise forms.ValidationError(
                _("Enter a phone number of digits, spaces and an optional +."),
                code="invalid_phone",
            )
        return phone

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born is not None and not (date(1900, 1, 1) <= born <= timezone.localdate()):
            raise forms.ValidationError(
                _("Enter a date of birth between 1900 and today."), code="invalid"
            )
        return born

    def clean_avatar(self) -> ProcessedAvatar | None:
        upload = self.cleaned_data.get("avatar")
        return process_avatar(upload) if upload else None

    def save(self, commit: bool = True) -> User:
        """Save the details; a new avatar replaces the old files (deleted on commit)."""
        user = super().save(commit=False)
        avatar: ProcessedAvatar | None = self.cleaned_data.get("avatar")
        old_files = []
        if avatar is not None:
            old_files = replace_avatar(user, avatar)
        if commit:
            user.save()
            delete_files_on_commit(old_files)
        return user


def replace_avatar(user: User, avatar: ProcessedAvatar | None) -> list:
    """Put the new picture and thumbnail on `user` (unsaved); return the old files."""
    old_files = [f for f in (user.avatar, user.avatar_thumbnail) if f]
    old = [(f.storage, f.name) for f in old_files]
    if avatar is None:
        user.avatar = ""
        user.avatar_thumbnail = ""
    else:
        user.avatar.save(avatar.image.name, avatar.image, save=False)
        user.avatar_thumbnail.save(avatar.thumbnail.name, avatar.thumbnail, save=False)
    return old


def delete_files_on_commit(files: list) -> None:
    for storage, name in files:
        transaction.on_commit(partial(storage.delete, name))


class PatientRegistrationForm(forms.Form):
    """The front desk opens an account for a caller who has none."""

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text=_("The clinic calls this number about the visit."),
    )
    email = forms.EmailField(
        label=_("Email (optional)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "With an address the patient gets the confirmation by email, and can "
            "later sign up or reset the password with it to use the site."
        ),
    )

    # The profile's checks: one phone format for the whole site.
    clean_full_name = ProfileForm.clean_full_name
    clean_phone = ProfileForm.clean_phone

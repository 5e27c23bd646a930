from django import forms
from django.utils.translation import gettext_lazy as _

from .timezones import timezone_choices


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form (allauth calls `signup`)."""

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=timezone_choices,
        initial="UTC",
        help_text=_("Appointment times are shown in this zone."),
    )

    field_order = ["full_name", "email", "password1", "password2", "timezone"]

    def signup(self, request, user) -> None:
        user.full_name = self.cleaned_data["full_name"]
        user.timezone = self.cleaned_data["timezone"]
        user.save(update_fields=["full_name", "timezone"])

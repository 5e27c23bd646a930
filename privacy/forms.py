from django import forms
from django.utils.translation import gettext_lazy as _


class CloseAccountForm(forms.Form):
    """Closing an account asks for the password once more: a session left open
    on a shared computer must not be enough."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("That is not your password."), code="wrong_password"
            )
        return password

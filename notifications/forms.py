from django import forms

from .models import EmailPreference
from .services import EMAIL_KINDS


class EmailPreferencesForm(forms.Form):
    """One "send me an email" checkbox per kind that can email (in-app is always on).

    A kind without a saved choice starts ticked: email is on by default."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        saved = dict(
            EmailPreference.objects.filter(user=user).values_list("kind", "enabled")
        )
        for kind in EMAIL_KINDS:
            self.fields[kind.value] = forms.BooleanField(
                label=kind.label, required=False, initial=saved.get(kind.value, True)
            )

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EmailPreference, Notification, OptOut
from .services import EMAIL_KINDS, OPTIONAL_KINDS

# What the on/off box of each optional kind says.
OPTIONAL_LABELS = {
    Notification.Kind.APPOINTMENT_REMINDER: _(
        "Remind me before my visits (in the inbox and by email)"
    ),
}


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


class OptOutForm(forms.Form):
    """One "tell me at all" checkbox per kind that can be switched off entirely.

    Field names are the kinds, prefixed (`optional-<kind>`) to sit beside the
    email form on one page."""

    prefix = "optional"

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        off = set(OptOut.objects.filter(user=user).values_list("kind", flat=True))
        for kind in OPTIONAL_KINDS:
            self.fields[kind.value] = forms.BooleanField(
                label=OPTIONAL_LABELS.get(kind, kind.label),
                required=False,
                initial=kind.value not in off,
            )

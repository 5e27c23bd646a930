import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .schedule_forms import DATE_WIDGET

# How far ahead a patient may wait.
LONGEST_WAIT = dt.timedelta(days=365)


class WaitlistForm(forms.Form):
    until = forms.DateField(
        label=_("Tell me about times up to"),
        widget=DATE_WIDGET,
        help_text=_("We stop telling you after this date, or once you book."),
    )

    def __init__(self, *args, zone, now: dt.datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = (now or timezone.now()).astimezone(zone).date()

    def clean_until(self) -> dt.date:
        until = self.cleaned_data["until"]
        if until < self.today:
            raise forms.ValidationError(
                _("This date has passed: choose today or a later one."),
                code="in_the_past",
            )
        if until > self.today + LONGEST_WAIT:
            raise forms.ValidationError(
                _("Choose a date within a year."), code="too_far"
            )
        return until

from django import forms
from django.utils.translation import gettext_lazy as _

REASON_MIN, REASON_MAX = 10, 500


class BookingForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the visit"),
        min_length=REASON_MIN,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": REASON_MAX}),
        help_text=_(
            "What brings you in? %(min)d–%(max)d characters; only your doctor sees it."
        )
        % {"min": REASON_MIN, "max": REASON_MAX},
        error_messages={
            "required": _("Please tell the doctor why you are coming."),
            "min_length": _(
                "Please write at least %(limit_value)d characters "
                "(you wrote %(show_value)d)."
            ),
            "max_length": _(
                "Please keep it to %(limit_value)d characters "
                "(you wrote %(show_value)d)."
            ),
        },
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX}),
    )

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.required = reason_required
        if reason_required:
            field.help_text = _("The patient will see this.")
            field.error_messages["required"] = _(
                "Please tell the patient why (they will see this)."
            )
        else:
            field.label = _("Reason (optional)")


class RescheduleForm(forms.Form):
    # An id, not a ModelChoiceField: a time taken meanwhile must reach the service
    # and come back as "just taken" (409), not as an invalid choice.
    slot = forms.IntegerField(
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={"required": _("Please pick a new time.")},
    )
    reason = forms.CharField(
        label=_("Message to the patient (optional)"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": REASON_MAX}),
        help_text=_("Why it moves; the patient reads it with the new time."),
    )

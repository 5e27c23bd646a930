from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import DoctorProfile, Language

PROFILE_FIELDS = [
    "bio",
    "qualifications",
    "years_of_experience",
    "languages",
    "clinic_name",
    "address",
    "city",
    "consultation_fee",
]


class DoctorProfileForm(forms.ModelForm):
    """What an approved doctor edits on their public profile."""

    languages = forms.ModelMultipleChoiceField(
        label=_("Languages"),
        queryset=Language.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The languages you consult in."),
    )

    class Meta:
        model = DoctorProfile
        fields = PROFILE_FIELDS
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 5}),
            "qualifications": forms.Textarea(attrs={"rows": 3}),
            "address": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
        }
        help_texts = {
            "bio": _("Shown on your public page: how you work with patients."),
            "qualifications": _("Degrees, board certifications, one per line."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consultation_fee"].help_text = _(
            "The price of one consultation, in %(currency)s."
        ) % {"currency": settings.CLINIC_CURRENCY}

    def clean_city(self) -> str:
        # One spelling per city keeps the directory's city filter tidy.
        return " ".join(self.cleaned_data["city"].split()).title()


class ApplicationForm(DoctorProfileForm):
    """A user's application to be listed as a doctor."""

    class Meta(DoctorProfileForm.Meta):
        # The zone is set once here; approved doctors change it on their
        # availability page, whose save regenerates their slots.
        fields = ["specialization", "license_number", *PROFILE_FIELDS, "timezone"]
        help_texts = {
            **DoctorProfileForm.Meta.help_texts,
            "license_number": _("Your medical license number; staff verify it."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialization"].empty_label = _("Choose a specialization")
        self.fields["license_number"].widget.attrs["autocomplete"] = "off"

    def clean_license_number(self) -> str:
        return self.cleaned_data["license_number"].strip().upper()


class RejectionForm(forms.Form):
    """The reason staff give when rejecting applications (shown to the applicant)."""

    reason = forms.CharField(
        label=_("Reason for rejection"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=250,
        help_text=_("The applicant sees this, so say what to fix."),
    )

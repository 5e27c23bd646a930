from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Review

RATING_CHOICES = [
    (5, _("5 stars – Excellent")),
    (4, _("4 stars – Very good")),
    (3, _("3 stars – Good")),
    (2, _("2 stars – Fair")),
    (1, _("1 star – Poor")),
]


class ReviewForm(forms.ModelForm):
    """Rating 1–5 (radio buttons, required) and an optional plain-text comment."""

    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a rating from 1 to 5 stars."),
            "invalid_choice": _("Choose a rating from 1 to 5 stars."),
        },
    )
    comment = forms.CharField(
        label=_("Your comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 2000}),
        help_text=_(
            "Plain text, up to 2,000 characters. Describe your visit; please don't "
            "include medical details you want to keep private."
        ),
    )

    class Meta:
        model = Review
        fields = ["rating", "comment"]


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Your public reply"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
        help_text=_("Plain text, up to 2,000 characters. Shown under the review."),
        error_messages={"required": _("Write your reply.")},
    )


class HideForm(forms.Form):
    """The reason staff give when hiding reviews (shown to each author)."""

    reason = forms.CharField(
        label=_("Reason for hiding"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to each review's author."),
        error_messages={"required": _("Give the reason for hiding.")},
    )

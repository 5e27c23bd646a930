import pytest
from django import forms

from reviews.forms import ReplyForm, ReviewForm

# ModelForm validation checks the model constraints in the database.
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("rating", ["1", "5"])
def test_a_rating_from_1_to_5_is_accepted(rating):
    form = ReviewForm({"rating": rating, "comment": ""})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["rating"] == int(rating)


@pytest.mark.parametrize("rating", ["", "0", "6", "-1", "4.5", "five"])
def test_a_missing_or_out_of_range_rating_is_refused(rating):
    form = ReviewForm({"rating": rating, "comment": "Nice"})
    assert not form.is_valid()
    assert form.errors["rating"] == ["Choose a rating from 1 to 5 stars."]


def test_the_comment_is_optional_and_at_most_2000_characters():
    assert ReviewForm({"rating": "4", "comment": ""}).is_valid()
    assert ReviewForm({"rating": "4", "comment": "x" * 2000}).is_valid()
    form = ReviewForm({"rating": "4", "comment": "x" * 2001})
    assert "comment" in form.errors


def test_the_rating_is_a_labelled_radio_group():
    rating = ReviewForm()["rating"]
    assert isinstance(rating.field.widget, forms.RadioSelect)
    assert [(choice.data["value"], choice.choice_label) for choice in rating] == [
        (5, "5 stars – Excellent"),
        (4, "4 stars – Very good"),
        (3, "3 stars – Good"),
        (2, "2 stars – Fair"),
        (1, "1 star – Poor"),
    ]
    assert rating.label == "Your rating"


def test_a_reply_needs_text():
    assert ReplyForm({"reply": "Thank you"}).is_valid()
    assert ReplyForm({"reply": "  "}).errors["reply"] == ["Write your reply."]
    assert "reply" in ReplyForm({"reply": "x" * 2001}).errors

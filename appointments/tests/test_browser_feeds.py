"""The calendar subscription card in a real browser: copy the link, renew it."""

import os
import re

import pytest

from appointments import feeds
from notifications import services as notifications
from notifications.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("CLINIC_SCREENSHOTS", "")


def shot(page, name: str) -> None:
    """Screenshots for a person to look at, when CLINIC_SCREENSHOTS names a folder."""
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_a_patient_finds_and_renews_their_calendar_link(page, log_in, patient):
    log_in(patient)
    page.goto("/account/profile/")
    old = feeds.urls(feeds.feed_of(patient))
    link = page.get_by_label("Your calendar link")
    assert link.input_value() == old.https
    subscribe = page.get_by_role("link", name="Subscribe in your calendar app")
    assert subscribe.get_attribute("href") == old.webcal
    shot(page, "profile-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "profile-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Renew link").click()
    page.wait_for_url(re.compile(r"/account/calendar/renew/"))
    shot(page, "renew-confirm")
    page.get_by_role("button", name="Renew calendar link").click()
    page.wait_for_url(re.compile(r"/account/profile/"))
    assert "Your calendar link was renewed" in page.inner_text("body")
    new = feeds.urls(feeds.feed_of(patient))
    assert new.https != old.https
    assert page.get_by_label("Your calendar link").input_value() == new.https


def test_one_click_unsubscribe_from_the_email_link(page, patient):
    token = notifications.unsubscribe_token(
        user=patient, kind=Notification.Kind.APPOINTMENT_REMINDER
    )
    page.goto(f"/notifications/unsubscribe/{token}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Stop these emails?"
    shot(page, "unsubscribe-confirm")
    page.get_by_role("button", name="Unsubscribe").click()
    assert (
        page.get_by_role("heading", level=1).inner_text().strip()
        == "You are unsubscribed"
    )
    shot(page, "unsubscribed")
    assert not notifications.wants_email(
        user=patient, kind=Notification.Kind.APPOINTMENT_REMINDER
    )

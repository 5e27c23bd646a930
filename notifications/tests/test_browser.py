"""The inbox journey in Chromium: see the bell's count, open the inbox, mark all
read (htmx: the list and the bell update in place), open one notification."""

import re

import pytest
from django.test import Client

from notifications.models import Notification
from notifications.tests.factories import NotificationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )


def test_see_the_count_open_the_inbox_mark_all_read_and_open_one(
    page, live_server, patient
):
    NotificationFactory(recipient=patient, message="Oldest: you followed Dr Lee")
    NotificationFactory(recipient=patient, message="Dr Ada Lee confirmed your visit")
    NotificationFactory(
        recipient=patient,
        kind=Notification.Kind.APPOINTMENT_REMINDER,
        message="Reminder: your visit tomorrow",
        link="/account/notifications/settings/",
    )
    log_in(page, live_server, patient)

    page.goto("/account/profile/")
    bell = page.get_by_role("link", name=re.compile("Notifications"))
    assert "3 unread notifications" in bell.inner_text()
    assert bell.locator(".badge").inner_text() == "3"

    bell.click()
    page.wait_for_url(re.compile(r"/notifications/$"))
    assert page.title() == "Notifications · Clinic"
    items = page.locator(".notification-list li")
    assert items.count() == 3
    assert "Reminder: your visit tomorrow" in items.first.inner_text()  # newest
    assert page.locator(".notification-list .badge", has_text="New").count() == 3

    page.get_by_role("button", name="Mark all as read").click()
    page.get_by_text("You are all caught up.").wait_for()
    page.get_by_text("Marked 3 notifications as read.").wait_for()
    assert page.locator(".notification-list .badge", has_text="New").count() == 0
    # The bell heard the HX-Trigger event and refreshed without a reload.
    desktop_bell = page.locator("li > .notification-bell")
    desktop_bell.get_by_text("No unread notifications").wait_for(state="attached")
    assert desktop_bell.locator(".badge").count() == 0
    # The phone bell (hidden at this width) is updated out of band with it.
    phone_bell = page.locator("#notification-bell-status-phone")
    assert "No unread notifications" in phone_bell.inner_text()
    assert not Notification.objects.filter(read_at__isnull=True).exists()

    # Something new arrives: the bell's refresh (every 60 s, or after an action)
    # picks it up without a page load.
    fresh = NotificationFactory(
        recipient=patient, message="New: Dr Lee moved your visit", link="/doctors/"
    )
    page.evaluate("htmx.trigger(document.body, 'notifications:changed')")
    desktop_bell.locator(".badge", has_text="1").wait_for()
    assert "1 unread notification" in phone_bell.inner_text()

    page.reload()
    page.get_by_role("button", name=re.compile("Dr Lee moved your visit")).click()
    page.wait_for_url(re.compile(r"/doctors/$"))
    fresh.refresh_from_db()
    assert fresh.read_at is not None
    assert page.locator("li > .notification-bell .badge").count() == 0

import datetime as dt
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import EmailPreference, Notification
from notifications.tests.factories import NotificationFactory
from notifications.views import CHANGED_EVENT, PAGE_SIZE

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
LIST = reverse("notifications:list")
SETTINGS = reverse("notifications:settings")
READ_ALL = reverse("notifications:mark_all_read")
BADGE = reverse("notifications:badge")


def open_url(notification) -> str:
    return reverse("notifications:open", args=[notification.pk])


# --- Access -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", LIST), ("get", SETTINGS), ("get", BADGE), ("post", READ_ALL)],
)
def test_anonymous_visitors_are_sent_to_log_in(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_an_htmx_poll_after_the_session_ended_leaves_the_bell_alone(client):
    response = client.get(BADGE, headers={"HX-Request": "true"})
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response.content == b""


def test_anonymous_visitors_cannot_open_a_notification(client):
    notification = NotificationFactory()
    response = client.post(open_url(notification))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))
    assert Notification.objects.get(pk=notification.pk).is_unread


@pytest.mark.parametrize("who", ["patient_client", "doctor_client", "staff_client"])
def test_every_role_has_an_inbox(request, who):
    client = request.getfixturevalue(who)
    assert client.get(LIST).status_code == HTTPStatus.OK
    assert client.get(SETTINGS).status_code == HTTPStatus.OK


@pytest.mark.parametrize("method", ["get", "post"])
def test_someone_elses_notification_is_not_found(patient_client, other_patient, method):
    theirs = NotificationFactory(recipient=other_patient)
    response = getattr(patient_client, method)(open_url(theirs))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Notification.objects.get(pk=theirs.pk).is_unread


# --- The inbox ------------------------------------------------------------------


def test_the_inbox_lists_only_my_notifications_newest_first(
    patient_client, patient, other_patient
):
    old = NotificationFactory(recipient=patient, message="Older news")
    Notification.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=2)
    )
    NotificationFactory(recipient=patient, message="Newest news")
    NotificationFactory(recipient=other_patient, message="Not for you")
    body = patient_client.get(LIST).content.decode()
    assert body.index("Newest news") < body.index("Older news")
    assert "Not for you" not in body
    assert "<title>Notifications · Clinic</title>" in body


def test_unread_notifications_are_marked_with_text_not_colour_alone(
    patient_client, patient
):
    NotificationFactory(recipient=patient, message="Fresh")
    NotificationFactory(recipient=patient, message="Seen", read_at=timezone.now())
    body = patient_client.get(LIST).content.decode()
    assert body.count(">New</span>") == 1
    assert body.index(">New</span>") < body.index("Fresh")
    assert "1 unread notification<" in body


def test_the_inbox_is_paginated(patient_client, patient):
    NotificationFactory.create_batch(PAGE_SIZE + 5, recipient=patient)
    first = patient_client.get(LIST)
    assert len(first.context["notifications"]) == PAGE_SIZE
    assert "Page 1 of 2" in first.content.decode()
    second = patient_client.get(LIST, {"page": 2})
    assert len(second.context["notifications"]) == 5
    assert patient_client.get(LIST, {"page": "nope"}).status_code == HTTPStatus.OK


def test_an_empty_inbox_says_so_and_offers_a_next_step(patient_client):
    body = patient_client.get(LIST).content.decode()
    assert "No notifications yet" in body
    assert reverse("doctors:list") in body
    assert "Mark all as read" not in body


def test_the_inbox_query_count_does_not_grow_with_the_page(
    patient_client, patient, django_assert_max_num_queries
):
    NotificationFactory.create_batch(3, recipient=patient)
    with CaptureQueriesContext(connection) as few:
        patient_client.get(LIST)
    NotificationFactory.create_batch(PAGE_SIZE, recipient=patient)
    with django_assert_max_num_queries(len(few)):
        patient_client.get(LIST)


def test_the_htmx_request_gets_the_fragment_alone(patient_client, patient):
    NotificationFactory(recipient=patient, message="Fragment me")
    response = patient_client.get(LIST, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Fragment me" in body
    assert "<html" not in body


# --- Opening one ----------------------------------------------------------------


def test_opening_marks_it_read_and_follows_its_link(patient_client, patient):
    notification = NotificationFactory(recipient=patient, link="/doctors/")
    response = patient_client.post(open_url(notification))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/doctors/"
    assert not Notification.objects.get(pk=notification.pk).is_unread


def test_a_get_follows_the_link_without_marking_it_read(patient_client, patient):
    notification = NotificationFactory(recipient=patient, link="/doctors/")
    response = patient_client.get(open_url(notification))
    assert response.url == "/doctors/"
    assert Notification.objects.get(pk=notification.pk).is_unread


@pytest.mark.parametrize("link", ["", "https://evil.example.com/", "//evil.example"])
def test_a_missing_or_foreign_link_leads_back_to_the_inbox(
    patient_client, patient, link
):
    notification = NotificationFactory(recipient=patient, link=link)
    response = patient_client.post(open_url(notification))
    assert response.url == LIST


def test_opening_is_rate_limited(one_rate_window, patient_client, patient):
    notification = NotificationFactory(recipient=patient)
    for _ in range(60):
        patient_client.post(open_url(notification))
    response = patient_client.post(open_url(notification))
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


# --- Mark all as read -------------------------------------------------------------


def test_mark_all_as_read_marks_only_mine_and_says_so(
    patient_client, patient, other_patient
):
    NotificationFactory.create_batch(2, recipient=patient)
    NotificationFactory(recipient=other_patient)
    response = patient_client.post(READ_ALL, follow=True)
    assert response.redirect_chain == [(LIST, HTTPStatus.FOUND)]
    assert "Marked 2 notifications as read." in response.content.decode()
    assert not Notification.objects.for_user(patient).unread().exists()
    assert Notification.objects.for_user(other_patient).unread().count() == 1


def test_mark_all_as_read_with_nothing_unread_says_so(patient_client):
    response = patient_client.post(READ_ALL, follow=True)
    assert "Everything was read already." in response.content.decode()


def test_mark_all_as_read_over_htmx_swaps_the_list_and_refreshes_the_bell(
    patient_client, patient
):
    NotificationFactory.create_batch(2, recipient=patient)
    response = patient_client.post(READ_ALL, headers={"HX-Request": "true"})
    assert response.status_code == HTTPStatus.OK
    assert response.headers["HX-Trigger"] == f'{{"{CHANGED_EVENT}": {{}}}}'
    body = response.content.decode()
    assert "<html" not in body
    assert 'hx-swap-oob="innerHTML"' in body
    assert "Marked 2 notifications as read." in body
    assert "You are all caught up." in body


def test_mark_all_as_read_needs_a_post(patient_client):
    assert patient_client.get(READ_ALL).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_mark_all_as_read_is_rate_limited(one_rate_window, patient_client):
    for _ in range(20):
        patient_client.post(READ_ALL)
    assert patient_client.post(READ_ALL).status_code == HTTPStatus.TOO_MANY_REQUESTS


# --- The bell -----------------------------------------------------------------------


def test_the_navbar_bell_shows_the_unread_count_on_every_page(patient_client, patient):
    NotificationFactory.create_batch(3, recipient=patient)
    NotificationFactory(recipient=patient, read_at=timezone.now())
    body = patient_client.get(reverse("accounts:profile")).content.decode()
    assert f'href="{LIST}"' in body
    assert f'hx-get="{BADGE}"' in body
    assert "every 60s" in body
    assert "3 unread notifications" in body
    assert 'aria-live="polite"' in body


def test_the_bell_costs_one_query_however_often_the_page_reads_it(
    rf, patient, django_assert_num_queries
):
    from django.template import engines

    NotificationFactory.create_batch(2, recipient=patient)
    request = rf.get("/")
    request.user = patient
    page = engines["django"].from_string(
        '{% include "notifications/_bell.html" %}'
        '{% include "notifications/_badge.html" %}{{ notification_bell.count }}'
    )
    with django_assert_num_queries(1):
        html = page.render(request=request)
    assert html.count("2 unread notifications") == 2


def test_a_page_pays_one_query_for_the_bell(patient_client, patient):
    NotificationFactory.create_batch(5, recipient=patient)
    with CaptureQueriesContext(connection) as queries:
        patient_client.get(reverse("accounts:profile"))
    bell_queries = [
        q["sql"] for q in queries if "notifications_notification" in q["sql"]
    ]
    assert len(bell_queries) == 1


def test_anonymous_pages_have_no_bell_and_no_query(client):
    with CaptureQueriesContext(connection) as queries:
        body = client.get(reverse("home")).content.decode()
    assert BADGE not in body
    assert not [q for q in queries if "notifications_notification" in q["sql"]]


def test_the_badge_fragment_counts_unread(patient_client, patient):
    NotificationFactory(recipient=patient)
    response = patient_client.get(BADGE, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "1 unread notification<" in body
    assert "<html" not in body
    assert "no-cache" in response.headers["Cache-Control"]
    Notification.objects.update(read_at=timezone.now())
    assert "No unread notifications" in patient_client.get(BADGE).content.decode()


def test_the_badge_caps_at_99_plus(patient_client, patient):
    NotificationFactory.create_batch(100, recipient=patient)
    body = patient_client.get(BADGE).content.decode()
    assert ">99+<" in body
    assert "100 unread notifications" in body


# --- Settings -------------------------------------------------------------------------


def test_the_account_menu_links_to_the_settings(patient_client):
    body = patient_client.get(reverse("accounts:profile")).content.decode()
    assert f'href="{SETTINGS}"' in body


def test_settings_start_with_every_email_on(patient_client):
    response = patient_client.get(SETTINGS)
    form = response.context["form"]
    assert Kind.FOLLOWED.value not in form.fields
    assert all(field.initial for field in form.fields.values())
    assert form.fields[Kind.APPOINTMENT_REMINDER.value].initial is True
    body = response.content.decode()
    assert "<title>Notification settings · Clinic</title>" in body
    assert "In the inbox only, never by email: Someone followed me." in body
    assert 'for="id_appointment_reminder"' in body


def test_saving_settings_stores_each_kind_and_says_so(patient_client, patient):
    data = {kind: "on" for kind in Kind.values if kind != Kind.APPOINTMENT_BOOKED}
    response = patient_client.post(SETTINGS, data, follow=True)
    assert response.redirect_chain == [(SETTINGS, HTTPStatus.FOUND)]
    assert "Your notification settings were saved." in response.content.decode()
    saved = dict(
        EmailPreference.objects.filter(user=patient).values_list("kind", "enabled")
    )
    assert saved[Kind.APPOINTMENT_BOOKED] is False
    assert saved[Kind.APPOINTMENT_REMINDER] is True
    assert Kind.FOLLOWED not in saved
    form = patient_client.get(SETTINGS).context["form"]
    assert form.fields[Kind.APPOINTMENT_BOOKED.value].initial is False


def test_settings_are_rate_limited(one_rate_window, patient_client):
    for _ in range(20):
        patient_client.post(SETTINGS, {})
    assert patient_client.post(SETTINGS, {}).status_code == (
        HTTPStatus.TOO_MANY_REQUESTS
    )


def test_phones_get_a_bell_beside_the_menu_button_refreshed_out_of_band(
    patient_client, patient
):
    NotificationFactory.create_batch(2, recipient=patient)
    page = patient_client.get(reverse("accounts:profile")).content.decode()
    phone_bell = page[page.index('id="notification-bell-status-phone"') :]
    assert phone_bell.index("2 unread notifications") < phone_bell.index("</a>")
    fragment = patient_client.get(BADGE, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert 'id="notification-bell-status-phone" hx-swap-oob="innerHTML"' in body
    assert body.count("2 unread notifications") == 2


# --- Admin ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("admin:notifications_notification_changelist", {}),
        (
            "admin:notifications_notification_changelist",
            {"kind": Kind.FOLLOWED, "read": "no", "q": "example.com"},
        ),
        ("admin:notifications_emailpreference_changelist", {"q": "person"}),
    ],
)
def test_admin_lists_filter_and_search_in_a_fixed_number_of_queries(
    admin_client, url, query, django_assert_max_num_queries
):
    NotificationFactory.create_batch(5)
    for notification in NotificationFactory.create_batch(3):
        EmailPreference.objects.create(
            user=notification.recipient, kind=Kind.APPOINTMENT_BOOKED, enabled=False
        )
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse(url), query)
    assert response.status_code == HTTPStatus.OK


def test_admin_read_filter_and_recipient_search(admin_client, patient):
    NotificationFactory.create_batch(2, recipient=patient)
    NotificationFactory(recipient=patient, read_at=timezone.now())
    NotificationFactory()
    url = reverse("admin:notifications_notification_changelist")
    unread = admin_client.get(url, {"read": "no", "q": patient.email})
    assert unread.context["cl"].result_count == 2
    read = admin_client.get(url, {"read": "yes"})
    assert read.context["cl"].result_count == 1


def test_the_bell_counts_nothing_without_a_user(rf):
    from notifications.context_processors import notification_bell

    assert notification_bell(rf.get("/"))["notification_bell"].count == 0

"""The headers every notification email carries, and the one-click unsubscribe
(RFC 8058) its List-Unsubscribe header points to."""

import datetime as dt
import re
from email.utils import parsedate_to_datetime
from http import HTTPStatus

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from notifications import services
from notifications.models import EmailPreference, Notification
from notifications.tests.mail import wire

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


@pytest.fixture
def email_to(django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://clinic.example.org"

    def send(recipient, kind=Kind.APPOINTMENT_BOOKED):
        with django_capture_on_commit_callbacks(execute=True):
            services.notify(recipient=recipient, kind=kind, message="Hello")
        return wire(mail.outbox[-1])

    return send


def unsubscribe_path(message) -> str:
    # A long header is folded on the wire; a mail reader unfolds it (RFC 5322 2.2.3).
    value = re.sub(r"\r?\n", "", message["List-Unsubscribe"]).strip()
    url = re.fullmatch(r"<(\S+)>", value).group(1)
    assert url.startswith("https://clinic.example.org/notifications/unsubscribe/")
    return url.removeprefix("https://clinic.example.org")


def test_the_message_id_is_on_the_sites_domain(email_to, patient):
    message = email_to(patient)
    assert re.fullmatch(r"<[^@<>\s]+@clinic\.example\.org>", message["Message-ID"])
    assert email_to(patient)["Message-ID"] != message["Message-ID"]


def test_the_date_is_now_with_a_real_zone(email_to, patient):
    message = email_to(patient)
    assert not message["Date"].endswith("-0000")  # RFC 5322: "zone unknown"
    sent = parsedate_to_datetime(message["Date"])
    assert sent.utcoffset() == dt.timedelta(0)
    assert abs(sent - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_it_says_it_was_sent_automatically(email_to, patient):
    assert email_to(patient)["Auto-Submitted"] == "auto-generated"


def test_an_optional_kind_offers_one_click_unsubscribe(email_to, patient):
    message = email_to(patient, Kind.APPOINTMENT_REMINDER)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = unsubscribe_path(message).split("/")[-2]
    assert services.read_unsubscribe_token(token) == (
        patient.pk,
        Kind.APPOINTMENT_REMINDER,
    )


def test_a_kind_one_cannot_switch_off_has_no_unsubscribe_header(patient):
    assert Kind.FOLLOWED not in services.EMAIL_KINDS
    assert services.email_headers(recipient=patient, kind=Kind.FOLLOWED) == {}


def test_one_click_post_unsubscribes_without_login_or_csrf(email_to, patient):
    path = unsubscribe_path(email_to(patient, Kind.APPOINTMENT_REMINDER))
    # What a mail provider sends (RFC 8058 3.2): no cookie, no CSRF token.
    provider = Client(enforce_csrf_checks=True)
    response = provider.post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == HTTPStatus.OK
    assert not services.wants_email(user=patient, kind=Kind.APPOINTMENT_REMINDER)
    assert services.wants_email(user=patient, kind=Kind.APPOINTMENT_BOOKED)
    # Again: still off, still fine.
    assert provider.post(path).status_code == HTTPStatus.OK
    assert EmailPreference.objects.filter(user=patient).count() == 1


def test_get_only_asks(email_to, client, patient):
    path = unsubscribe_path(email_to(patient, Kind.APPOINTMENT_REMINDER))
    response = client.get(path)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Stop these emails?" in html and "Reminder before a visit" in html
    assert f'action="{path}"' in html
    assert services.wants_email(user=patient, kind=Kind.APPOINTMENT_REMINDER)


def test_a_tampered_or_foreign_token_is_404(client, patient, other_patient):
    token = services.unsubscribe_token(user=patient, kind=Kind.APPOINTMENT_REMINDER)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, "nonsense", token.replace(":", "", 1)):
        url = reverse("notifications:unsubscribe", args=[bad])
        assert client.post(url).status_code == HTTPStatus.NOT_FOUND
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    # Signed for another purpose (salt): not an unsubscribe token.
    other = signing.dumps([other_patient.pk, "appointment_reminder"])
    url = reverse("notifications:unsubscribe", args=[other])
    assert client.post(url).status_code == HTTPStatus.NOT_FOUND
    assert services.wants_email(user=patient, kind=Kind.APPOINTMENT_REMINDER)
    assert services.wants_email(user=other_patient, kind=Kind.APPOINTMENT_REMINDER)


def test_a_token_for_an_in_app_only_kind_is_404(client, patient):
    token = signing.dumps(
        [patient.pk, Kind.FOLLOWED.value], salt=services.UNSUBSCRIBE_SALT
    )
    url = reverse("notifications:unsubscribe", args=[token])
    assert client.post(url).status_code == HTTPStatus.NOT_FOUND


def test_only_the_unsubscribe_view_skips_csrf(patient):
    """Every other POST still needs the token: e.g. the settings page."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(patient)
    response = browser.post(reverse("notifications:settings"), {})
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_one_link_is_rate_limited_not_the_providers_address(patient, other_patient):
    provider = Client(REMOTE_ADDR="203.0.113.9")
    kind = Kind.APPOINTMENT_REMINDER
    first = reverse(
        "notifications:unsubscribe",
        args=[services.unsubscribe_token(user=patient, kind=kind)],
    )
    for _ in range(10):
        assert provider.post(first).status_code == HTTPStatus.OK
    assert provider.post(first).status_code == HTTPStatus.TOO_MANY_REQUESTS
    second = reverse(
        "notifications:unsubscribe",
        args=[services.unsubscribe_token(user=other_patient, kind=kind)],
    )
    assert provider.post(second).status_code == HTTPStatus.OK

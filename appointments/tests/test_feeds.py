"""Private calendar feeds: what they list, how calendar apps fetch them
(conditional requests), renewing the link, and the token kept out of logs."""

import datetime as dt
import logging
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone
from django.views.debug import ExceptionReporter

from accounts.tests.api import ApiClient
from accounts.tests.factories import UserFactory
from appointments import feeds, services
from appointments.models import Appointment
from appointments.tests.calendars import parse
from appointments.tests.factories import AppointmentFactory, SlotFactory
from clinic.log_filters import RedactSecretPaths
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db

Status = Appointment.Status
REASON = "Chest pain when climbing stairs"


def at(days: float, hour: int = 9) -> dt.datetime:
    day = timezone.now().date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def visit(*, patient, doctor, days: float, status=Status.CONFIRMED, hour: int = 9):
    return AppointmentFactory(
        patient=patient,
        slot=SlotFactory(doctor=doctor, starts_at=at(days, hour)),
        status=status,
        reason=REASON,
    )


def path_of(user) -> str:
    return reverse("appointments:feed", args=[feeds.feed_of(user).token])


def summaries(response) -> list[str]:
    calendar = parse(response.content.decode())
    return [str(event["summary"]) for event in calendar.walk("VEVENT")]


def test_a_feed_lists_names_and_times_from_30_days_ago_on(client, patient, doctor):
    visit(patient=patient, doctor=doctor, days=5)
    visit(patient=patient, doctor=doctor, days=-10, status=Status.COMPLETED)
    visit(patient=patient, doctor=doctor, days=-40, status=Status.COMPLETED)
    visit(patient=patient, doctor=doctor, days=6, status=Status.CANCELLED)
    response = client.get(path_of(patient))
    assert response.status_code == HTTPStatus.OK
    assert (
        summaries(response) == ["Appointment with Dr Ada Lee · City Health Centre"] * 2
    )
    text = response.content.decode()
    assert REASON not in text.replace("\r\n ", "")
    assert "mailto:" not in text and patient.email not in text
    assert "METHOD" not in text  # a published calendar, not a message


def test_a_doctors_feed_has_their_patients_and_their_own_visits(client, doctor):
    patient = doctor.user
    other_doctor = DoctorProfileFactory(user__full_name="Bo Berg")
    visit(patient=patient, doctor=other_doctor, days=2)
    visit(
        patient=UserFactory(full_name="Pat Patient"),
        doctor=doctor,
        days=3,
        status=Status.PENDING,
    )
    response = client.get(path_of(doctor.user))
    calendar = parse(response.content.decode())
    events = {str(e["summary"]): str(e["status"]) for e in calendar.walk("VEVENT")}
    assert events == {
        "Appointment with Dr Bo Berg · City Health Centre": "CONFIRMED",
        "Appointment: Pat Patient": "TENTATIVE",
    }


def test_someone_elses_visits_never_appear(client, patient, other_patient, doctor):
    visit(patient=other_patient, doctor=doctor, days=2)
    assert summaries(client.get(path_of(patient))) == []


def test_the_feed_is_private_calendar_text(client, patient, doctor):
    visit(patient=patient, doctor=doctor, days=5)
    response = client.get(path_of(patient))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private"
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"]


def test_head_answers_the_headers_alone(client, patient, doctor):
    visit(patient=patient, doctor=doctor, days=5)
    full = client.get(path_of(patient))
    head = client.head(path_of(patient))
    assert head.status_code == HTTPStatus.OK
    assert head["ETag"] == full["ETag"] and head.content == b""


def test_a_current_copy_gets_304_and_a_change_a_new_feed(client, patient, doctor):
    appointment = visit(patient=patient, doctor=doctor, days=5, status=Status.PENDING)
    path = path_of(patient)
    first = client.get(path)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get(path, headers={"if-none-match": etag}).status_code == 304
    assert client.get(path, headers={"if-modified-since": modified}).status_code == 304
    services.confirm(user=doctor.user, appointment_id=appointment.pk)
    changed = client.get(path, headers={"if-none-match": etag})
    assert changed.status_code == HTTPStatus.OK
    assert changed["ETag"] != etag
    assert "STATUS:CONFIRMED" in changed.content.decode()


def test_a_visit_leaving_the_window_moves_last_modified(patient, doctor):
    feed = feeds.feed_of(patient)
    old = visit(patient=patient, doctor=doctor, days=-29, status=Status.COMPLETED)
    before = feeds.render(feed)
    later = feeds.render(feed, now=timezone.now() + dt.timedelta(days=2))
    assert later.etag != before.etag
    assert later.last_modified == old.starts_at + dt.timedelta(days=30)
    assert later.last_modified > before.last_modified


def test_a_wrong_or_renewed_token_is_404(client, patient):
    feed = feeds.feed_of(patient)
    old_path = path_of(patient)
    # Same selector, different rest: found, then refused by the full comparison.
    forged = feed.token[:12] + "x" * (len(feed.token) - 12)
    assert client.get(reverse("appointments:feed", args=[forged])).status_code == 404
    assert client.get("/calendar/nothing-like-a-token.ics").status_code == 404
    feeds.rotate(user=patient)
    assert client.get(old_path).status_code == HTTPStatus.NOT_FOUND
    assert client.get(path_of(patient)).status_code == HTTPStatus.OK


def test_a_deactivated_account_has_no_feed(client, patient):
    path = path_of(patient)
    type(patient).objects.filter(pk=patient.pk).update(is_active=False)
    assert client.get(path).status_code == HTTPStatus.NOT_FOUND


def test_the_feed_reads_in_a_few_queries(
    client, patient, doctor, django_assert_max_num_queries
):
    for days in range(1, 8):
        visit(patient=patient, doctor=doctor, days=days)
    path = path_of(patient)
    with django_assert_max_num_queries(4):
        assert len(summaries(client.get(path))) == 7


def test_the_token_never_reaches_the_logs(client, patient, caplog, monkeypatch):
    token = feeds.feed_of(patient).token
    feeds.rotate(user=patient)  # the old token now 404s, and Django logs 404s
    with caplog.at_level(logging.INFO):
        assert client.get(f"/calendar/{token}.ics").status_code == 404

        def broken(*args, **kwargs):
            raise RuntimeError("database went away")

        monkeypatch.setattr(feeds, "render", broken)
        client.raise_request_exception = False
        fresh_token = feeds.feed_of(patient).token
        assert client.get(f"/calendar/{fresh_token}.ics").status_code == 500
    messages = [record.getMessage() for record in caplog.records]
    assert "Not Found: /calendar/[redacted]" in messages
    assert "Internal Server Error: /calendar/[redacted]" in messages
    assert token not in caplog.text and fresh_token not in caplog.text
    # The error report (mailed to admins) gets no request to print the path from.
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.request is None
    report = ExceptionReporter(error.request, *error.exc_info).get_traceback_text()
    assert "RuntimeError" in report and fresh_token not in report


def test_runserver_request_lines_are_redacted_too(patient):
    token = feeds.feed_of(patient).token
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        "",
        0,
        '"%s" %s %s',
        (f"GET /calendar/{token}.ics HTTP/1.1", "200", "512"),
        None,
    )
    assert RedactSecretPaths().filter(record)
    assert record.getMessage() == '"GET /calendar/[redacted] HTTP/1.1" 200 512'


# --- The link on the profile page and in the API ----------------------------------


def test_the_profile_offers_the_https_and_webcal_links(patient_client, patient):
    response = patient_client.get(reverse("accounts:profile"))
    addresses = feeds.urls(feeds.feed_of(patient))
    assert addresses.https.startswith("http") and addresses.https.endswith(".ics")
    assert addresses.webcal == "webcal://" + addresses.https.split("://", 1)[1]
    html = response.content.decode()
    assert addresses.https in html and addresses.webcal in html
    assert reverse("appointments:feed_renew") in html


def test_a_doctor_has_a_feed_link_too(doctor_client, doctor):
    response = doctor_client.get(reverse("accounts:profile"))
    assert feeds.urls(feeds.feed_of(doctor.user)).https in response.content.decode()


def test_renewing_asks_first_then_replaces_the_link(patient_client, patient):
    old = feeds.feed_of(patient).token
    url = reverse("appointments:feed_renew")
    page = patient_client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert "The old one stops working" in page.content.decode()
    assert feeds.feed_of(patient).token == old  # asking changes nothing
    response = patient_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:profile") + "#calendar"
    assert "Your calendar link was renewed" in response.content.decode()
    assert feeds.feed_of(patient).token != old


def test_renewing_needs_a_login(client):
    url = reverse("appointments:feed_renew")
    for response in (client.get(url), client.post(url)):
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].startswith(reverse("account_login"))


def test_the_api_gives_the_link_and_renews_it(client, patient):
    api = ApiClient(patient)
    response = api.get("/api/v1/me/calendar-feed/")
    assert response.status_code == HTTPStatus.OK
    addresses = feeds.urls(feeds.feed_of(patient))
    assert response.json()["url"] == addresses.https
    assert response.json()["webcal_url"] == addresses.webcal
    renewed = api.post("/api/v1/me/calendar-feed/rotate/")
    assert renewed.status_code == HTTPStatus.OK
    assert renewed.json()["url"] != addresses.https
    old_path = addresses.https.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + old_path).status_code == HTTPStatus.NOT_FOUND
    new_path = renewed.json()["url"].split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + new_path).status_code == HTTPStatus.OK


def test_the_api_needs_a_login(client):
    assert client.get("/api/v1/me/calendar-feed/").status_code == 401
    assert client.post("/api/v1/me/calendar-feed/rotate/").status_code == 401

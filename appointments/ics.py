"""Appointments as iCalendar (RFC 5545): the invitation each email carries
(iTIP/iMIP, RFC 5546/6047), the "Add to calendar" file and the subscription feeds.

Calendars sync to phones, shared family calendars and third-party servers, so an
object holds where and when and with whom, never a health detail: no reason for
the visit, no notes, no reason for cancelling, no specialization. Those stay
behind the link, after login.

One appointment is one calendar event for its whole life: the UID never changes,
and SEQUENCE is `Appointment.calendar_sequence`, which the services raise with
every change of time or status, so calendars apply an update over the copy they
hold and never the other way round."""

import datetime as dt
from collections.abc import Iterable
from email.utils import parseaddr

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress

from accounts.models import User
from notifications.services import site_host

from .models import Appointment

Status = Appointment.Status

ICS_STATUS = {
    Status.PENDING: "TENTATIVE",
    Status.CONFIRMED: "CONFIRMED",
    Status.COMPLETED: "CONFIRMED",
    # The time was kept for the patient; only the patient did not come.
    Status.NO_SHOW: "CONFIRMED",
    Status.CANCELLED: "CANCELLED",
}

REQUEST, CANCEL, PUBLISH = "REQUEST", "CANCEL", "PUBLISH"
# How often a subscribed calendar should fetch the feed again (RFC 7986 and
# Outlook's older X-PUBLISHED-TTL); Google decides on its own (every few hours).
FEED_REFRESH = dt.timedelta(hours=1)
# How far back a feed lists visits.
FEED_PAST = dt.timedelta(days=30)


def filename(appointment: Appointment) -> str:
    return f"appointment-{appointment.pk}.ics"


def uid(appointment: Appointment) -> str:
    return f"appointment-{appointment.pk}@{site_host()}"


def method_for(appointment: Appointment) -> str:
    """The iTIP method that brings a calendar up to date with `appointment`:
    CANCEL once it is cancelled, else REQUEST (a new or changed event)."""
    return CANCEL if appointment.status == Status.CANCELLED else REQUEST


# What a subscription feed is served as.
content_type_of_feed = "text/calendar; charset=utf-8"


def content_type(method: str) -> str:
    """The MIME type of a calendar object sent with `method` (RFC 6047 2.4)."""
    return f"text/calendar; charset=utf-8; method={method}"


def _organizer(appointment: Appointment) -> vCalAddress:
    # The practice organizes: its sender address (replies go nowhere personal),
    # named after the doctor the patient will see.
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "no-reply@" + site_host()
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["CN"] = appointment.doctor.display_name
    return organizer


def _attendee(appointment: Appointment) -> vCalAddress:
    patient = appointment.patient
    attendee = vCalAddress(f"mailto:{patient.email}")
    attendee.params["CN"] = patient.full_name or patient.email
    attendee.params["CUTYPE"] = "INDIVIDUAL"
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    # The patient chose this time themselves (or asked the clinic for it), and
    # the clinic reads no iMIP replies: no Accept/Decline buttons mailing the
    # no-reply address.
    attendee.params["PARTSTAT"] = "ACCEPTED"
    attendee.params["RSVP"] = "FALSE"
    return attendee


def _summary_for_patient(appointment: Appointment) -> str:
    doctor = appointment.doctor
    return _("Appointment with %(doctor)s · %(clinic)s") % {
        "doctor": doctor.display_name,
        "clinic": doctor.clinic_name,
    }


def _event(appointment: Appointment, *, dtstamp: dt.datetime, summary: str) -> Event:
    doctor = appointment.doctor
    site = settings.SITE_URL.rstrip("/")
    link = site + appointment.get_absolute_url()
    event = Event()
    event.add("uid", uid(appointment))
    event.add("dtstamp", dtstamp.astimezone(dt.UTC))
    event.add("sequence", appointment.calendar_sequence)
    event.add("dtstart", appointment.starts_at.astimezone(dt.UTC))
    event.add("dtend", appointment.ends_at.astimezone(dt.UTC))
    event.add("summary", summary)
    event.add("location", f"{doctor.clinic_name}, {doctor.address}, {doctor.city}")
    event.add("description", _("Details: %(url)s") % {"url": link})
    event.add("url", link)
    event.add("status", ICS_STATUS[appointment.status])
    # Shared calendars show "busy" to others, not the names.
    event.add("class", "PRIVATE")
    event.add("transp", "OPAQUE")
    return event


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Clinic//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def build(appointment: Appointment, *, method: str | None = None) -> str:
    """The VCALENDAR text of one appointment as a scheduling message: `method`
    (default: `method_for`) REQUEST or CANCEL with the practice as ORGANIZER and
    the patient as ATTENDEE, or PUBLISH (a file to import: ORGANIZER only, as
    RFC 5546 3.2.1 wants). Times in UTC; DTSTAMP is now, as the object is made."""
    method = method or method_for(appointment)
    calendar = _calendar(method)
    event = _event(
        appointment,
        dtstamp=timezone.now(),
        summary=_summary_for_patient(appointment),
    )
    event.add("organizer", _organizer(appointment))
    if method != PUBLISH:
        event.add("attendee", _attendee(appointment))
    calendar.add_component(event)
    return calendar.to_ical().decode()


def feed(appointments: Iterable[Appointment], *, owner: User) -> str:
    """A subscription calendar of `owner`: one event per appointment, with no
    METHOD (a published calendar, not a message) and no addresses. A visit where
    the owner is the patient is "Appointment with Dr X · Clinic"; one where they
    are the doctor carries the patient's name. DTSTAMP is the appointment's last
    change (RFC 5545 3.8.7.2 for objects without METHOD), so the same data gives
    the same bytes and the feed's ETag stays put until something changes."""
    calendar = _calendar(None)
    name = _("Clinic appointments")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for appointment in appointments:
        if appointment.patient_id == owner.pk:
            summary = _summary_for_patient(appointment)
        else:
            summary = _("Appointment: %(patient)s") % {
                "patient": appointment.patient.full_name
            }
        calendar.add_component(
            _event(appointment, dtstamp=appointment.updated_at, summary=summary)
        )
    return calendar.to_ical().decode()


def download(appointment: Appointment) -> HttpResponse:
    """The .ics file as a download ("Add to calendar"), for the page and the API
    alike: the same event (UID, SEQUENCE) the emails carry, published. Health
    data, so no cache (shared or the browser's) keeps a copy."""
    response = HttpResponse(
        build(appointment, method=PUBLISH), content_type=content_type(PUBLISH)
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'attachment; filename="{filename(appointment)}"'
    return response

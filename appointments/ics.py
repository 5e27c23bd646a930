"""An appointment as an iCalendar file ("Add to calendar"), in UTC.

Calendars sync to phones, shared family calendars and third-party servers, so the
file holds where and when and with whom, never a health detail: no reason for the
visit, no notes, no reason for cancelling. Those stay behind the link, after login."""

import datetime as dt

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from .models import Appointment

ICS_STATUS = {
    Appointment.Status.PENDING: "TENTATIVE",
    Appointment.Status.CONFIRMED: "CONFIRMED",
    Appointment.Status.COMPLETED: "CONFIRMED",
    Appointment.Status.CANCELLED: "CANCELLED",
}


def filename(appointment: Appointment) -> str:
    return f"appointment-{appointment.pk}.ics"


def uid(appointment: Appointment) -> str:
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return f"appointment-{appointment.pk}@{host or 'clinic'}"


def build(appointment: Appointment) -> str:
    """The VCALENDAR text of one appointment: UID, start and end in UTC, the
    doctor's name in the summary, the clinic and its address as location, and in
    the description only the link to the appointment (no health details)."""
    doctor = appointment.doctor
    calendar = Calendar()
    calendar.add("prodid", "-//Clinic//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid(appointment))
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", appointment.starts_at.astimezone(dt.UTC))
    event.add("dtend", appointment.ends_at.astimezone(dt.UTC))
    event.add(
        "summary",
        _("Appointment with %(doctor)s (%(specialization)s)")
        % {"doctor": doctor.display_name, "specialization": doctor.specialization.name},
    )
    event.add("location", f"{doctor.clinic_name}, {doctor.address}, {doctor.city}")
    site = settings.SITE_URL.rstrip("/")
    event.add(
        "description",
        _("Details: %(url)s") % {"url": site + appointment.get_absolute_url()},
    )
    event.add("url", site + appointment.get_absolute_url())
    event.add("status", ICS_STATUS[appointment.status])
    calendar.add_component(event)
    return calendar.to_ical().decode()


def download(appointment: Appointment) -> HttpResponse:
    """The .ics file as a download, for the page and the API alike: health data,
    so no cache (shared or the browser's) keeps a copy."""
    response = HttpResponse(
        build(appointment), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'attachment; filename="{filename(appointment)}"'
    return response

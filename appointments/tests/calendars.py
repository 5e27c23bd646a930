"""Independent iCalendar parsers for the tests: `icalendar` (what the app writes
with), and two strict ones written apart from it: `vobject` with validation on
(refuses a VEVENT without UID or DTSTAMP, a calendar without PRODID, DTEND
beside DURATION...) and `ical`, a pydantic-based RFC 5545 implementation that
checks every value's type. A calendar object passes only if all three accept it
and agree on what they read."""

import vobject
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar


def parse(text: str) -> Calendar:
    """The text as icalendar reads it, once vobject (validating) and ical have
    accepted it too and read the same events (UID, SEQUENCE, start, status)."""
    calendar = Calendar.from_ical(text)
    validated = vobject.readOne(text, validate=True)
    validated.validate(raiseException=True)
    strict = IcsCalendarStream.calendar_from_ics(text)
    events = calendar.walk("VEVENT")
    seen = [
        (str(e["uid"]), int(e["sequence"]), e.decoded("dtstart"), str(e["status"]))
        for e in events
    ]
    by_vobject = [
        (e.uid.value, int(e.sequence.value), e.dtstart.value, e.status.value)
        for e in getattr(validated, "vevent_list", [])
    ]
    by_ical = [
        (e.uid, e.sequence, e.dtstart, str(e.status.value)) for e in strict.events
    ]
    assert seen == by_vobject == by_ical
    return calendar


def the_event(text: str):
    """(calendar, its one VEVENT) of a single-appointment object."""
    calendar = parse(text)
    (event,) = calendar.walk("VEVENT")
    return calendar, event

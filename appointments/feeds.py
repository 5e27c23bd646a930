"""Private calendar feeds: each person's appointments as a subscription URL that
Google Calendar, Apple Calendar and Outlook fetch on their own schedule.

The URL is the only credential (calendar apps cannot log in), so its token is
long and random (256 bits), checked in constant time, renewable (the old URL then
answers 404), and kept out of the logs (`clinic.log_filters`). A feed holds names
and times only: what `ics.feed` puts in an event."""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.debug import sensitive_variables

from accounts.models import User

from . import ics
from .models import Appointment, CalendarFeed


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token[: CalendarFeed.SELECTOR_LENGTH], token


def feed_of(user: User) -> CalendarFeed:
    """The user's feed, made on first use (everyone who can sign in has one)."""
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is None:
        selector, token = _new_token()
        feed, _created = CalendarFeed.objects.get_or_create(
            user=user, defaults={"selector": selector, "token": token}
        )
    return feed


@transaction.atomic
def rotate(*, user: User) -> CalendarFeed:
    """Give the user a new feed token: the old URL answers 404 from now on, and
    calendars subscribed to it stop updating until subscribed to the new one."""
    feed = feed_of(user)
    feed.selector, feed.token = _new_token()
    feed.save(update_fields=["selector", "token", "rotated_at"])
    return feed


@sensitive_variables("token")  # an error report here would print it
def find(token: str) -> CalendarFeed | None:
    """The feed whose token is `token`, or None. The row is found by the token's
    first characters; the whole token is then compared in constant time."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(selector=token[: CalendarFeed.SELECTOR_LENGTH], user__is_active=True)
        .first()
    )
    if feed is None or not constant_time_compare(feed.token, token):
        return None
    return feed


@dataclass(frozen=True)
class FeedUrls:
    https: str
    webcal: str


def urls(feed: CalendarFeed) -> FeedUrls:
    """The feed's address as a link (SITE_URL's scheme: https in production) and
    as `webcal://`, which opens the subscription dialog of the calendar app."""
    url = settings.SITE_URL.rstrip("/") + reverse(
        "appointments:feed", args=[feed.token]
    )
    return FeedUrls(https=url, webcal="webcal://" + url.split("://", 1)[1])


def appointments_in(user: User, *, now: dt.datetime):
    """What the user's feed lists: their visits as patient and, for a doctor,
    as doctor, from FEED_PAST ago on, except cancelled ones (they leave the
    calendar, which is what a subscribed calendar shows of a cancellation)."""
    return (
        Appointment.objects.visible_to(user)
        .filter(starts_at__gte=now - ics.FEED_PAST)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("doctor__user", "patient")
        .order_by("starts_at", "pk")
    )


@dataclass(frozen=True)
class Rendered:
    body: str
    etag: str
    last_modified: dt.datetime


def render(feed: CalendarFeed, *, now: dt.datetime | None = None) -> Rendered:
    """The feed's calendar text, its ETag (a hash of the text: any change of a
    name or a time changes it) and its Last-Modified: the latest of the feed's
    renewal, the last change of any visit in the window (cancelled ones too:
    they left it), and the moment the latest visit to leave the window left."""
    now = now or timezone.now()
    user = feed.user
    appointments = list(appointments_in(user, now=now))
    body = ics.feed(appointments, owner=user)
    window = Appointment.objects.visible_to(user)
    changed = window.filter(starts_at__gte=now - ics.FEED_PAST).aggregate(
        at=Max("updated_at")
    )["at"]
    left = window.filter(starts_at__lt=now - ics.FEED_PAST).aggregate(
        at=Max("starts_at")
    )["at"]
    moments = [feed.rotated_at, changed, left + ics.FEED_PAST if left else None]
    return Rendered(
        body=body,
        etag=f'"{hashlib.sha256(body.encode()).hexdigest()[:32]}"',
        last_modified=max(moment for moment in moments if moment is not None),
    )

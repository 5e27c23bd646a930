"""The API's calendar feed endpoints: my feed's address, and a new one."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import feeds


class CalendarFeedSerializer(serializers.Serializer):
    url = serializers.URLField(
        help_text="The private feed (iCalendar). Anyone holding it reads names and "
        "times of my appointments: keep it secret."
    )
    webcal_url = serializers.CharField(
        help_text="The same feed as webcal://, which opens a calendar app's "
        "subscription dialog."
    )
    renewed_at = serializers.DateTimeField()


FEED_EXAMPLE = OpenApiExample(
    "My feed",
    value={
        "url": "https://clinic.example.com/calendar/3q2-7wEXAMPLEtokenOf43chars.ics",
        "webcal_url": "webcal://clinic.example.com/calendar/3q2-7wEXAMPLEtokenOf43chars.ics",
        "renewed_at": "2026-12-01T10:05:00Z",
    },
    response_only=True,
)


def _answer(feed) -> Response:
    addresses = feeds.urls(feed)
    return Response(
        CalendarFeedSerializer(
            {
                "url": addresses.https,
                "webcal_url": addresses.webcal,
                "renewed_at": feed.rotated_at,
            }
        ).data
    )


@extend_schema(tags=["me"])
class CalendarFeedView(APIView):
    """My private calendar feed: my appointments as patient (and as doctor) from
    30 days ago on, for Google Calendar, Apple Calendar or Outlook to subscribe."""

    @extend_schema(
        summary="My calendar feed",
        responses=CalendarFeedSerializer,
        examples=[FEED_EXAMPLE],
    )
    def get(self, request: Request) -> Response:
        return _answer(feeds.feed_of(request.user))


@extend_schema(tags=["me"])
class RotateCalendarFeedView(APIView):
    throttle_scope = "api_write"

    @extend_schema(
        summary="Renew my calendar feed",
        description="A new private address; the old one answers 404 from now on.",
        request=None,
        responses=CalendarFeedSerializer,
        examples=[FEED_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        return _answer(feeds.rotate(user=request.user))

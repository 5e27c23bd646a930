import zoneinfo
from urllib.parse import unquote

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from . import signed_in
from .timezones import UTC, detected_zone


class CachedAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's, with the signed-in user's row from the cache (signed_in)."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _user(request))


def _user(request):
    # Where Django's own lazy user keeps it (django.contrib.auth.middleware).
    if not hasattr(request, "_cached_user"):
        request._cached_user = signed_in.get_user(request)
    return request._cached_user


# Set by static/js/timezone.js to the browser's zone: a visitor who is not signed
# in sees times in it from their first page on.
ZONE_COOKIE = "timezone"


def visitor_zone(request) -> str:
    """The zone a visitor's browser reported (its listed name), else UTC."""
    return detected_zone(unquote(request.COOKIES.get(ZONE_COOKIE, "")))


class UserTimezoneMiddleware:
    """Show every time in the viewer's zone: a signed-in user's own (User.timezone,
    filled from their browser at sign-up, theirs to change on the profile page);
    a visitor's browser's (the cookie), UTC without one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.zone)
        elif (name := visitor_zone(request)) != UTC:
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        return self.get_response(request)

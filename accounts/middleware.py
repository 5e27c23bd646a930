from django.contrib.auth.middleware import AuthenticationMiddleware
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from . import signed_in


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


class UserTimezoneMiddleware:
    """Show every time in the signed-in user's own zone (UTC for visitors)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.zone)
        else:
            timezone.deactivate()
        return self.get_response(request)

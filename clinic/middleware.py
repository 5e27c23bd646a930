"""Headers every answer gets, whoever made it (views, allauth, DRF, admin, errors)."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject, empty


def _signed_in(request) -> bool:
    """Whether the answer was made for a signed-in person. A user nobody looked
    at (a static file, a page with nothing personal) is not loaded just to ask,
    which would read the session from a database that may be down."""
    user = getattr(request, "user", None)
    if user is None:
        return False
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return False
    return user.is_authenticated


class PrivacyHeadersMiddleware:
    """`Permissions-Policy` on everything; `Cache-Control: private, no-store` on
    every answer made for a signed-in person (appointments, profile, calendar
    files, notifications, the API about them), so neither a shared cache nor the
    browser's keeps health data. A view that chose its own Cache-Control (an API
    answer revalidated by ETag, say) keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if _signed_in(request) and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        return response

"""One budget per action per user, whichever door it comes through.

A page view takes `@limits.limit("follow")`; an API view names the same action in
`rate_action = "follow"` and `ActionThrottle` (in DEFAULT_THROTTLE_CLASSES) counts
it. Both count in django-ratelimit's one bucket for (action, user), so ten holds on
the page and ten through the API are twenty of the same ten-a-minute budget.

Counters live in the shared cache; while Redis is unreachable they count in each
process's memory (clinic/cache.py), never failing the request.
"""

from django.conf import settings
from django_ratelimit import UNSAFE
from django_ratelimit.core import get_usage
from django_ratelimit.decorators import ratelimit
from rest_framework import permissions
from rest_framework.throttling import BaseThrottle

# Action -> django-ratelimit rate, per signed-in user. A name of a setting stands
# for the rate it holds (tunable per deployment).
BUDGETS = {
    # Holding, booking and rescheduling a time.
    "booking": "BOOKING_RATE_LIMIT",
    # Confirming, declining, cancelling, completing an appointment.
    "appointment_change": "30/m",
    # Follow and unfollow together: toggling is one budget.
    "follow": "30/m",
    # A patient has few visits to review, so a low limit costs nobody.
    "review_post": "10/h",
    "review_change": "30/h",
    "notification_open": "60/m",
    "notifications_read_all": "20/m",
    "notification_settings": "20/m",
    "profile": "20/m",
    "doctor_application": "10/m",
    "doctor_profile": "20/m",
    "schedule": "30/m",
    # A patient's own data: the export builds a zip, deletion is for good.
    "data_export": "10/h",
    "account_delete": "10/h",
}


def rate_for(action: str) -> str:
    budget = BUDGETS[action]
    return getattr(settings, budget) if budget.isupper() else budget


def _rate(group: str, request) -> str:
    return rate_for(group)


def limit(action: str):
    """The page door's decorator: the action's budget on writes, blocking with
    the site's 429 page (RATELIMIT_VIEW). Put it under @login_required."""
    if action not in BUDGETS:
        raise KeyError(f"No budget named {action!r} in accounts.limits.BUDGETS")
    return ratelimit(group=action, key="user", rate=_rate, method=UNSAFE, block=True)


class ActionThrottle(BaseThrottle):
    """The API door: counts a write in the bucket of the view's `rate_action` (the
    same one its page's `limit` counts in). Views without one are not counted here.
    Refused writes get the API's 429 with Retry-After."""

    def allow_request(self, request, view) -> bool:
        action = getattr(view, "rate_action", None)
        if action is None or request.method in permissions.SAFE_METHODS:
            return True
        if not request.user.is_authenticated:
            return True  # the permission check answers 401 next
        usage = get_usage(
            request,
            group=action,
            key="user",
            rate=rate_for(action),
            method=UNSAFE,
            increment=True,
        )
        if usage is None:  # RATELIMIT_ENABLE off
            return True
        self.time_left = max(usage["time_left"], 1)
        return not usage["should_limit"]

    def wait(self) -> float | None:
        return getattr(self, "time_left", None)

"""The API's write throttle (kept apart from clinic/api.py: DRF imports it while
it is still defining APIView, so it must not import views)."""

import math

from rest_framework import permissions
from rest_framework.throttling import ScopedRateThrottle

from accounts.client_ip import client_ip


class WriteThrottle(ScopedRateThrottle):
    """Throttles every write (POST, PUT, PATCH, DELETE) per user on the shared cache,
    in the view's `throttle_scope` or else "api_write". Reads are not throttled.

    A throttled request gets 429 with Retry-After; every counted one RateLimit-*
    headers (RateLimitHeadersMiddleware)."""

    def allow_request(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        self.scope = getattr(view, self.scope_attr, None) or "api_write"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        allowed = super(ScopedRateThrottle, self).allow_request(request, view)
        _remember_budget(self, request, allowed)
        return allowed

    def get_ident(self, request) -> str:
        """Anonymous callers are counted by the same client address as every other
        limit (TRUSTED_PROXY_COUNT), not by DRF's own NUM_PROXIES reading."""
        return client_ip(request)


# --- RateLimit headers (IETF draft "RateLimit header fields for HTTP") ---------


def _remember_budget(throttle: ScopedRateThrottle, request, allowed: bool) -> None:
    """Note the budget left after this request on the Django request, for
    RateLimitHeadersMiddleware to show (a throttle never sees the response)."""
    if getattr(throttle, "history", None) is None:
        return  # the throttle did not count this request
    if allowed:
        remaining = max(throttle.num_requests - len(throttle.history), 0)
        oldest = throttle.history[-1] if throttle.history else throttle.now
        reset = oldest + throttle.duration - throttle.now
    else:
        remaining, reset = 0, throttle.wait() or 0
    request._request.rate_limit = {
        "RateLimit-Limit": str(throttle.num_requests),
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(max(math.ceil(reset), 0)),
        "RateLimit-Policy": f"{throttle.num_requests};w={throttle.duration}",
    }


class RateLimitHeadersMiddleware:
    """Adds the budget WriteThrottle noted (limit, remaining, seconds to reset) to
    the answer of every throttled request, the 429 included, so a client can slow
    down before it is refused."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        for name, value in getattr(request, "rate_limit", {}).items():
            response[name] = value
        return response

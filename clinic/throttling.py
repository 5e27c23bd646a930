"""The API's write throttle (kept apart from clinic/api.py: DRF imports it while
it is still defining APIView, so it must not import views)."""

from rest_framework import permissions
from rest_framework.throttling import ScopedRateThrottle

from accounts.client_ip import client_ip


class WriteThrottle(ScopedRateThrottle):
    """Throttles every write (POST, PUT, PATCH, DELETE) per user on the shared cache,
    in the view's `throttle_scope` or else "api_write". Reads are not throttled.

    A throttled request gets 429 with Retry-After."""

    def allow_request(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        self.scope = getattr(view, self.scope_attr, None) or "api_write"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super(ScopedRateThrottle, self).allow_request(request, view)

    def get_ident(self, request) -> str:
        """Anonymous callers are counted by the same client address as every other
        limit (TRUSTED_PROXY_COUNT), not by DRF's own NUM_PROXIES reading."""
        return client_ip(request)

"""The API's Bearer authentication: allauth's JWTTokenAuthentication, then the
user's time zone, as UserTimezoneMiddleware does for pages (it runs before DRF
knows who a token belongs to). Kept free of view imports: DRF loads it while
defining APIView."""

from allauth.headless.contrib.rest_framework.authentication import (
    JWTTokenAuthentication,
)
from django.utils import timezone


class JWTAuthentication(JWTTokenAuthentication):
    """Bearer JWT from allauth's headless tokens; times in the answer are then in
    the user's own zone, with its offset (the middleware resets it per request)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            timezone.activate(result[0].zone)
        return result

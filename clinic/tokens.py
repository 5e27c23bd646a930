"""The API's token strategy: allauth's JWT strategy (access + rotating refresh
tokens bound to a server-side session), with two additions a phone app needs.

- The session lives as long as a refresh token (JWT_REFRESH_TOKEN_LIFETIME, 30
  days by default), not Django's two-week cookie age: else a refresh token would
  outlive the session it refreshes. Each refresh extends both.
- Reuse of a rotated refresh token revokes the whole session: only a thief (or a
  client that kept a copy it must not use) can hold one, so the token it was
  exchanged for, and every access token of the session, stop working too."""

from allauth.headless import app_settings
from allauth.headless.tokens.strategies.jwt import JWTTokenStrategy as AllauthJWT
from allauth.headless.tokens.strategies.jwt import internal


class JWTTokenStrategy(AllauthJWT):
    def create_access_token_payload(self, request):
        payload = super().create_access_token_payload(request)
        if payload is not None:
            # Kept in the session and applied from each save (each refresh).
            request.session.set_expiry(app_settings.JWT_REFRESH_TOKEN_EXPIRES_IN)
        return payload

    def refresh_token(self, refresh_token: str):
        tokens = super().refresh_token(refresh_token)
        if tokens is None:
            revoke_if_reused(refresh_token)
        return tokens


def revoke_if_reused(refresh_token: str) -> bool:
    """End the session of a genuine, unexpired refresh token that is no longer
    live in it (rotated away): a reuse. True if a session was ended."""
    payload = internal.decode_token(refresh_token, "refresh")
    if payload is None:  # forged, malformed or expired: nothing to learn
        return False
    session = internal.get_token_session(payload)
    if session is None:  # already logged out or revoked
        return False
    if payload["jti"] in internal.get_refresh_token_state(session):
        return False  # live, refused for another reason (e.g. the user is gone)
    session.delete()
    return True

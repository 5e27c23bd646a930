"""Two-factor sign-in (allauth.mfa): what the admin asks of a session."""

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.http import HttpRequest


def passed_mfa(request: HttpRequest) -> bool:
    """Whether this session's sign-in included a second factor (allauth records
    each step of it: password, then "mfa" for a TOTP or recovery code)."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def count_activation_as_mfa(sender, request, user, authenticator, **kwargs) -> None:
    """Activating an authenticator app takes the password (allauth asks again) and a
    code from the app: the session has shown both factors, so staff go on to the
    admin without typing a second code from the same 30-second window (allauth
    refuses a code twice). Connected to allauth's `authenticator_added`."""
    if authenticator.type != Authenticator.Type.RECOVERY_CODES:
        record_authentication(
            request, user, "mfa", id=authenticator.pk, type=authenticator.type
        )

"""The one shape of a rule saying no, shared by every app (accounts is the app all
others may import).

A service raises a `Refusal` subclass; the subclass names the HTTP status and a
stable code, the instance carries the sentence shown to the person. Pages turn it
into a message and a status with `accounts.web.refuse`, the API into its error body
with `clinic.api.exception_handler`: no view maps exceptions to statuses by hand.
"""

from http import HTTPStatus

from django.utils.translation import gettext_lazy as _


class Refusal(Exception):
    """A rule refuses the request.

    `status`: 400 for input a rule rejects, 403 for a role that may not act, 404
    for an object the person may not know of, 409 for a state that refuses (a slot
    just taken, a transition the lifecycle does not allow). `field`: the input the
    refusal is about (the API names it; a page shows the message beside it)."""

    status: HTTPStatus = HTTPStatus.CONFLICT
    code: str = "conflict"
    field: str | None = None
    default_message = _("This cannot be done now.")
    # More for the API's error body beside "errors" (e.g. the visits a change
    # would affect), as JSON-ready data; None for most refusals.
    extra: dict | None = None

    def __init__(self, message: str | None = None):
        self.message = str(message or self.default_message)
        super().__init__(self.message)


def refusal_codes(status: HTTPStatus) -> list[str]:
    """Every code a Refusal with `status` can carry (for the API schema's enums)."""
    codes, pending = set(), [Refusal]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.status == status:
            codes.add(cls.code)
    return sorted(codes)


class IdempotencyKeyInvalid(Refusal):
    status = HTTPStatus.BAD_REQUEST
    code = "invalid"
    field = "Idempotency-Key"
    default_message = _("Send 1 to 255 printable ASCII characters, e.g. a UUID.")


class IdempotencyKeyInUse(Refusal):
    """The first request with this key is still running: retry in a moment."""

    code = "idempotency_key_in_use"
    default_message = _(
        "A request with this Idempotency-Key is still being processed; "
        "retry in a moment to get its answer."
    )


class IdempotencyKeyReused(Refusal):
    """The key came before with another request: a client bug, never replayed."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "idempotency_key_reused"
    default_message = _(
        "This Idempotency-Key was already used with another request. "
        "Use a new key for a new request."
    )

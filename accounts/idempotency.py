"""Safe retries for the API's writes: the `Idempotency-Key` request header.

A client that lost the answer to a booking (a tunnel, a timeout) sends the same
request again with the same key and gets the first answer back, status and body,
instead of a second booking or a "slot taken" about its own booking. Keys are per
user and live `IdempotencyKey.LIFETIME` (24 hours). The same key with another
request (method, path or body) is a 422; while the first request with a key is
still running, a second one is a 409 `idempotency_key_in_use`.

A view opts in with the `Idempotent` mixin (its `idempotent_methods`); the schema
documents the header on those operations (clinic.api.AutoSchema)."""

import hashlib
import json
import re

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.template.response import SimpleTemplateResponse
from rest_framework.request import Request

from .errors import IdempotencyKeyInUse, IdempotencyKeyInvalid, IdempotencyKeyReused
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces


def fingerprint(request: Request) -> str:
    """What "the same request" means: method, path with query, and the JSON body
    compared as data (key order and spacing do not matter; no body is {})."""
    raw = request._request.body  # read before DRF parses it; Django keeps a copy
    try:
        data = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        body = raw
    else:
        body = b"" if data in (None, {}) else json.dumps(data, sort_keys=True).encode()
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def claim(*, user, key: str, fingerprint: str) -> IdempotencyKey:
    """The key's row for this request: a new one (status None: run the request),
    or the finished first request's (replay it). Raises IdempotencyKeyReused for
    another request's key, IdempotencyKeyInUse while the first one runs.

    The insert commits at once (requests run in autocommit), so a concurrent
    request with the same key meets the unique constraint: exactly one runs."""
    # Cleanup on write: this user's expired keys go (`clear_idempotency_keys`
    # sweeps everyone's from cron).
    IdempotencyKey.objects.filter(user=user).expired().delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                user=user, key=key, fingerprint=fingerprint
            )
    except IntegrityError:
        existing = IdempotencyKey.objects.filter(user=user, key=key).first()
    if existing is None:  # deleted between our insert and our read: it was gone
        raise IdempotencyKeyInUse
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused
    if existing.status is None:
        raise IdempotencyKeyInUse
    return existing


def record(row: IdempotencyKey, response: HttpResponse) -> None:
    """Keep the answer for replays; a server error or a 429 is not an answer
    (the key is released, so the retry really runs)."""
    if response.status_code >= 500 or response.status_code == 429:
        release(row)
        return
    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.render()
    IdempotencyKey.objects.filter(pk=row.pk).update(
        status=response.status_code,
        content_type=response.get("Content-Type", ""),
        body=bytes(response.content),
    )


def release(row: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=row.pk, status=None).delete()


def replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(row.body), status=row.status, content_type=row.content_type or None
    )
    response[REPLAYED_HEADER] = "true"
    return response


class Replay(Exception):
    """Raised in `initial` to answer with the stored response instead of running
    the handler (DRF has no other way out of `initial`)."""

    def __init__(self, response: HttpResponse):
        self.response = response


class Idempotent:
    """A DRF view mixin: its `idempotent_methods` honour `Idempotency-Key`.

    After authentication, permissions and throttles (a refused request claims no
    key), the key is claimed or its stored answer replayed; the handler's answer,
    refusals included, is stored on the way out."""

    idempotent_methods: tuple[str, ...] = ("POST",)
    _idempotency_row: IdempotencyKey | None = None

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        key = request.headers.get(HEADER)
        if key is None or request.method not in self.idempotent_methods:
            return
        if not KEY_PATTERN.match(key):
            raise IdempotencyKeyInvalid
        row = claim(user=request.user, key=key, fingerprint=fingerprint(request))
        if row.status is not None:
            raise Replay(replay(row))
        self._idempotency_row = row

    def handle_exception(self, exc: Exception):
        if isinstance(exc, Replay):
            return exc.response
        try:
            return super().handle_exception(exc)
        except Exception:
            # A crash: nothing to replay, and the retry must be allowed to run.
            if self._idempotency_row is not None:
                release(self._idempotency_row)
                self._idempotency_row = None
            raise

    def finalize_response(self, request: Request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._idempotency_row is not None:
            record(self._idempotency_row, response)
            self._idempotency_row = None
        return response

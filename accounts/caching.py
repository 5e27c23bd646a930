"""Conditional GETs for the API's read endpoints: `ETag`, `Last-Modified`,
`Cache-Control`, and `304 Not Modified` on a match.

The ETag is a hash of the rendered answer, so it changes exactly when the answer
does, whatever changed it (a follow, a booking, a review, a schedule change...);
a 304 saves the bandwidth of the body, not the work of building it. Last-Modified
is when this URL first gave this answer to this viewer (remembered in the cache;
if the cache forgets, it is "now", which only costs a full answer). The answers of
signed-in users are `private` (they carry follow state, their own holds and
appointments); anonymous ones `public`. Both `no-cache`: a cache may keep them but
asks again each time, so whatever someone just did shows on their next request.

A view opts in with the `Conditional` mixin."""

import hashlib
import logging

from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.template.response import SimpleTemplateResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from rest_framework.request import Request

logger = logging.getLogger(__name__)

# Kept a day: longer than a client reasonably revalidates within.
SEEN_FOR = 24 * 60 * 60


def _last_modified(request: Request, etag: str) -> int:
    """When this viewer first got this answer at this URL (a Unix time)."""
    viewer = request.user.pk if request.user.is_authenticated else "anonymous"
    where = hashlib.sha256(f"{viewer} {request.get_full_path()}".encode()).hexdigest()
    key = f"api-seen:{where}"
    now = int(timezone.now().timestamp())
    try:
        seen = cache.get(key)
        if seen and seen[0] == etag:
            return seen[1]
        cache.set(key, (etag, now), SEEN_FOR)
    except Exception:  # the cache down: "now" is a safe answer, never a 500
        logger.warning("Cache unavailable for Last-Modified", exc_info=True)
    return now


def _not_modified(request: Request, etag: str, last_modified: int) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when sent; else If-Modified-Since."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = parse_etags(if_none_match)
        # Weak comparison: W/"x" matches "x".
        return "*" in tags or etag in {tag.removeprefix("W/") for tag in tags}
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and last_modified <= since


def conditional(request: Request, response: HttpResponse) -> HttpResponse:
    """The response with its validators and caching headers, or a 304 for it."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.render()
    etag = etag_of(response.content)
    return with_validators(request, response, etag, _last_modified(request, etag))


def etag_of(content: bytes) -> str:
    return f'"{hashlib.sha256(content).hexdigest()[:32]}"'


def with_validators(
    request: Request, response: HttpResponse, etag: str, last_modified: int
) -> HttpResponse:
    """The 200 `response` with these validators and the caching headers, or a 304
    for it. (A view that keeps its answer in the cache may pass when the answer
    was made as `last_modified`: a client holding an older date has another
    answer, since the kept one is served only while it is still the answer.)"""
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(last_modified),
        "Cache-Control": ("private" if request.user.is_authenticated else "public")
        + ", no-cache",
    }
    if _not_modified(request, etag, last_modified):
        response = HttpResponseNotModified()
    for name, value in headers.items():
        response[name] = value
    # The same URL answers differently per token or session.
    patch_vary_headers(response, ("Authorization", "Cookie"))
    return response


class Conditional:
    """A DRF view mixin: GET answers carry ETag, Last-Modified and Cache-Control,
    and are a 304 when the client's copy is still the answer (the schema says so:
    clinic.api.AutoSchema reads `conditional_get`)."""

    conditional_get = True

    def finalize_response(self, request: Request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        return conditional(request, response)

"""Rendered fragments of a doctor's public face, kept in the shared cache (Redis in
production), never stale and never crossing viewers.

Two kinds of keys:

- By version, for fragments made of many rows (the reviews panel): a doctor's
  version is a token in the cache that `bump` replaces once a transaction that
  changed what the doctor's fragments show has committed. A view reads the version
  *before* its queries, so a fragment stored under a version was rendered from data
  at least as new as the version: a commit after the read bumps the version and
  leaves that fragment behind. Every service that changes what a doctor's pages
  show calls `bump_on_commit` (see README, "Performance"): follows, reviews and
  ratings, slots and the next free time, the profile and its approval.
- By content, for fragments rendered from rows the view has just read (directory
  cards, the slot picker): the key holds every value the fragment shows, so a new
  value is a new key. Nothing to bump.

Both carry the language, the time zone and the kind of viewer (`viewer_key`); the
per-viewer bits inside (the CSRF token, the page to come back to) are placeholders
filled per request (`personalize`). The fragments' ETags are their keys.
"""

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from functools import cache as memoize

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.html import escape

# A fragment lives a day at most: old versions' fragments simply expire.
TIMEOUT = 24 * 60 * 60
_VERSION = "doctor-version:{}"
_LISTING = "directory"
# NUL never reaches a page from user input (Django's form fields refuse it), so
# these cannot collide with anything a doctor or patient typed.
CSRF = "\x00csrf\x00"
NEXT = "\x00next\x00"


def _token() -> str:
    return secrets.token_hex(8)


def versions(doctor_ids: Iterable[int]) -> dict[int, str]:
    """Each doctor's current version (created on first use). One round trip."""
    keys = {_VERSION.format(pk): pk for pk in doctor_ids}
    found = cache.get_many(list(keys))
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, _token(), timeout=None)  # add: a concurrent bump wins
        found.update(cache.get_many(missing))
    return {keys[key]: value for key, value in found.items()}


def version(doctor_id: int) -> str:
    return versions([doctor_id])[doctor_id]


def version_key(doctor_id: int) -> str:
    """The cache key holding the doctor's version (for readers that check several
    kinds of versions in one round trip, like appointments.caching)."""
    return _VERSION.format(doctor_id)


def listing_version() -> str:
    """The version of the directory as a whole (its choices and counts): any
    doctor's bump, and any change to specializations or languages, moves it."""
    return versions([_LISTING])[_LISTING]


# The cache key of the listing version, for readers that check it beside other
# versions in one round trip (appointments.caching).
LISTING_VERSION_KEY = _VERSION.format(_LISTING)


def with_listing_version(keys: list[str]) -> tuple[str, dict]:
    """The listing version and the values of `keys`, in one round trip. A value
    stored with the version it was computed under (read before its queries) is
    current while that version is."""
    found = cache.get_many([LISTING_VERSION_KEY, *keys])
    version = found.pop(LISTING_VERSION_KEY, None) or listing_version()
    return version, found


def bump(doctor_ids: Iterable[int]) -> None:
    """New versions now: every versioned fragment of these doctors is left behind,
    and the directory's listing too."""
    tokens = {_VERSION.format(pk): _token() for pk in doctor_ids}
    tokens[_VERSION.format(_LISTING)] = _token()
    cache.set_many(tokens, timeout=None)


def listing_get(name: str, parts: tuple, compute: Callable):
    """A value of the directory (choices, a count) under the listing version, read
    before `compute` runs its queries."""
    if not settings.FRAGMENT_CACHE:
        return compute()
    key = key_of((), "listing", name, listing_version(), parts)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=TIMEOUT)
    return value


def bump_on_commit(doctor_ids: Iterable[int]) -> None:
    """`bump` once the current transaction commits (at once outside one): a reader
    before the commit may still store the old data, but under the old version."""
    ids = sorted(set(doctor_ids))
    if ids:
        transaction.on_commit(lambda: bump(ids))


def bump_listing_on_commit(*args, **kwargs) -> None:
    """The directory's listing only (a specialization or language saved or
    deleted: the filter's choices). Takes a signal's arguments."""
    transaction.on_commit(lambda: bump([]))


def audience_key() -> tuple:
    """What every cached fragment depends on besides its data: the language and
    the time zone it is read in."""
    return (translation.get_language(), timezone.get_current_timezone_name())


def viewer_key(request) -> tuple:
    """`audience_key` and whether the viewer is signed in (their own bits are
    placeholders)."""
    return (
        *audience_key(),
        bool(getattr(request, "user", None) and request.user.is_authenticated),
    )


# The directory's per-viewer parts of a card: its follow box and its free times
# (a hold form signed in, a link to pick the time signed out), one placeholder
# each per doctor in a cached page, replaced per viewer (doctors.views).
FOLLOW = "\x00follow:{}\x00"
TIMES = "\x00times:{}\x00"
VIEWER_PATTERN = re.compile("\x00(follow|times):([0-9]+)\x00")


@memoize
def _templates_digest(names: tuple[str, ...]) -> str:
    """The fragment's templates as this process loaded them: a deploy that edits
    one (or the static files) never serves what the old one rendered."""
    from django.contrib.staticfiles.storage import staticfiles_storage

    digest = hashlib.blake2b(digest_size=8)
    # The static files' manifest too: pages name their hashed files.
    digest.update(str(getattr(staticfiles_storage, "manifest_hash", "")).encode())
    for name in names:
        digest.update(get_template(name).template.source.encode())
    return digest.hexdigest()


def key_of(templates: tuple[str, ...], *parts) -> str:
    """The cache key (and ETag) of a fragment rendered by `templates` from `parts`."""
    raw = repr((_templates_digest(templates), parts)).encode()
    return "fragment:" + hashlib.blake2b(raw, digest_size=16).hexdigest()


def get_many(keys: dict[str, Callable[[], str]]) -> dict[str, str]:
    """The fragment of each key, rendering (and storing) those not cached. One
    round trip to read, one to store what was missing."""
    if not settings.FRAGMENT_CACHE:
        return {key: render() for key, render in keys.items()}
    found = cache.get_many(list(keys))
    rendered = {key: render() for key, render in keys.items() if key not in found}
    if rendered:
        cache.set_many(rendered, timeout=TIMEOUT)
    return found | rendered


def get(key: str, render: Callable[[], str]) -> str:
    return get_many({key: render})[key]


def personalize(html: str, request) -> str:
    """The viewer's own CSRF token and page in place of the placeholders."""
    if CSRF in html:
        # One (masked) token per request, however many fragments carry it.
        if not hasattr(request, "_fragment_csrf_token"):
            request._fragment_csrf_token = get_token(request)
        html = html.replace(CSRF, request._fragment_csrf_token)
    if NEXT in html:
        html = html.replace(NEXT, escape(request.get_full_path()))
    return html


def placeholder_context() -> dict:
    """Context for rendering a cacheable fragment: placeholders, not this viewer's
    CSRF token and page."""
    # `request` only as far as the follow button reads it (its default `next`).
    return {"csrf_token": CSRF, "next": NEXT, "request": {"get_full_path": NEXT}}


# --- Conditional GET on fragments ---------------------------------------------------


def _etag(request, key: str) -> str:
    # The viewer's CSRF secret too: a page kept by the browser carries a token
    # that must still be theirs.
    secret = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    raw = f"{key}:{secret}".encode()
    return '"' + hashlib.blake2b(raw, digest_size=12).hexdigest() + '"'


def not_modified(request, key: str) -> bool:
    """The browser's copy (If-None-Match) is this fragment for this viewer."""
    wanted = request.headers.get("If-None-Match", "")
    return bool(wanted) and _etag(request, key) in {
        tag.strip().removeprefix("W/") for tag in wanted.split(",")
    }


def _revalidate(response: HttpResponse, request, key: str) -> HttpResponse:
    response["ETag"] = _etag(request, key)
    # Kept by this browser only, and asked again every time: never stale.
    response["Cache-Control"] = "private, no-cache"
    return response


def not_modified_response(request, key: str) -> HttpResponse:
    return _revalidate(HttpResponseNotModified(), request, key)


def response_for(request, key: str, html: str) -> HttpResponse:
    """The fragment with its ETag."""
    return _revalidate(HttpResponse(html), request, key)


# --- Saves that no service makes -------------------------------------------------
# The profile form (the doctor's own edit page) and admin save the model directly,
# and a person's name and avatar show on their doctor profile: bumped on save.

PERSON_FIELDS = frozenset({"full_name", "email", "avatar", "avatar_thumbnail"})


def person_changed(update_fields) -> bool:
    """A save that may have changed what pages show of a person (a login's
    last_login update does not)."""
    return update_fields is None or bool(PERSON_FIELDS & set(update_fields))


def on_profile_saved(sender, instance, **kwargs) -> None:
    bump_on_commit([instance.pk])


def on_languages_changed(sender, instance, action, **kwargs) -> None:
    if action.startswith("post_"):
        from .models import DoctorProfile

        if isinstance(instance, DoctorProfile):
            bump_on_commit([instance.pk])
        else:  # a language renamed or removed: its doctors
            bump_on_commit(kwargs.get("pk_set") or [])


def on_person_saved(sender, instance, created=False, update_fields=None, **kw):
    if not created and person_changed(update_fields):
        from .models import DoctorProfile

        bump_on_commit(
            DoctorProfile.objects.filter(user=instance).values_list("pk", flat=True)
        )


# --- Whole pages for signed-out visitors -------------------------------------------


def fingerprint(*rows) -> tuple:
    """Every stored value of these model instances: a page or card keyed on it
    changes key with any of them, whatever its template comes to show."""
    return tuple(
        (row._meta.label, *(getattr(row, f.attname) for f in row._meta.concrete_fields))
        for row in rows
    )


def anonymous_page(
    request,
    templates: tuple[str, ...],
    parts,
    render: Callable,
    *,
    fragment: bool = False,
    cacheable: bool = True,
) -> HttpResponse:
    """The whole page (or, with `fragment`, the htmx fragment, with an ETag) for a
    signed-out visitor's GET from the cache, else rendered by
    `render(extra_context)` (which must pass `extra_context` to its template) and
    stored. Signed-in viewers, pages with a message waiting and requests the view
    finds not `cacheable` (free text, junk parameters) are rendered as ever.
    `parts`: what the page shows that may change (versions, rows' fingerprints),
    read before the queries `render` makes (or a function returning them, called
    for visitors only).

    `render` may return (response, seconds): the page stays that long at most
    (what it shows moves with the clock)."""
    visitor = (
        cacheable
        and settings.FRAGMENT_CACHE
        and request.method == "GET"
        and not request.user.is_authenticated
        and bool(getattr(request, "htmx", False)) == fragment
        and not len(messages.get_messages(request))
    )
    if not visitor:
        result = render({})
        return result[0] if isinstance(result, tuple) else result
    if callable(parts):
        parts = parts()
    key = key_of(
        templates, "page", fragment, request.get_full_path(), parts, viewer_key(request)
    )
    body = cache.get(key)
    if body is not None and fragment and not_modified(request, key):
        return not_modified_response(request, key)
    if body is None:
        result = render({"csrf_token": CSRF})
        response, seconds = result if isinstance(result, tuple) else (result, TIMEOUT)
        if response.status_code != 200 or seconds <= 0:
            response.content = personalize(response.content.decode(), request)
            return response
        body = response.content.decode()
        cache.set(key, body, timeout=min(TIMEOUT, max(1, int(seconds))))
    if fragment:
        return response_for(request, key, personalize(body, request))
    return HttpResponse(personalize(body, request))

"""Signed-in people's own appointment pages ("My appointments", the doctor's day)
kept whole in the shared cache (`FRAGMENT_CACHE`, Redis in production): never
stale, never crossing users, languages or time zones.

A page is stored under a key made of everything about the request and its viewer
that it shows: the user (every stored field of their row), the URL, htmx or not,
language and time zone. Beside the HTML the entry keeps

- `deps`: the versions of what it shows, read *before* the view's queries: the
  user's role names (accounts.context_processors) and unread notifications
  (notifications.context_processors); a party's appointments
  (`party_key`: a patient's, or a doctor profile's), bumped on commit by every
  write to an appointment, its events or its review and by a save of the
  patient's own row; doctors' versions (`doctors.cache`: their slots, time off,
  profile and specialization's name).
  A commit after that read moves a version: the entry is never served again;
- `until`: the first moment the clock alone may change the page (a visit starts
  or ends, a cancellation cutoff passes, a hold lapses, the day turns).

A hit reads the page and checks both in one round trip (`get_many`: the
version keys guessed from this process's last hit of the page, the entry's own
list read in a second one when the guess missed any); the viewer's CSRF token goes
in place of the placeholder (`doctors.cache.personalize`). Pages with a message
waiting, and anything but a 200, are rendered as ever."""

import datetime as dt
import secrets
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts import context_processors as roles
from doctors import cache as fragments
from notifications import context_processors as bell

_PARTY = "visits-version:{}:{}"
# A page's key -> the version keys it depended on when last found (bounded).
_deps_of: dict[str, tuple[str, ...]] = {}


def party_key(kind: str, pk: int) -> str:
    """The version key of a party's appointments: kind "patient" (a user id) or
    "doctor" (a doctor profile id)."""
    return _PARTY.format(kind, pk)


def _token() -> str:
    return secrets.token_hex(8)


def read_versions(keys: Iterable[str]) -> dict[str, str]:
    """The current value of each version key (created on first use)."""
    keys = list(dict.fromkeys(keys))
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, _token(), timeout=None)  # add: a concurrent bump wins
        found.update(cache.get_many(missing))
    return found


def bump_parties_on_commit(
    *, patients: Iterable[int | None] = (), doctors: Iterable[int | None] = ()
) -> None:
    """New versions for these parties once the transaction commits (at once
    outside one): their cached pages are never served again."""
    keys = [party_key("patient", pk) for pk in set(patients) if pk is not None]
    keys += [party_key("doctor", pk) for pk in set(doctors) if pk is not None]
    if keys:
        transaction.on_commit(
            lambda: cache.set_many({key: _token() for key in keys}, timeout=None)
        )


def bump_appointment_on_commit(appointment) -> None:
    bump_parties_on_commit(
        patients=[appointment.patient_id], doctors=[appointment.doctor_id]
    )


# Saves and deletes no service makes (admin, demo data) and those they do make:
# connected in AppointmentsConfig.ready.


def on_appointment_saved(sender, instance, **kwargs) -> None:
    bump_appointment_on_commit(instance)


def on_review_saved(sender, instance, **kwargs) -> None:
    bump_parties_on_commit(patients=[instance.patient_id])


def on_time_off_saved(sender, instance, **kwargs) -> None:
    fragments.bump_on_commit([instance.doctor_id])


def on_specialization_saved(sender, instance, **kwargs) -> None:
    """A specialization renamed: its doctors' versions (their name shows on their
    patients' appointments)."""
    from doctors.models import DoctorProfile

    fragments.bump_on_commit(
        DoctorProfile.objects.filter(specialization_id=instance.pk).values_list(
            "pk", flat=True
        )
    )


def on_person_saved(sender, instance, created=False, update_fields=None, **kw):
    """A patient's name, phone, email or birth date show on their doctors' days."""
    if not created and (update_fields is None or set(update_fields) - {"last_login"}):
        bump_parties_on_commit(patients=[instance.pk])


def next_midnights(now: dt.datetime, *zones) -> list[dt.datetime]:
    """The next local midnight in each zone (and this request's): the day turns."""
    moments = []
    for zone in (timezone.get_current_timezone(), *zones):
        tomorrow = now.astimezone(zone).date() + dt.timedelta(days=1)
        moments.append(dt.datetime.combine(tomorrow, dt.time.min, tzinfo=zone))
    return moments


def personal_page(
    request: HttpRequest,
    templates: tuple[str, ...],
    render: Callable[[dict | None], tuple[HttpResponse, dt.datetime | None]],
) -> HttpResponse:
    """The signed-in viewer's page from the cache, else `render(context)`.

    `render` gets None when nothing will be stored (it renders as ever), else a
    dict: it reads the versions its page depends on with `read_versions` and
    puts them in `context["deps"]` *before* its queries, passes
    `context["extra"]` to its template (the CSRF placeholder) and returns
    (response, until: how long the clock leaves the page alone, None: do not
    store)."""
    user = request.user
    cacheable = (
        settings.FRAGMENT_CACHE
        and request.method == "GET"
        and user.is_authenticated
        and not len(messages.get_messages(request))
    )
    if not cacheable:
        return render(None)[0]
    htmx = getattr(request, "htmx", None)
    key = fragments.key_of(
        templates,
        "personal",
        user.pk,
        request.get_full_path(),
        bool(htmx) and not htmx.boosted,
        fragments.viewer_key(request),
        # The row itself, not through request.user's lazy proxy (30 lookups).
        fragments.fingerprint(getattr(user, "_wrapped", user)),
    )
    now = timezone.now()
    # The versions this page depended on when last found (in this process): read
    # in the same round trip as the page. Only a guess: the entry lists its own.
    guessed = _deps_of.get(key, ())
    found_all = cache.get_many([key, *guessed])
    found = found_all.get(key)
    # Another shape (stored by an older release): not this page.
    if isinstance(found, tuple) and len(found) == 3:
        deps, until, body = found
        if len(_deps_of) >= 10_000:
            _deps_of.clear()
        _deps_of[key] = tuple(deps)
        current = {k: found_all.get(k) for k in deps if k in guessed}
        missing = [k for k in deps if k not in guessed]
        if missing and now < until:
            current.update(cache.get_many(missing))
        if now < until and all(current.get(k) == v for k, v in deps.items()):
            return HttpResponse(fragments.personalize(body, request))
    # The navigation's role names and unread count: read before it is rendered.
    deps = read_versions([roles.version_key(user.pk), bell.version_key(user.pk)])
    context = {"deps": deps, "extra": {"csrf_token": fragments.CSRF}}
    response, until = render(context)
    body = response.content.decode()
    if response.status_code == 200 and until is not None:
        seconds = (until - timezone.now()).total_seconds()
        if seconds >= 1:
            cache.set(
                key,
                (context["deps"], until, body),
                timeout=min(fragments.TIMEOUT, int(seconds)),
            )
    response.content = fragments.personalize(body, request)
    return response

"""Small helpers every app's views share (accounts is the app all others may import)."""

import datetime as dt
from http import HTTPStatus

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from .errors import Refusal


def redirect_after_post(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful POST: htmx follows a client-side redirect, others a 302.

    `url` is a URL, never a view name (`redirect("x")` would try to reverse it)."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` the request names when it is a path on this site, else `default`.

    Anything else (another host, a scheme, a bare word) is ignored, never followed."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


def date_param(request: HttpRequest, name: str) -> dt.date | None:
    """The query parameter `name` as a date (YYYY-MM-DD), None when absent.

    Raises ValueError when it is malformed or outside 2000–2100 (far from the
    limits of date arithmetic: 9999-12-31 + 1 day would be a 500)."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    day = dt.date.fromisoformat(raw)
    if not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
        raise ValueError(raw)
    return day


def template_for(request: HttpRequest, page: str, fragment: str) -> str:
    """The fragment for an htmx request (not a boosted page load), else the page."""
    htmx = getattr(request, "htmx", False)
    return fragment if htmx and not htmx.boosted else page


def refuse(
    request: HttpRequest, error: Refusal, form: forms.BaseForm | None = None
) -> HTTPStatus:
    """Show a service's refusal and return the status the page answers with.

    With a form, the message goes beside the field the refusal is about (or at the
    top of the form) so what the person typed stays. Without one, a role that may
    not act gets the 403 page and an object they may not know of the 404 page;
    anything else is a message for the page the view redirects to."""
    if form is not None:
        field = error.field if error.field in form.fields else None
        form.add_error(field, forms.ValidationError(error.message, code=error.code))
    elif error.status == HTTPStatus.FORBIDDEN:
        raise PermissionDenied(error.message)
    elif error.status == HTTPStatus.NOT_FOUND:
        raise Http404(error.message)
    else:
        messages.error(request, error.message)
    return error.status


# --- Where to go after logging in, kept across sign-up and email confirmation -----

# Sign-up with mandatory email confirmation ends on the log-in page reached from a
# link in an email, where no `next` survives: the page a visitor was asked to log
# in for is kept in their session instead (login keeps the session's data).
AFTER_LOGIN = "after_login"
AFTER_LOGIN_LIFETIME = dt.timedelta(hours=1)


def remember_after_login(request: HttpRequest, url: str, label: str) -> None:
    """Go to `url` (a path on this site) after the visitor's next log-in, within
    AFTER_LOGIN_LIFETIME; `label` says what for on the log-in and sign-up pages
    ("Book Dr Ada Lee, Tue 3 Dec 09:30")."""
    until = dt.datetime.now(dt.UTC) + AFTER_LOGIN_LIFETIME
    request.session[AFTER_LOGIN] = {
        "url": url,
        "label": label,
        "until": until.isoformat(),
    }


def after_login(request: HttpRequest) -> dict | None:
    """What `remember_after_login` kept, unless it is too old."""
    kept = request.session.get(AFTER_LOGIN)
    if not isinstance(kept, dict):
        return None
    try:
        until = dt.datetime.fromisoformat(kept["until"])
    except (KeyError, TypeError, ValueError):
        return None
    url = str(kept.get("url", ""))
    # A path on this site only ("//host" would be another site).
    if until <= dt.datetime.now(dt.UTC) or not url.startswith("/") or "//" in url:
        return None
    return kept


def forget_after_login(request: HttpRequest) -> None:
    request.session.pop(AFTER_LOGIN, None)


def pop_after_login(request: HttpRequest) -> str | None:
    """The kept page's URL (now forgotten), or None."""
    kept = after_login(request)
    forget_after_login(request)
    return kept["url"] if kept else None

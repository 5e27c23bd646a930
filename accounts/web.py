"""Small helpers every app's views share (accounts is the app all others may import)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRedirect


def redirect_after_post(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful POST: htmx follows a client-side redirect, others a 302."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def template_for(request: HttpRequest, page: str, fragment: str) -> str:
    """The fragment for an htmx request (not a boosted page load), else the page."""
    htmx = getattr(request, "htmx", False)
    return fragment if htmx and not htmx.boosted else page

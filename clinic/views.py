"""Site-wide views: the home page, the health check and the error pages."""

import logging
from http import HTTPStatus

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from doctors import cache as doctor_cache
from doctors.models import Specialization

HOME_TEMPLATES = ("home.html", "base.html", "includes/_navbar.html")

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    """The home page; for visitors from the cache while the specializations (the
    directory's listing version) and the year in the footer stay the same."""

    def render_home(extra: dict) -> HttpResponse:
        specializations = Specialization.objects.order_by("name")[:12]
        context = {"specializations": specializations, **extra}
        return render(request, "home.html", context)

    parts = (doctor_cache.listing_version(), timezone.now().year)
    return doctor_cache.anonymous_page(request, HOME_TEMPLATES, parts, render_home)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any driver error means "down" to a health check
        logger.exception("Health check: database unreachable")
        return False


def _cache_ok() -> bool:
    try:
        cache.set("healthz", "ok", timeout=10)
        return cache.get("healthz") == "ok"
    except Exception:
        logger.exception("Health check: cache unreachable")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    parts = {
        "database": "ok" if _database_ok() else "error",
        "cache": "ok" if _cache_ok() else "error",
    }
    healthy = all(state == "ok" for state in parts.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **parts},
        status=HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE,
    )


def ratelimited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """django-ratelimit's RATELIMIT_VIEW: the site's 429 page."""
    template = "_429.html" if getattr(request, "htmx", False) else "429.html"
    return render(request, template, status=HTTPStatus.TOO_MANY_REQUESTS)


def _api_error(request: HttpRequest, status: HTTPStatus, code: str) -> HttpResponse:
    """The API's one error shape (drf-standardized-errors') for errors raised
    outside its views, e.g. by middleware: /api/ never answers an HTML page."""
    error_type = "server_error" if status >= 500 else "client_error"
    return JsonResponse(
        {
            "type": error_type,
            "errors": [{"code": code, "detail": status.phrase, "attr": None}],
        },
        status=status,
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _api_error(request, HTTPStatus.BAD_REQUEST, "bad_request")
    return render(request, "400.html", status=HTTPStatus.BAD_REQUEST)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _api_error(request, HTTPStatus.FORBIDDEN, "permission_denied")
    return render(request, "403.html", status=HTTPStatus.FORBIDDEN)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _api_error(request, HTTPStatus.NOT_FOUND, "not_found")
    return render(request, "404.html", status=HTTPStatus.NOT_FOUND)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _api_error(request, HTTPStatus.INTERNAL_SERVER_ERROR, "error")
    # No context processors or database here: this page must render when they fail.
    return render(request, "500.html", status=HTTPStatus.INTERNAL_SERVER_ERROR)

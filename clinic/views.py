"""Site-wide views: the home page, where each role lands after logging in, the
health check and the error pages."""

import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from http import HTTPStatus

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.db import (
    InterfaceError,
    OperationalError,
    connection,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from appointments.models import Appointment
from doctors import cache as doctor_cache
from doctors.models import DoctorProfile, Specialization

HOME_SPECIALIZATIONS = 12
HOME_TEMPLATES = ("home.html", "base.html", "includes/_navbar.html")

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    """The home page; for visitors from the cache while the specializations (the
    directory's listing version) and the year in the footer stay the same."""

    def render_home(extra: dict) -> HttpResponse:
        # The first few, and a link to all of them (/specializations/).
        specializations = list(Specialization.objects.order_by("name"))
        context = {
            "specializations": specializations[:HOME_SPECIALIZATIONS],
            "specialization_count": len(specializations),
            **extra,
        }
        return render(request, "home.html", context)

    parts = (doctor_cache.listing_version(), timezone.now().year)
    return doctor_cache.anonymous_page(request, HOME_TEMPLATES, parts, render_home)


def landing_url(user) -> str:
    """Where `user` starts after logging in: where their work is. Clinic staff:
    the front desk (the admin's index when they may not work it); a doctor: today's
    agenda; a patient: their upcoming appointments, or the directory when they have
    none. A `next` the log-in carried wins over this (allauth checks it first)."""
    if user.is_staff:
        if user.has_perm("appointments.work_front_desk"):
            return reverse("admin:appointments_appointment_desk")
        return reverse("admin:index")
    if DoctorProfile.objects.approved_of(user).exists():
        return reverse("appointments:doctor_list") + "?tab=today"
    if Appointment.objects.filter(patient=user).upcoming(timezone.now()).exists():
        return reverse("appointments:list")
    return reverse("doctors:list")


@login_required
@never_cache
def landing(request: HttpRequest) -> HttpResponse:
    """LOGIN_REDIRECT_URL: send the signed-in person to their role's start page."""
    return redirect(landing_url(request.user))


# /healthz answers within this many seconds, whatever the database does.
HEALTH_CHECK_TIMEOUT = 1.0
# One thread checks the database, so a hung one cannot hold the request past the
# timeout; a check still stuck makes the next ones time out too. It opens a fresh
# connection each time and closes it: a health check proves a new connection works,
# and leaves none behind.
_health_checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")


def _select_one() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any driver error means "down" to a health check
        logger.exception("Health check: database unreachable")
        return False
    finally:
        connection.close()


def _database_state() -> str:
    future = _health_checker.submit(_select_one)
    try:
        return "ok" if future.result(timeout=HEALTH_CHECK_TIMEOUT) else "error"
    except FutureTimeout:
        logger.error(
            "Health check: database did not answer in %ss", HEALTH_CHECK_TIMEOUT
        )
        return "timeout"


def _cache_state() -> str:
    """ "degraded" when Redis is unreachable: the site still works (limits count
    per process, see clinic/cache.py), so this alone is no 503."""
    reachable = getattr(cache, "reachable", None)
    if reachable is not None:
        return "ok" if reachable() else "degraded"
    try:
        cache.set("healthz", "ok", timeout=10)
        return "ok" if cache.get("healthz") == "ok" else "degraded"
    except Exception:
        logger.exception("Health check: cache unreachable")
        return "degraded"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with each part's state; 503 only when the database is down or hung,
    the one part nothing works without."""
    parts = {"database": _database_state(), "cache": _cache_state()}
    if parts["database"] != "ok":
        status = "error"
    elif parts["cache"] != "ok":
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse(
        {"status": status, **parts},
        status=HTTPStatus.SERVICE_UNAVAILABLE if status == "error" else HTTPStatus.OK,
    )


def ratelimited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """django-ratelimit's RATELIMIT_VIEW: the site's 429 page."""
    template = "_429.html" if getattr(request, "htmx", False) else "429.html"
    return render(request, template, status=HTTPStatus.TOO_MANY_REQUESTS)


# Failures that are not bugs: each answers its own status instead of a 500, in
# the shape of the door it came through (the API's DRF views map them the same
# way in clinic.api.ExceptionHandler).
DATABASE_ERRORS = (OperationalError, InterfaceError)


def failure_status(exc: BaseException | None) -> tuple[HTTPStatus, str] | None:
    """The status and code for an exception that is the world's fault, not ours:
    the database down or hung (503), a body too large (413) or nested too deep to
    parse (400)."""
    if isinstance(exc, DATABASE_ERRORS):
        return HTTPStatus.SERVICE_UNAVAILABLE, "service_unavailable"
    if isinstance(exc, RequestDataTooBig):
        return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request_too_large"
    if isinstance(exc, RecursionError):
        return HTTPStatus.BAD_REQUEST, "parse_error"
    return None


def _api_error(request: HttpRequest, status: HTTPStatus, code: str) -> HttpResponse:
    """The API's one error shape (drf-standardized-errors') for errors raised
    outside its views, e.g. by middleware: /api/ never answers an HTML page.
    allauth's headless endpoints (/_allauth/) get allauth's own error shape."""
    if request.path.startswith("/_allauth/"):
        response = JsonResponse(
            {"status": status, "errors": [{"message": status.phrase, "code": code}]},
            status=status,
        )
    else:
        error_type = "server_error" if status >= 500 else "client_error"
        response = JsonResponse(
            {
                "type": error_type,
                "errors": [{"code": code, "detail": status.phrase, "attr": None}],
            },
            status=status,
        )
    if status == HTTPStatus.SERVICE_UNAVAILABLE:
        response["Retry-After"] = str(settings.DATABASE_RETRY_AFTER)
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/_allauth/"))


def _failure_page(request: HttpRequest, status: HTTPStatus, code: str) -> HttpResponse:
    if _is_api(request):
        return _api_error(request, status, code)
    if status == HTTPStatus.SERVICE_UNAVAILABLE:
        # No request context: its processors read the database that just failed.
        response = HttpResponse(loader.render_to_string("503.html"), status=status)
        response["Retry-After"] = str(settings.DATABASE_RETRY_AFTER)
        return response
    template = (
        "413.html" if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE else "400.html"
    )
    return render(request, template, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    status, code = failure_status(exception) or (HTTPStatus.BAD_REQUEST, "bad_request")
    return _failure_page(request, status, code)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _api_error(request, HTTPStatus.FORBIDDEN, "permission_denied")
    return render(request, "403.html", status=HTTPStatus.FORBIDDEN)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _api_error(request, HTTPStatus.NOT_FOUND, "not_found")
    return render(request, "404.html", status=HTTPStatus.NOT_FOUND)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except`, so the exception is at hand: the
    # database down or a body too deep to parse is no 500.
    if failure := failure_status(sys.exc_info()[1]):
        return _failure_page(request, *failure)
    if _is_api(request):
        return _api_error(request, HTTPStatus.INTERNAL_SERVER_ERROR, "error")
    # No context processors or database here: this page must render when they fail.
    return HttpResponse(
        loader.render_to_string("500.html"), status=HTTPStatus.INTERNAL_SERVER_ERROR
    )

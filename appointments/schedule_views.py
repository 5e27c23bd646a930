"""Pages for a doctor's schedule (availability, time off, week grid) and the public
slot picker on a doctor's page."""

import datetime as dt
import functools
from collections.abc import Callable
from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts import limits
from accounts.web import redirect_after_post, template_for
from doctors.models import DoctorProfile

from . import schedule, selectors
from .models import TimeOff
from .schedule_forms import (
    BookingSettingsForm,
    TimeOffForm,
    WindowFormSet,
    window_initial,
)


def approved_doctor_required(view: Callable) -> Callable:
    """Signed in (else the login page) and an approved doctor (else 403); the
    profile is passed to the view."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        doctor = DoctorProfile.objects.approved_of(request.user).first()
        if doctor is None:
            raise PermissionDenied
        return view(request, doctor, *args, **kwargs)

    return wrapper


def _result_message(result: schedule.RegenerationResult) -> str:
    parts = [
        ngettext("%(n)d new slot", "%(n)d new slots", result.created)
        % {"n": result.created},
        ngettext("%(n)d removed", "%(n)d removed", result.removed)
        % {"n": result.removed},
    ]
    text = ", ".join(parts) + "."
    if result.flagged:
        text += " " + ngettext(
            "%(n)d booked or held slot is now outside your hours: see your week.",
            "%(n)d booked or held slots are now outside your hours: see your week.",
            result.flagged,
        ) % {"n": result.flagged}
    return text


def _time_off_list(doctor: DoctorProfile, now: dt.datetime) -> list[TimeOff]:
    """Current and future time off; whole days are marked to be shown as dates."""
    zone = doctor.zone
    periods = list(
        TimeOff.objects.filter(doctor=doctor, ends_at__gt=now).order_by("starts_at")
    )
    for period in periods:
        start, end = period.starts_at.astimezone(zone), period.ends_at.astimezone(zone)
        period.whole_days = start.time() == end.time() == dt.time(0)
        period.first_day = start.date()
        period.last_day = (end - dt.timedelta(days=1)).date()
    return periods


@approved_doctor_required
@limits.limit("schedule")
@require_http_methods(["GET", "POST"])
def availability(request: HttpRequest, doctor: DoctorProfile) -> HttpResponse:
    """Weekly windows (several a day) and booking settings, saved together."""
    status = HTTPStatus.OK
    if request.method == "POST":
        formset = WindowFormSet(request.POST, prefix="windows")
        settings_form = BookingSettingsForm(request.POST)
        if formset.is_valid() and settings_form.is_valid():
            result = schedule.save_schedule(
                doctor=doctor,
                windows=formset.windows(),
                **settings_form.service_kwargs(),
            )
            messages.success(
                request, _("Availability saved.") + " " + _result_message(result)
            )
            return redirect_after_post(request, reverse("appointments:availability"))
        status = HTTPStatus.BAD_REQUEST
        messages.error(request, _("Please correct the errors below."))
    else:
        formset = WindowFormSet(initial=window_initial(doctor), prefix="windows")
        settings_form = BookingSettingsForm(
            initial=BookingSettingsForm.initial_for(doctor)
        )
    context = {
        "doctor": doctor,
        "formset": formset,
        "settings_form": settings_form,
        "time_off_list": _time_off_list(doctor, timezone.now()),
        "doctor_zone": doctor.zone,
    }
    return render(
        request, "appointments/availability_form.html", context, status=status
    )


@approved_doctor_required
@limits.limit("schedule")
@require_http_methods(["GET", "POST"])
def time_off_add(request: HttpRequest, doctor: DoctorProfile) -> HttpResponse:
    zone = doctor.zone
    status = HTTPStatus.OK
    if request.method == "POST":
        form = TimeOffForm(request.POST, zone=zone)
        if form.is_valid():
            _time_off, result = schedule.add_time_off(
                doctor=doctor,
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request, _("Time off added.") + " " + _result_message(result)
            )
            return redirect_after_post(request, reverse("appointments:availability"))
        status = HTTPStatus.BAD_REQUEST
    else:
        form = TimeOffForm(zone=zone)
    context = {
        "form": form,
        "doctor_zone": zone,
        "breadcrumbs": [
            (_("Availability"), reverse("appointments:availability")),
            (_("Add time off"), ""),
        ],
    }
    return render(request, "appointments/time_off_form.html", context, status=status)


@approved_doctor_required
@limits.limit("schedule")
@require_http_methods(["GET", "POST"])
def time_off_delete(
    request: HttpRequest, doctor: DoctorProfile, pk: int
) -> HttpResponse:
    """A confirmation page; POST removes the time off and brings its slots back."""
    time_off = get_object_or_404(TimeOff, pk=pk, doctor=doctor)
    if request.method == "POST":
        try:
            result = schedule.remove_time_off(doctor=doctor, time_off_id=time_off.pk)
        except schedule.TimeOffNotFound:
            messages.info(request, _("That time off was already removed."))
        else:
            messages.success(
                request, _("Time off removed.") + " " + _result_message(result)
            )
        return redirect_after_post(request, reverse("appointments:availability"))
    context = {
        "time_off": time_off,
        "doctor_zone": doctor.zone,
        "breadcrumbs": [
            (_("Availability"), reverse("appointments:availability")),
            (_("Remove time off"), ""),
        ],
    }
    return render(request, "appointments/time_off_confirm_delete.html", context)


def _week_param(request: HttpRequest) -> dt.date | None:
    """?week=YYYY-MM-DD, or None when absent; ValueError when malformed."""
    raw = request.GET.get("week", "").strip()
    if not raw:
        return None
    day = dt.date.fromisoformat(raw)
    if not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
        raise ValueError(raw)
    return day


@approved_doctor_required
@require_GET
def schedule_week(request: HttpRequest, doctor: DoctorProfile) -> HttpResponse:
    """The doctor's generated slots for one week (Monday to Sunday, the viewer's
    zone): free, held, booked, in time off, flagged outside the hours."""
    zone = timezone.get_current_timezone()
    now = timezone.now()
    try:
        day = _week_param(request)
    except ValueError:
        return render(request, "400.html", status=HTTPStatus.BAD_REQUEST)
    first_day = selectors.week_start(day or now.astimezone(zone).date())
    grid = selectors.doctor_week(doctor=doctor, first_day=first_day, zone=zone, now=now)
    context = {
        "doctor": doctor,
        "grid": grid,
        "zone_name": str(zone),
        "this_week": selectors.week_start(now.astimezone(zone).date()),
        "breadcrumbs": [
            (_("Availability"), reverse("appointments:availability")),
            (_("Your week"), ""),
        ],
    }
    template = template_for(
        request, "appointments/schedule_week.html", "appointments/_week_grid.html"
    )
    return render(request, template, context)


@require_GET
def doctor_slots(request: HttpRequest, slug: str) -> HttpResponse:
    """The public slot picker: a doctor's free times by day for a week, in the
    viewer's zone. The whole page without JavaScript, the fragment for htmx."""
    doctor = get_object_or_404(
        DoctorProfile.objects.approved().select_related("user", "specialization"),
        slug=slug,
    )
    zone = timezone.get_current_timezone()
    try:
        day = _week_param(request)
    except ValueError:
        return render(request, "400.html", status=HTTPStatus.BAD_REQUEST)
    picker = selectors.free_slots_by_day(
        doctor=doctor,
        first_day=day,
        zone=zone,
        now=timezone.now(),
        viewer=request.user,
    )
    context = {
        "doctor": doctor,
        "picker": picker,
        "zone_name": str(zone),
        "breadcrumbs": [
            (_("Doctors"), reverse("doctors:list")),
            (
                doctor.display_name,
                doctor.get_absolute_url(),
            ),
            (_("Available times"), ""),
        ],
    }
    template = template_for(
        request, "appointments/doctor_slots.html", "appointments/_slot_picker.html"
    )
    return render(request, template, context)

"""Pages for a doctor's schedule (availability, time off, week grid) and the public
slot picker on a doctor's page."""

import datetime as dt
import functools
from collections.abc import Callable
from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts import limits
from accounts.web import date_param, redirect_after_post, refuse, template_for
from doctors import cache as fragments
from doctors.models import DoctorProfile

from . import schedule, selectors, services
from .models import DateOverride, TimeOff
from .schedule_forms import (
    BookingSettingsForm,
    SickDayForm,
    TimeOffForm,
    WeekEditor,
    override_forms,
    valid_override,
    valid_week,
    week_rows,
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
    """Each weekday switched on or off with its time ranges, and the booking
    settings, saved together. Without JavaScript the add, remove and copy buttons
    post the page and come back to it with the change made, nothing saved."""
    status = HTTPStatus.OK
    if request.method == "POST":
        editor = WeekEditor.from_post(request.POST)
        days_form, formset = editor.forms()
        settings_form = BookingSettingsForm(request.POST)
        if editor.action is None:
            settings_valid = settings_form.is_valid()
            if valid_week(days_form, formset) and settings_valid:
                result = schedule.save_schedule(
                    doctor=doctor,
                    windows=formset.windows(),
                    **settings_form.service_kwargs(),
                )
                messages.success(
                    request, _("Availability saved.") + " " + _result_message(result)
                )
                return redirect_after_post(
                    request, reverse("appointments:availability")
                )
            status = HTTPStatus.BAD_REQUEST
            messages.error(request, _("Please correct the errors below."))
    else:
        days_form, formset = WeekEditor.from_windows(
            doctor.weekly_availability.order_by("weekday", "start_time")
        ).forms()
        settings_form = BookingSettingsForm(
            initial=BookingSettingsForm.initial_for(doctor)
        )
    context = {
        "doctor": doctor,
        "formset": formset,
        "week": week_rows(days_form, formset),
        "settings_form": settings_form,
        "time_off_list": _time_off_list(doctor, timezone.now()),
        "date_overrides": _date_overrides(doctor, timezone.now()),
        "doctor_zone": doctor.zone,
    }
    return render(
        request, "appointments/availability_form.html", context, status=status
    )


def _taken_message(taken: services.TimeOffTaken) -> str:
    """What became of the booked visits, for the message after the save."""
    if taken.cancelled:
        return ngettext(
            "%(n)d visit cancelled; the patient has been told.",
            "%(n)d visits cancelled; each patient has been told.",
            len(taken.cancelled),
        ) % {"n": len(taken.cancelled)}
    if taken.kept:
        return ngettext(
            "%(n)d booked visit kept: see your day.",
            "%(n)d booked visits kept: see your day.",
            len(taken.kept),
        ) % {"n": len(taken.kept)}
    return ""


def _date_overrides(doctor: DoctorProfile, now: dt.datetime) -> list[DateOverride]:
    """Today's and later date overrides, with their windows."""
    today = now.astimezone(doctor.zone).date()
    return list(
        DateOverride.objects.filter(doctor=doctor, date__gte=today)
        .prefetch_related("windows")
        .order_by("date")
    )


def _override_on(doctor: DoctorProfile, day: str) -> DateOverride:
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    return get_object_or_404(DateOverride, doctor=doctor, date=date)


@approved_doctor_required
@limits.limit("schedule")
@require_http_methods(["GET", "POST"])
def date_override_edit(
    request: HttpRequest, doctor: DoctorProfile, day: str | None = None
) -> HttpResponse:
    """Add (no `day`) or change the hours of one date; the weekly hours stay."""
    override = _override_on(doctor, day) if day else None
    zone = doctor.zone
    status = HTTPStatus.OK
    if request.method == "POST":
        form, formset = override_forms(request.POST, zone=zone, override=override)
        if valid_override(form, formset):
            date = form.cleaned_data["date"]
            if override is not None and date != override.date:
                # Moving an override to another date: one transaction for both.
                with transaction.atomic():
                    schedule.remove_date_override(doctor=doctor, date=override.date)
                    _saved, result = schedule.save_date_override(
                        doctor=doctor,
                        date=date,
                        windows=formset.times(),
                        note=form.cleaned_data["note"],
                    )
            else:
                _saved, result = schedule.save_date_override(
                    doctor=doctor,
                    date=date,
                    windows=formset.times(),
                    note=form.cleaned_data["note"],
                )
            messages.success(
                request,
                _("Hours for %(date)s saved.")
                % {"date": dateformat.format(date, "D j M Y")}
                + " "
                + _result_message(result),
            )
            return redirect_after_post(request, reverse("appointments:availability"))
        status = HTTPStatus.BAD_REQUEST
        messages.error(request, _("Please correct the errors below."))
    else:
        form, formset = override_forms(zone=zone, override=override)
    title = _("Change the hours of a date") if override else _("Set hours for a date")
    context = {
        "form": form,
        "formset": formset,
        "override": override,
        "title": title,
        "doctor_zone": zone,
        "breadcrumbs": [
            (_("Availability"), reverse("appointments:availability")),
            (title, ""),
        ],
    }
    return render(
        request, "appointments/date_override_form.html", context, status=status
    )


@approved_doctor_required
@limits.limit("schedule")
@require_http_methods(["GET", "POST"])
def date_override_delete(
    request: HttpRequest, doctor: DoctorProfile, day: str
) -> HttpResponse:
    """A confirmation page; POST removes the override: the weekly hours apply."""
    override = _override_on(doctor, day)
    if request.method == "POST":
        try:
            result = schedule.remove_date_override(doctor=doctor, date=override.date)
        except schedule.DateOverrideNotFound:
            messages.info(request, _("Those hours were already removed."))
        else:
            messages.success(
                request,
                _("Your weekly hours apply again on %(date)s.")
                % {"date": dateformat.format(override.date, "D j M Y")}
                + " "
                + _result_message(result),
            )
        return redirect_after_post(request, reverse("appointments:availability"))
    context = {
        "override": override,
        "breadcrumbs": [
            (_("Availability"), reverse("appointments:availability")),
            (_("Remove the hours of a date"), ""),
        ],
    }
    return render(request, "appointments/date_override_confirm_delete.html", context)


@approved_doctor_required
@limits.limit("schedule")
@require_http_methods(["GET", "POST"])
def time_off_add(request: HttpRequest, doctor: DoctorProfile) -> HttpResponse:
    """Add time off. When it covers booked visits, the page lists them and asks
    what to do (cancel them with a message, or keep them) before anything is
    saved; the dates typed stay."""
    zone = doctor.zone
    status = HTTPStatus.OK
    affected = []
    if request.method == "POST":
        form = TimeOffForm(request.POST, zone=zone)
        if form.is_valid():
            data = form.cleaned_data
            try:
                taken = services.add_time_off(
                    user=request.user,
                    doctor=doctor,
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    reason=data["reason"],
                    on_booked=data["on_booked"] or None,
                    message=data["message"],
                )
            except (services.AffectsAppointments, services.MessageRequired) as error:
                status = refuse(request, error, form)
                affected = selectors.booked_during(
                    doctor,
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    now=timezone.now(),
                )
            else:
                messages.success(
                    request,
                    " ".join(
                        filter(
                            None,
                            [
                                _("Time off added."),
                                _taken_message(taken),
                                _result_message(taken.regeneration),
                            ],
                        )
                    ),
                )
                return redirect_after_post(
                    request, reverse("appointments:availability")
                )
        else:
            status = HTTPStatus.BAD_REQUEST
    else:
        form = TimeOffForm(zone=zone)
    context = {
        "form": form,
        "doctor_zone": zone,
        "affected": selectors.with_patient_facts(
            affected, today=selectors.practice_today(doctor, timezone.now())
        ),
        "breadcrumbs": [
            (_("Availability"), reverse("appointments:availability")),
            (_("Add time off"), ""),
        ],
    }
    return render(request, "appointments/time_off_form.html", context, status=status)


@approved_doctor_required
@limits.limit("schedule")
@require_http_methods(["GET", "POST"])
def sick_day(request: HttpRequest, doctor: DoctorProfile) -> HttpResponse:
    """ "I'm sick today": lists the visits left today, then (POST) takes the rest
    of the day off and cancels them with the message, telling each patient."""
    status = HTTPStatus.OK
    default_message = _(
        "%(doctor)s is unwell today and cannot see patients. We are sorry: "
        "please book another time."
    ) % {"doctor": doctor.display_name}
    form = SickDayForm(request.POST or None, initial={"message": default_message})
    if request.method == "POST":
        if form.is_valid():
            try:
                taken = services.sick_day(
                    user=request.user,
                    doctor=doctor,
                    message=form.cleaned_data["message"],
                )
            except services.MessageRequired as error:
                status = refuse(request, error, form)
            else:
                messages.success(
                    request,
                    " ".join(
                        filter(
                            None,
                            [
                                _("The rest of today is time off."),
                                _taken_message(taken),
                            ],
                        )
                    ),
                )
                return redirect_after_post(request, reverse("appointments:doctor_list"))
        else:
            status = HTTPStatus.BAD_REQUEST
    now = timezone.now()
    today = selectors.practice_today(doctor, now)
    affected = selectors.booked_during(
        doctor,
        starts_at=now,
        ends_at=selectors.local_midnight(today + dt.timedelta(days=1), doctor.zone),
        now=now,
    )
    context = {
        "form": form,
        "affected": selectors.with_patient_facts(affected, today=today),
        "doctor_zone": doctor.zone,
        "breadcrumbs": [
            (_("Today"), reverse("appointments:doctor_list")),
            (_("I'm sick today"), ""),
        ],
    }
    return render(request, "appointments/sick_day.html", context, status=status)


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


@approved_doctor_required
@require_GET
def schedule_week(request: HttpRequest, doctor: DoctorProfile) -> HttpResponse:
    """The doctor's generated slots for one week (Monday to Sunday, the viewer's
    zone): free, held, booked, in time off, flagged outside the hours."""
    zone = timezone.get_current_timezone()
    now = timezone.now()
    try:
        day = date_param(request, "week")
    except ValueError:
        return render(request, "400.html", status=HTTPStatus.BAD_REQUEST)
    first_day = selectors.week_start(day or now.astimezone(zone).date())
    grid = selectors.doctor_week(doctor=doctor, first_day=first_day, zone=zone, now=now)
    for day_ in grid.days:
        for slot in day_.slots:
            if slot.appointment is not None:
                slot.appointment.actions = services.allowed_actions(
                    slot.appointment, user=request.user, now=now
                )
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


PICKER_TEMPLATES = (
    "appointments/_slot_picker.html",
    "appointments/_slot_day.html",
    "appointments/_slot_name.html",
)
PICKER_PAGE_TEMPLATES = (
    *PICKER_TEMPLATES,
    "appointments/doctor_slots.html",
    "base.html",
    "includes/_navbar.html",
    "includes/_breadcrumbs.html",
)


@require_GET
def doctor_slots(request: HttpRequest, slug: str) -> HttpResponse:
    """The public slot picker: a doctor's free times by day for a week, in the
    practice's zone with the viewer's beside where it differs (the key carries
    both). The whole page without JavaScript, the fragment for htmx.

    For visitors (the same for all of them) from the cache without a query,
    under the directory's listing version (a slot change moves it) and only
    until the clock may change it. For a signed-in viewer the slots are read
    every time (what they may book is theirs) and the rendering is cached by what
    it shows. Fragments answer 304 when the browser has them already."""
    is_fragment = template_for(request, "page", "fragment") == "fragment"
    return fragments.anonymous_page(
        request,
        PICKER_PAGE_TEMPLATES,
        fragments.listing_version,
        lambda extra: _doctor_slots(request, slug, extra, is_fragment),
        fragment=is_fragment,
    )


def _doctor_slots(
    request: HttpRequest, slug: str, extra: dict, is_fragment: bool
) -> tuple[HttpResponse, float]:
    """(the picker page or fragment, how many seconds a visitor's may be kept)."""
    doctor = get_object_or_404(
        DoctorProfile.objects.approved().select_related("user", "specialization"),
        slug=slug,
    )
    try:
        day = date_param(request, "week")
    except ValueError:
        return render(request, "400.html", status=HTTPStatus.BAD_REQUEST), 0
    raw, key, seconds, context = _picker(request, doctor, day)
    if is_fragment and fragments.not_modified(request, key):
        return fragments.not_modified_response(request, key), 0
    picker_html = fragments.personalize(raw, request)
    if is_fragment:
        return fragments.response_for(request, key, picker_html), seconds
    context |= {
        "picker_html": mark_safe(picker_html),
        "breadcrumbs": [
            (_("Doctors"), reverse("doctors:list")),
            (
                doctor.display_name,
                doctor.get_absolute_url(),
            ),
            (_("Available times"), ""),
        ],
        **extra,
    }
    return render(request, "appointments/doctor_slots.html", context), seconds


def picker_for_doctor_page(
    request: HttpRequest, doctor: DoctorProfile
) -> tuple[str, float]:
    """The picker as the doctor's page shows it on load (this week), with its
    CSRF and page placeholders still in (the page fills them per response), and
    how many seconds a visitor's may be kept. `doctor` is approved, with its
    user and specialization."""
    raw, _key, seconds, _context = _picker(request, doctor, None)
    return raw, seconds


def _picker(request: HttpRequest, doctor: DoctorProfile, day) -> tuple:
    """(the picker fragment with placeholders, its cache key, how many seconds a
    visitor's may be kept, the context of the page around it)."""
    version = fragments.version(doctor.pk)
    # The practice's clock, the viewer's beside it where it reads otherwise.
    zone, viewer_zone = doctor.zone, timezone.get_current_timezone()
    now = timezone.now()
    picker = selectors.free_slots_by_day(
        doctor=doctor,
        first_day=day,
        zone=zone,
        now=now,
        viewer=request.user,
        viewer_zone=viewer_zone,
    )
    seconds = 0.0
    if not request.user.is_authenticated:
        until = selectors.picker_unchanged_until(
            doctor=doctor, picker=picker, zone=zone, now=now
        )
        seconds = (until - now).total_seconds()
    context = {
        "doctor": doctor,
        "picker": picker,
        "zone_name": str(zone),
        "viewer_zone_name": str(viewer_zone),
    }
    key = fragments.key_of(
        PICKER_TEMPLATES,
        doctor.pk,
        version,
        doctor.slug,
        doctor.user.full_name,
        repr(picker),  # every day, slot and reason the viewer may not book it
        str(zone),
        str(viewer_zone),
        fragments.viewer_key(request),
    )

    def render_picker() -> str:
        return render_to_string(
            PICKER_TEMPLATES[0],
            {**context, "user": request.user, **fragments.placeholder_context()},
        )

    return fragments.get(key, render_picker), key, seconds, context

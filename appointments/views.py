"""Booking and appointment pages: thin views over `services`."""

import datetime as dt
from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import limits
from accounts.web import (
    date_param,
    forget_after_login,
    redirect_after_post,
    refuse,
    remember_after_login,
    safe_next,
    template_for,
)
from doctors.models import DoctorProfile

from . import ics, selectors, services
from .forms import BookingForm, CancelForm, RescheduleForm
from .models import Appointment, AppointmentEvent, Slot

Status = Appointment.Status
PER_PAGE = 20

# Holding, booking and rescheduling share one budget per user with the API.
booking_ratelimit = limits.limit("booking")
# Every other write on an appointment.
change_ratelimit = limits.limit("appointment_change")


def _with_people(appointments):
    """`appointments` with what the pages show, in two queries."""
    return appointments.select_related(
        # "review": the reverse one-to-one of the reviews app, joined by name
        # so each completed visit knows whether it was reviewed.
        "doctor__user",
        "doctor__specialization",
        "patient",
        "cancelled_by",
        "review",
    ).prefetch_related(
        Prefetch(
            "events",
            queryset=AppointmentEvent.objects.select_related("actor"),
        )
    )


def _appointments(user):
    """The user's appointments, as patient or doctor, with what the pages show."""
    return _with_people(Appointment.objects.visible_to(user))


def _with_actions(appointments, user, now: dt.datetime):
    for appointment in appointments:
        appointment.actions = services.allowed_actions(appointment, user=user, now=now)
    return appointments


def _refused_page(
    request: HttpRequest, slot: Slot | None, error: services.BookingError
) -> HttpResponse:
    """The slot can't be had: say why, link back to the doctor's free times."""
    context = {"slot": slot, "message": error.message}
    page = template_for(
        request,
        "appointments/slot_unavailable.html",
        "appointments/_slot_unavailable.html",
    )
    return render(request, page, context, status=error.status)


# --- Booking -------------------------------------------------------------------------

# The time a signed-out visitor tapped, held for them once they have logged in
# (after signing up and confirming their email, if they had no account).
PENDING_PICK = "pending_pick"


def when_label(moment: dt.datetime, zone, viewer_zone=None) -> str:
    """ "Thu 8 Jan 2026, 09:00" at the practice, with the viewer's clock beside it
    where it reads otherwise: "Thu 8 Jan 2026, 09:00 (08:00 your time)"."""
    local = moment.astimezone(zone)
    text = dateformat.format(local, "D j M Y, H:i")
    if viewer_zone is not None:
        theirs = moment.astimezone(viewer_zone)
        if theirs.replace(tzinfo=None) != local.replace(tzinfo=None):
            same_day = theirs.date() == local.date()
            theirs_text = dateformat.format(theirs, "H:i" if same_day else "D j M, H:i")
            text += " " + _("(%(time)s your time)") % {"time": theirs_text}
    return text


def _slot_facts(slot: Slot) -> dict:
    """What the pick and confirmation pages show of a slot: when (at the practice
    and for the viewer), how long, the fee."""
    doctor = slot.doctor
    return {
        "slot": slot,
        "doctor": doctor,
        "when": when_label(
            slot.starts_at, doctor.zone, timezone.get_current_timezone()
        ),
        "zone_name": str(doctor.zone),
        "minutes": int((slot.ends_at - slot.starts_at).total_seconds() // 60),
        "currency": settings.CLINIC_CURRENCY,
    }


def _times_url(doctor: DoctorProfile) -> str:
    return doctor.get_absolute_url() + "#times"


@require_http_methods(["GET"])
def pick(request: HttpRequest, slot_id: int) -> HttpResponse:
    """A time tapped on a doctor's page. Signed out: "Log in or sign up to book
    Dr X at 09:00", and the time is kept in the session, to be held for them once
    logged in (`resume`). Signed in: a button to hold it. A time no longer free
    sends back to the doctor's times with a message."""
    slot = get_object_or_404(
        Slot.objects.filter(
            doctor__status=DoctorProfile.Status.APPROVED
        ).select_related("doctor__user", "doctor__specialization"),
        pk=slot_id,
    )
    facts = _slot_facts(slot)
    if not Slot.objects.bookable(timezone.now()).filter(pk=slot.pk).exists():
        messages.warning(request, _("That time was just taken. Please pick another."))
        return HttpResponseRedirect(_times_url(slot.doctor))
    resume_url = reverse("appointments:resume")
    if not request.user.is_authenticated:
        request.session[PENDING_PICK] = slot.pk
        remember_after_login(
            request,
            resume_url,
            _("Book %(doctor)s, %(when)s")
            % {"doctor": slot.doctor.display_name, "when": facts["when"]},
        )
    context = {
        **facts,
        "resume_url": resume_url,
        "hold_minutes": int(services.HOLD_DURATION.total_seconds() // 60),
        "breadcrumbs": [
            (_("Doctors"), reverse("doctors:list")),
            (slot.doctor.display_name, slot.doctor.get_absolute_url()),
            (_("Book"), ""),
        ],
    }
    return render(request, "appointments/slot_pick.html", context)


@login_required
def resume(request: HttpRequest) -> HttpResponse:
    """Back from logging in (or signing up): hold the time the visitor picked
    before (`pick`, kept in their own session, so no link can hold a time for
    anyone) and go to its confirmation; a time taken meanwhile goes back to the
    doctor's times with a message."""
    slot_id = request.session.pop(PENDING_PICK, None)
    forget_after_login(request)
    slot = (
        Slot.objects.select_related("doctor__user").filter(pk=slot_id).first()
        if isinstance(slot_id, int)
        else None
    )
    if slot is None:
        messages.info(request, _("Pick a time with a doctor to book it."))
        return HttpResponseRedirect(reverse("doctors:list"))
    try:
        services.hold(patient=request.user, slot_id=slot.pk)
    except services.BookingError as error:
        if error.status == HTTPStatus.CONFLICT:
            text = _(
                "The time you picked, %(when)s, was taken meanwhile. "
                "Please pick another."
            ) % {
                "when": when_label(
                    slot.starts_at, slot.doctor.zone, timezone.get_current_timezone()
                )
            }
        else:
            text = error.message
        messages.warning(request, text)
        return HttpResponseRedirect(_times_url(slot.doctor))
    return HttpResponseRedirect(reverse("appointments:confirm", args=[slot.pk]))


@login_required
@require_POST
@booking_ratelimit
def hold(request: HttpRequest, slot_id: int) -> HttpResponse:
    """Picking a free time: hold it for five minutes and go to the confirmation."""
    slot = Slot.objects.select_related("doctor__user").filter(pk=slot_id).first()
    try:
        services.hold(patient=request.user, slot_id=slot_id)
    except services.BookingError as error:
        return _refused_page(request, slot, error)
    return redirect_after_post(request, reverse("appointments:confirm", args=[slot_id]))


@login_required
@require_http_methods(["GET", "POST"])
@booking_ratelimit
def confirm(request: HttpRequest, slot_id: int) -> HttpResponse:
    """The held slot and the reason for the visit; POST books it."""
    slot = get_object_or_404(
        Slot.objects.select_related("doctor__user", "doctor__specialization"),
        pk=slot_id,
    )
    now = timezone.now()
    form, status = BookingForm(request.POST or None), HTTPStatus.OK
    if request.method == "POST" and form.is_valid():
        try:
            appointment = services.book(
                patient=request.user, slot_id=slot.pk, **form.cleaned_data
            )
        except services.BookingError as error:
            if error.status == HTTPStatus.CONFLICT:  # the time itself is gone
                return _refused_page(request, slot, error)
            status = refuse(request, error, form)
        else:
            if appointment.status == Status.CONFIRMED:
                text = _("Booked and confirmed: %(doctor)s, %(when)s.")
            else:
                text = _(
                    "Booked: %(doctor)s, %(when)s. The doctor will confirm it soon."
                )
            messages.success(
                request,
                text
                % {
                    "doctor": slot.doctor.display_name,
                    "when": services.format_for(request.user, slot.starts_at),
                },
            )
            return redirect_after_post(request, reverse("appointments:list"))
    elif request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
    elif slot.is_held_by_other(request.user, now):
        # Someone else's hold is theirs: nothing here says it exists.
        raise Http404
    elif slot.is_booked:
        return _refused_page(request, slot, services.SlotUnavailable())
    held = slot.held_by_id == request.user.pk and slot.held_until
    held_until = slot.held_until if held and slot.held_until > now else None
    context = {
        **_slot_facts(slot),
        "form": form,
        "held_until": held_until,
        "seconds_left": int((held_until - now).total_seconds()) if held_until else 0,
        "hold_expired": bool(held and slot.held_until <= now),
        "times_url": _times_url(slot.doctor),
        "breadcrumbs": [
            (_("Doctors"), reverse("doctors:list")),
            (slot.doctor.display_name, slot.doctor.get_absolute_url()),
            (_("Confirm booking"), ""),
        ],
    }
    page = template_for(
        request, "appointments/booking_confirm.html", "appointments/_booking_form.html"
    )
    return render(request, page, context, status=status)


@login_required
@require_POST
def release(request: HttpRequest, slot_id: int) -> HttpResponse:
    """Choose another time: give the hold back now instead of letting it lapse."""
    slot = get_object_or_404(Slot.objects.select_related("doctor"), pk=slot_id)
    if services.release_hold(patient=request.user, slot_id=slot.pk):
        messages.info(request, _("The time is free again for others."))
    return redirect_after_post(request, slot.doctor.get_absolute_url())


# --- The patient's appointments ------------------------------------------------------


@login_required
def appointment_list(request: HttpRequest) -> HttpResponse:
    """Upcoming (soonest first) or past (latest first) appointments as patient."""
    now = timezone.now()
    tab = "past" if request.GET.get("tab") == "past" else "upcoming"
    mine = _with_people(Appointment.objects.filter(patient=request.user))
    if tab == "upcoming":
        mine = mine.upcoming(now)
    else:
        mine = mine.past(now).order_by("-starts_at", "-id")
    page = Paginator(mine, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "tab": tab,
        "page_obj": page,
        "appointments": _with_actions(page.object_list, request.user, now),
    }
    template = template_for(
        request,
        "appointments/appointment_list.html",
        "appointments/_appointment_list.html",
    )
    return render(request, template, context)


@login_required
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_object_or_404(_appointments(request.user), pk=pk)
    now = timezone.now()
    _with_actions([appointment], request.user, now)
    is_doctor = appointment.doctor.user_id == request.user.pk
    if is_doctor:
        selectors.with_patient_facts(
            [appointment], today=selectors.practice_today(appointment.doctor, now)
        )
    context = {
        "appointment": appointment,
        "is_doctor": is_doctor,
        "breadcrumbs": [
            (
                _("Appointments"),
                reverse(
                    "appointments:doctor_list" if is_doctor else "appointments:list"
                ),
            ),
            (services.format_for(request.user, appointment.starts_at), ""),
        ],
    }
    return render(request, "appointments/appointment_detail.html", context)


@login_required
def calendar_file(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Add to calendar": the appointment as an .ics download."""
    appointment = get_object_or_404(_appointments(request.user), pk=pk)
    return ics.download(appointment)


@login_required
@require_http_methods(["GET", "POST"])
@change_ratelimit
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel (patient, doctor) or decline (doctor, pending): asks once more, and
    asks why when the lifecycle wants a reason."""
    appointment = get_object_or_404(_appointments(request.user), pk=pk)
    role = services.role_of(request.user, appointment)
    declining = role == "doctor" and appointment.status == Status.PENDING
    action = "decline" if declining else "cancel"
    form = CancelForm(
        request.POST or None,
        reason_required=services.needs_reason(
            appointment, user=request.user, action=action
        ),
    )
    status = HTTPStatus.OK
    if request.method == "POST":
        if form.is_valid():
            change = services.decline if declining else services.cancel
            try:
                change(
                    user=request.user,
                    appointment_id=appointment.pk,
                    reason=form.cleaned_data["reason"],
                )
            except services.TransitionRefused as error:
                status = refuse(request, error, form)
            else:
                messages.success(
                    request,
                    _("Appointment declined.")
                    if declining
                    else _("Appointment cancelled."),
                )
                return redirect_after_post(request, appointment.get_absolute_url())
        else:
            status = HTTPStatus.BAD_REQUEST
    context = {
        "appointment": appointment,
        "form": form,
        "declining": declining,
        "breadcrumbs": [
            (
                _("Appointments"),
                reverse(
                    "appointments:doctor_list"
                    if role == "doctor"
                    else "appointments:list"
                ),
            ),
            (
                services.format_for(request.user, appointment.starts_at),
                appointment.get_absolute_url(),
            ),
            (_("Decline") if declining else _("Cancel"), ""),
        ],
    }
    return render(
        request, "appointments/appointment_cancel.html", context, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
@booking_ratelimit
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick another free time of the same doctor: the patient their own visit, the
    doctor one of theirs (with a message the patient reads)."""
    appointment = get_object_or_404(_appointments(request.user), pk=pk)
    is_doctor = appointment.doctor.user_id == request.user.pk
    form, status = RescheduleForm(request.POST or None), HTTPStatus.OK
    if request.method == "POST":
        if form.is_valid():
            try:
                services.reschedule(
                    user=request.user,
                    appointment_id=appointment.pk,
                    new_slot_id=form.cleaned_data["slot"],
                    reason=form.cleaned_data["reason"] if is_doctor else "",
                )
            except (services.BookingError, services.TransitionRefused) as error:
                status = refuse(request, error, form)
            else:
                moved = _("Appointment moved.")
                if is_doctor:
                    moved = _("Appointment moved; %(patient)s has been told.") % {
                        "patient": appointment.patient.full_name
                    }
                messages.success(request, moved)
                return redirect_after_post(request, appointment.get_absolute_url())
        else:
            status = HTTPStatus.BAD_REQUEST
    now = timezone.now()
    list_url = reverse("appointments:doctor_list" if is_doctor else "appointments:list")
    context = {
        "appointment": appointment,
        "form": form,
        "is_doctor": is_doctor,
        "days": selectors.reschedule_choices(
            appointment, zone=timezone.get_current_timezone(), now=now
        ),
        "can_reschedule": "reschedule"
        in services.allowed_actions(appointment, user=request.user, now=now),
        "breadcrumbs": [
            (_("Appointments"), list_url),
            (
                services.format_for(request.user, appointment.starts_at),
                appointment.get_absolute_url(),
            ),
            (_("Reschedule"), ""),
        ],
    }
    return render(
        request, "appointments/appointment_reschedule.html", context, status=status
    )


# --- The doctor's actions --------------------------------------------------------

DONE_MESSAGES = {
    "confirm": _lazy("Appointment confirmed; %(patient)s has been told."),
    "complete": _lazy("Visit marked as completed."),
    "no_show": _lazy("%(patient)s marked as a no-show."),
}


def _doctor_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One button on the doctor's list or an appointment: the service decides."""
    appointment = get_object_or_404(_appointments(request.user), pk=pk)
    change = {
        "confirm": services.confirm,
        "complete": services.complete,
        "no_show": services.mark_no_show,
    }[action]
    try:
        change(user=request.user, appointment_id=appointment.pk)
    except services.TransitionRefused as error:
        refuse(request, error)
    else:
        messages.success(
            request,
            DONE_MESSAGES[action] % {"patient": appointment.patient.full_name},
        )
    back = safe_next(request, reverse("appointments:doctor_list"))
    return redirect_after_post(request, back)


@login_required
@require_POST
@change_ratelimit
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    """The doctor confirms a pending booking."""
    return _doctor_action(request, pk, "confirm")


@login_required
@require_POST
@change_ratelimit
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    """The doctor marks a visit done (once it has started)."""
    return _doctor_action(request, pk, "complete")


@login_required
@require_POST
@change_ratelimit
def no_show(request: HttpRequest, pk: int) -> HttpResponse:
    """The doctor records that the patient did not come (once the visit started)."""
    return _doctor_action(request, pk, "no_show")


@login_required
def doctor_appointment_list(request: HttpRequest) -> HttpResponse:
    """The doctor's day (today at the practice, or ?day=: every visit with the
    patient, the free and held times between, time off), upcoming (pending
    first), past."""
    profile = DoctorProfile.objects.approved_of(request.user).first()
    if profile is None:
        raise PermissionDenied
    now = timezone.now()
    tab = request.GET.get("tab")
    tab = tab if tab in selectors.DOCTOR_TABS else "today"
    today = selectors.practice_today(profile, now)
    context = {
        "tab": tab,
        "tabs": [
            ("today", _("Day")),
            ("upcoming", _("Upcoming")),
            ("past", _("Past")),
        ],
        "today": today,
        "doctor_zone": profile.zone,
        "pending_count": Appointment.objects.filter(
            doctor=profile, status=Status.PENDING, starts_at__gte=now
        ).count(),
    }
    if tab == "today":
        try:
            day = date_param(request, "day") or today
        except ValueError:
            return render(request, "400.html", status=HTTPStatus.BAD_REQUEST)
        agenda = selectors.doctor_agenda(profile, day, now=now)
        _with_actions(agenda.appointments, request.user, now)
        context.update(agenda=agenda, appointments=agenda.appointments)
    else:
        theirs = selectors.doctor_appointments(profile, tab=tab, now=now)
        page = Paginator(
            theirs.select_related("doctor__user", "patient"), PER_PAGE
        ).get_page(request.GET.get("page"))
        appointments = selectors.with_patient_facts(list(page.object_list), today=today)
        context.update(
            page_obj=page,
            appointments=_with_actions(appointments, request.user, now),
        )
    template = template_for(
        request,
        "appointments/doctor_appointment_list.html",
        "appointments/_doctor_appointment_list.html",
    )
    return render(request, template, context)

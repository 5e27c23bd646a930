"""The front desk in Django admin: book for a caller, the day of every doctor, and
the per-appointment actions (reschedule, cancel, no-show).

Admin views of `AppointmentAdmin` (its `get_urls`), thin like every view: they
call the same services as the patients' and doctors' pages, and refuse through
`accounts.web.refuse`. Staff reach them only through the `Clinic staff` group's
permissions (add_appointment to book, change_appointment for the rest)."""

import datetime as dt
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import services as account_services
from accounts.audit import log_access
from accounts.errors import Refusal
from accounts.forms import PatientRegistrationForm
from accounts.models import AccessLog, User
from accounts.web import refuse, safe_next
from doctors.models import DoctorProfile

from . import selectors, services
from .forms import REASON_MAX, BookingForm, CancelForm
from .models import Appointment
from .rules import NO_SHOW_WINDOW

SEARCH_RESULTS = 20
# The widest offset from UTC (+14:00, -12:00): a window this much wider than a UTC
# day holds the local day of any practice.
WIDEST_OFFSET = dt.timedelta(hours=14)


def _pk(value) -> int | None:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return pk if pk > 0 else None


def _day(value, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return default


def _context(modeladmin: ModelAdmin, request: HttpRequest, **extra) -> dict:
    return {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        **extra,
    }


# --- Reads --------------------------------------------------------------------------


def find_patients(query: str) -> list[User]:
    """Active accounts whose name, email or phone contains `query` (two
    characters at least), by name; at most SEARCH_RESULTS. One query."""
    query = query.strip()
    if len(query) < 2:
        return []
    return list(
        User.objects.filter(is_active=True)
        .filter(
            Q(full_name__icontains=query)
            | Q(email__icontains=query)
            | Q(phone__icontains=query)
        )
        .order_by("full_name", "pk")[:SEARCH_RESULTS]
    )


def bookable_doctors():
    return DoctorProfile.objects.filter(
        status=DoctorProfile.Status.APPROVED
    ).select_related("user", "specialization")


@dataclass
class DeskColumn:
    doctor: DoctorProfile
    appointments: list[Appointment]


def with_recent_no_shows(appointments, *, now: dt.datetime):
    """Annotate each appointment with its patient's no-shows in the last
    NO_SHOW_WINDOW (`recent_no_shows`): a subquery, no query per row."""
    missed = (
        Appointment.objects.no_shows(since=now - NO_SHOW_WINDOW)
        .filter(patient=OuterRef("patient"))
        .order_by()
        .values("patient")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return appointments.annotate(
        recent_no_shows=Coalesce(
            Subquery(missed, output_field=IntegerField()), Value(0)
        )
    )


def desk_day(
    *, day: dt.date, now: dt.datetime, doctor_id: int | None = None
) -> tuple[list[DeskColumn], list[DoctorProfile]]:
    """Every appointment (any status) on `day`, each doctor's day being the local
    day of their practice, in one column per doctor with appointments (and the
    chosen doctor's, empty or not), with each patient's recent no-shows. Returns
    the columns and the doctors to switch between. Two queries, whatever the
    number of appointments."""
    doctors = list(bookable_doctors().order_by("user__full_name", "pk"))
    start = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC) - WIDEST_OFFSET
    end = start + dt.timedelta(days=1) + 2 * WIDEST_OFFSET
    rows = with_recent_no_shows(
        Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("patient", "doctor__user")
        .order_by("starts_at", "pk"),
        now=now,
    )
    if doctor_id:
        rows = rows.filter(doctor_id=doctor_id)
    by_doctor: dict[int, list[Appointment]] = {}
    profiles = {doctor.pk: doctor for doctor in doctors}
    for appointment in rows:
        if appointment.starts_at.astimezone(appointment.doctor.zone).date() == day:
            by_doctor.setdefault(appointment.doctor_id, []).append(appointment)
            # A doctor no longer listed still has this day's visits to show.
            profiles.setdefault(appointment.doctor_id, appointment.doctor)
    shown = [
        doctor
        for doctor in profiles.values()
        if doctor.pk in by_doctor or doctor.pk == doctor_id
    ]
    shown.sort(key=lambda doctor: (doctor.user.full_name, doctor.pk))
    columns = [DeskColumn(doctor, by_doctor.get(doctor.pk, [])) for doctor in shown]
    return columns, doctors


def desk_picker(
    *,
    doctor: DoctorProfile,
    patient: User,
    first_day: dt.date | None,
    now: dt.datetime,
) -> selectors.SlotPicker:
    """The doctor's free times in the practice's zone for the week from
    `first_day` (by default the first week with a free time), each marked when
    the patient's other visits rule it out, as the front desk books (the no-show
    limit does not apply)."""
    zone = doctor.zone
    picker = selectors.free_slots_by_day(
        doctor=doctor, first_day=first_day, zone=zone, now=now
    )
    if first_day is None and picker.is_empty and picker.next_free:
        picker = selectors.free_slots_by_day(
            doctor=doctor,
            first_day=picker.next_free.astimezone(zone).date(),
            zone=zone,
            now=now,
        )
    picker.notice = selectors.mark_unbookable(
        [slot for day in picker.days for slot in day.slots],
        doctor=doctor,
        viewer=patient,
        now=now,
        by_staff=True,
    )
    return picker


# --- Forms --------------------------------------------------------------------------


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Find the patient"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=gettext_lazy("Name, email or phone; two characters at least."),
    )


class DeskBookingForm(BookingForm):
    # An id, not a ModelChoiceField: a time taken meanwhile must reach the service
    # and come back as "just taken" (409), not as an invalid choice.
    slot = forms.IntegerField(
        label=gettext_lazy("Time"),
        min_value=1,
        error_messages={"required": gettext_lazy("Please pick a time.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = gettext_lazy(
            "Why the patient is coming, in their words; only the doctor sees it."
        )
        self.fields["reason"].error_messages["required"] = gettext_lazy(
            "Please note why the patient is coming."
        )


class StaffRescheduleForm(forms.Form):
    slot = forms.IntegerField(
        label=gettext_lazy("New time"),
        min_value=1,
        error_messages={"required": gettext_lazy("Please pick a new time.")},
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,  # the service asks for it (TRANSITIONS): one rule
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX}),
        help_text=gettext_lazy("The patient and the doctor see this."),
    )


# --- Views --------------------------------------------------------------------------


def book_url(**params) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    url = reverse("admin:appointments_appointment_book")
    return f"{url}?{query}" if query else url


def desk_url(*, day: dt.date | None = None, doctor: int | None = None) -> str:
    params = {"day": day.isoformat() if day else "", "doctor": doctor or ""}
    query = urlencode({k: v for k, v in params.items() if v})
    url = reverse("admin:appointments_appointment_desk")
    return f"{url}?{query}" if query else url


def book_for_patient(modeladmin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    """Find or register the caller, pick the doctor, then a free time (the
    practice's zone, the first week with a free time first), say why, book."""
    if not modeladmin.has_add_permission(request):
        raise PermissionDenied
    now = timezone.now()
    params = request.POST if request.method == "POST" else request.GET
    patient = (
        User.objects.filter(pk=_pk(params.get("patient")), is_active=True).first()
        if _pk(params.get("patient"))
        else None
    )
    doctor = (
        bookable_doctors().filter(pk=_pk(params.get("doctor"))).first()
        if _pk(params.get("doctor"))
        else None
    )
    may_register = request.user.has_perm("accounts.add_user")
    action = request.POST.get("action", "")
    search = PatientSearchForm(request.GET)
    register = PatientRegistrationForm(request.POST if action == "register" else None)
    booking = DeskBookingForm(request.POST if action == "book" else None)
    status = HTTPStatus.OK
    if action == "register":
        if not may_register:
            raise PermissionDenied
        if register.is_valid():
            try:
                patient = account_services.register_patient(**register.cleaned_data)
            except Refusal as error:
                status = refuse(request, error, register)
            else:
                messages.success(
                    request,
                    _("%(name)s is registered. Now pick the doctor and a time.")
                    % {"name": patient.full_name},
                )
                return HttpResponseRedirect(
                    book_url(patient=patient.pk, doctor=doctor and doctor.pk)
                )
        else:
            status = HTTPStatus.BAD_REQUEST
    elif action == "book":
        if patient is None or doctor is None:
            booking.add_error(None, _("Please choose the patient and the doctor."))
            status = HTTPStatus.BAD_REQUEST
        elif booking.is_valid():
            try:
                appointment = services.book(
                    patient=patient,
                    slot_id=booking.cleaned_data["slot"],
                    reason=booking.cleaned_data["reason"],
                    booked_by=request.user,
                )
            except Refusal as error:
                status = refuse(request, error, booking)
            else:
                when = appointment.starts_at.astimezone(doctor.zone)
                messages.success(
                    request,
                    _(
                        "Booked %(patient)s with %(doctor)s on %(when)s (%(zone)s). "
                        "The patient and the doctor were told."
                    )
                    % {
                        "patient": patient.full_name,
                        "doctor": doctor.display_name,
                        "when": dateformat.format(when, "D j M Y, H:i"),
                        "zone": doctor.zone.key,
                    },
                )
                return HttpResponseRedirect(desk_url(day=when.date(), doctor=doctor.pk))
        else:
            status = HTTPStatus.BAD_REQUEST
    picker = None
    if patient is not None and doctor is not None:
        week = _day(params.get("week"), None) if params.get("week") else None
        picker = desk_picker(doctor=doctor, patient=patient, first_day=week, now=now)
    chosen_slot = booking.data.get("slot") if booking.is_bound else None
    context = _context(
        modeladmin,
        request,
        title=_("Book for a patient"),
        patient=patient,
        doctor=doctor,
        doctors=bookable_doctors().order_by("user__full_name", "pk")
        if patient is not None and doctor is None
        else [],
        search=search,
        matches=find_patients(search.data.get("q", "")) if patient is None else [],
        searched=bool(search.data.get("q", "").strip()),
        register=register,
        may_register=may_register,
        booking=booking,
        picker=picker,
        chosen_slot=str(chosen_slot or ""),
        book_url=reverse("admin:appointments_appointment_book"),
        change_patient_url=book_url(doctor=doctor and doctor.pk),
        change_doctor_url=book_url(patient=patient and patient.pk),
        desk_url=desk_url(),
    )
    return TemplateResponse(
        request, "admin/appointments/book_for_patient.html", context, status=status
    )


def desk(modeladmin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    """Today's (or `day`'s) appointments of every doctor, side by side."""
    if not modeladmin.has_front_desk_permission(request):
        raise PermissionDenied
    now = timezone.now()
    today = timezone.localdate(now)
    day = _day(request.GET.get("day"), today)
    doctor_id = _pk(request.GET.get("doctor"))
    columns, doctors = desk_day(day=day, now=now, doctor_id=doctor_id)
    log_access(
        request,
        AccessLog.Action.LIST,
        Appointment._meta.label_lower,
        {(None, a.patient_id) for column in columns for a in column.appointments},
    )
    for column in columns:
        for appointment in column.appointments:
            appointment.desk_actions = sorted(
                services.allowed_actions(appointment, user=request.user, now=now)
                & {"cancel", "reschedule", "no_show"}
            )
    here = desk_url(day=day, doctor=doctor_id)
    context = _context(
        modeladmin,
        request,
        title=_("Front desk"),
        day=day,
        today=today,
        previous_day=desk_url(day=day - dt.timedelta(days=1), doctor=doctor_id),
        next_day=desk_url(day=day + dt.timedelta(days=1), doctor=doctor_id),
        today_url=desk_url(doctor=doctor_id),
        all_doctors_url=desk_url(day=day),
        columns=columns,
        doctors=doctors,
        doctor_id=doctor_id,
        day_param=day.isoformat(),
        here=here,
        may_book=modeladmin.has_add_permission(request),
        may_change=modeladmin.has_change_permission(request),
        book_url=reverse("admin:appointments_appointment_book"),
        no_show_days=NO_SHOW_WINDOW.days,
    )
    return TemplateResponse(request, "admin/appointments/desk.html", context)


ACTION_TITLES = {
    "cancel": gettext_lazy("Cancel the appointment"),
    "reschedule": gettext_lazy("Move the appointment"),
    "no_show": gettext_lazy("Mark as a no-show"),
}
ACTION_DONE = {
    "cancel": gettext_lazy(
        "Appointment cancelled; the patient and the doctor were told."
    ),
    "reschedule": gettext_lazy(
        "Appointment moved to %(when)s; the patient and the doctor were told."
    ),
    "no_show": gettext_lazy("Marked as a no-show."),
}


def appointment_action(
    modeladmin: ModelAdmin, request: HttpRequest, object_id: str, action: str
) -> HttpResponse:
    """Cancel, move or mark a no-show one appointment: the page asks (a reason, a
    new time), the service decides."""
    appointment = get_object_or_404(
        Appointment.objects.select_related("patient", "doctor__user"),
        pk=_pk(object_id) or 0,
    )
    if not (
        modeladmin.has_front_desk_permission(request)
        and modeladmin.has_change_permission(request, appointment)
    ):
        raise PermissionDenied
    if request.method == "GET":
        log_access(
            request,
            AccessLog.Action.VIEW,
            Appointment._meta.label_lower,
            [(appointment.pk, appointment.patient_id)],
        )
    now = timezone.now()
    change_url = reverse("admin:appointments_appointment_change", args=[appointment.pk])
    back = safe_next(request, change_url)
    data = request.POST if request.method == "POST" else None
    if action == "reschedule":
        form = StaffRescheduleForm(data)
    elif action == "cancel":
        form = CancelForm(
            data,
            reason_required=services.needs_reason(
                appointment, user=request.user, action="cancel"
            ),
        )
    else:
        form = forms.Form(data)
    status = HTTPStatus.OK
    if request.method == "POST":
        if form.is_valid():
            reason = form.cleaned_data.get("reason", "")
            try:
                if action == "reschedule":
                    appointment = services.reschedule(
                        user=request.user,
                        appointment_id=appointment.pk,
                        new_slot_id=form.cleaned_data["slot"],
                        reason=reason,
                    )
                elif action == "cancel":
                    services.cancel(
                        user=request.user, appointment_id=appointment.pk, reason=reason
                    )
                else:
                    services.mark_no_show(
                        user=request.user, appointment_id=appointment.pk
                    )
            except Refusal as error:
                status = refuse(request, error, form)
            else:
                when = appointment.starts_at.astimezone(appointment.doctor.zone)
                messages.success(
                    request,
                    str(ACTION_DONE[action])
                    % {"when": dateformat.format(when, "D j M Y, H:i")},
                )
                return HttpResponseRedirect(back)
        else:
            status = HTTPStatus.BAD_REQUEST
    allowed = services.allowed_actions(appointment, user=request.user, now=now)
    choices = []
    if action == "reschedule" and action in allowed:
        choices = selectors.reschedule_choices(
            appointment, zone=appointment.doctor.zone, now=now
        )
        # Marked again as the front desk books: the no-show limit stops only the
        # patient.
        selectors.mark_unbookable(
            [slot for day in choices for slot in day.slots],
            doctor=appointment.doctor,
            viewer=appointment.patient,
            now=now,
            ignore=appointment.pk,
            by_staff=True,
        )
    context = _context(
        modeladmin,
        request,
        title=ACTION_TITLES[action],
        action=action,
        appointment=appointment,
        when=appointment.starts_at.astimezone(appointment.doctor.zone),
        zone=appointment.doctor.zone.key,
        allowed=action in allowed,
        form=form,
        choices=choices,
        chosen_slot=str(form.data.get("slot", "")) if form.is_bound else "",
        back=back,
        change_url=change_url,
    )
    return TemplateResponse(
        request, "admin/appointments/appointment_action.html", context, status=status
    )

"""The API's "my schedule" endpoints: a doctor's weekly windows, booking settings
and time off.

They call the same `schedule` services as the availability and time off pages,
and validate with the pages' own forms (the windows formset, BookingSettingsForm,
TimeOffForm): the request serializers give the body its shape and the schema its
fields, the forms say yes or no, so the API refuses what the page refuses, with
the same message and code, at the field's path in the body."""

import datetime as dt
from http import HTTPStatus

from django import forms
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import TimezoneField, form_errors, page_example, validated
from accounts.idempotency import Idempotent
from doctors.models import DoctorProfile

from . import schedule, schedule_forms, services
from .models import DateOverride, TimeOff, Weekday
from .rules import ON_BOOKED_CHOICES
from .schedule_forms import BookingSettingsForm, TimeOffForm, WindowFormSet


class IsApprovedDoctor(permissions.IsAuthenticated):
    """Signed in with an approved doctor profile (else 401, or 403)."""

    message = "Only an approved doctor has a schedule."

    def has_permission(self, request: Request, view) -> bool:
        return (
            super().has_permission(request, view)
            and DoctorProfile.objects.approved_of(request.user).exists()
        )


def my_doctor_profile(request: Request) -> DoctorProfile:
    """The signed-in user's approved doctor profile; 403 for anyone else."""
    profile = DoctorProfile.objects.approved_of(request.user).first()
    if profile is None:
        raise exceptions.PermissionDenied("Only an approved doctor has a schedule.")
    return profile


def _errors_at(form: forms.BaseForm, path: str, rename=None) -> dict[str, list]:
    """The form's errors (as `accounts.api.form_errors` words them) keyed by
    their path in the request body: `path.field`, or `path` itself for the
    form's own errors. `rename` maps a field to a path of its own."""
    rename = rename or {}
    detail = {}
    for name, errors in form_errors(form).detail.items():
        if name in rename:
            key = rename[name]
        elif name == "non_field_errors":
            key = path
        else:
            key = f"{path}.{name}"
        detail[key] = errors
    return detail


class WindowSerializer(serializers.Serializer):
    # The bounds only document the body: WindowForm's choices decide.
    weekday = serializers.IntegerField(
        min_value=min(Weekday.values),
        max_value=max(Weekday.values),
        help_text="0 = Monday … 6 = Sunday.",
    )
    start_time = serializers.TimeField(format="%H:%M")
    end_time = serializers.TimeField(format="%H:%M")


class BookingSettingsSerializer(serializers.Serializer):
    slot_minutes = serializers.IntegerField()
    buffer_minutes = serializers.IntegerField()
    min_notice_hours = serializers.IntegerField()
    horizon_days = serializers.IntegerField()
    auto_confirm = serializers.BooleanField()


class AvailabilitySerializer(serializers.Serializer):
    """Weekly windows in the doctor's own wall-clock time, and booking settings."""

    timezone = TimezoneField(
        required=False,
        help_text="The practice's IANA time zone; leave out to keep it. Moving it "
        "moves every future free slot with it.",
    )
    windows = WindowSerializer(many=True)
    settings = BookingSettingsSerializer()


AVAILABILITY_EXAMPLE = {
    "timezone": "Europe/Berlin",
    "windows": [
        {"weekday": 0, "start_time": "09:00", "end_time": "12:00"},
        {"weekday": 0, "start_time": "14:00", "end_time": "17:30"},
    ],
    "settings": {
        "slot_minutes": 30,
        "buffer_minutes": 0,
        "min_notice_hours": 2,
        "horizon_days": 60,
        "auto_confirm": False,
    },
}


def availability_forms(body: dict) -> tuple[WindowFormSet, BookingSettingsForm]:
    """The availability page's formset and settings form, bound to an API body
    (as AvailabilitySerializer validated it)."""
    windows = body["windows"]
    data = {"windows-TOTAL_FORMS": len(windows), "windows-INITIAL_FORMS": 0}
    for index, window in enumerate(windows):
        for name, value in window.items():
            data[f"windows-{index}-{name}"] = value
    formset = WindowFormSet(data=data, prefix="windows")
    settings_form = BookingSettingsForm(
        data={**body["settings"], "timezone": body.get("timezone", "")}
    )
    return formset, settings_form


def availability_errors(
    formset: WindowFormSet, settings_form: BookingSettingsForm
) -> dict[str, list]:
    """Every error of the page's forms, at its path in the API body."""
    detail = {}
    if formset.non_form_errors():
        detail["windows"] = [
            exceptions.ErrorDetail(message, code=error.code or "invalid")
            for error in formset.non_form_errors().as_data()
            for message in error.messages
        ]
    for index, form in enumerate(formset.forms):
        if form.errors:
            detail.update(_errors_at(form, f"windows.{index}"))
    if settings_form.errors:
        detail.update(
            _errors_at(settings_form, "settings", rename={"timezone": "timezone"})
        )
    return detail


@extend_schema(tags=["my schedule"])
class AvailabilityView(APIView):
    """My weekly availability and booking settings (approved doctors)."""

    rate_action = "schedule"  # shared with its page (accounts.limits)

    permission_classes = [IsApprovedDoctor]

    def current(self, doctor: DoctorProfile) -> dict:
        return {
            "timezone": doctor.timezone,
            "windows": WindowSerializer(
                doctor.weekly_availability.order_by("weekday", "start_time"), many=True
            ).data,
            "settings": {
                name: value
                for name, value in BookingSettingsForm.initial_for(doctor).items()
                if name != "timezone"  # the top-level field
            },
        }

    @extend_schema(
        summary="My weekly availability and booking settings",
        responses={200: AvailabilitySerializer},
        examples=[OpenApiExample("Mondays", value=AVAILABILITY_EXAMPLE)],
    )
    def get(self, request: Request) -> Response:
        return Response(self.current(my_doctor_profile(request)))

    @extend_schema(
        summary="Replace my weekly availability and booking settings",
        description="Replaces every window and setting at once, then regenerates "
        "the free slots (booked ones stay).",
        request=AvailabilitySerializer,
        responses={200: AvailabilitySerializer},
        examples=[OpenApiExample("Mondays", value=AVAILABILITY_EXAMPLE)],
    )
    def put(self, request: Request) -> Response:
        doctor = my_doctor_profile(request)
        body = AvailabilitySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        formset, settings_form = availability_forms(body.validated_data)
        windows_valid = formset.is_valid()
        if not (settings_form.is_valid() and windows_valid):
            raise exceptions.ValidationError(
                availability_errors(formset, settings_form)
            )
        schedule.save_schedule(
            doctor=doctor, windows=formset.windows(), **settings_form.service_kwargs()
        )
        doctor.refresh_from_db()
        return Response(self.current(doctor))


class TimeOffSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimeOff
        fields = ["id", "starts_at", "ends_at", "reason"]


class TimeOffInputSerializer(serializers.Serializer):
    """Whole days (leave the times out) or part of a day, in my time zone."""

    first_day = serializers.DateField()
    from_time = serializers.TimeField(required=False, allow_null=True)
    last_day = serializers.DateField()
    until_time = serializers.TimeField(required=False, allow_null=True)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=TimeOffForm.base_fields["reason"].max_length,
    )
    on_booked = serializers.ChoiceField(
        choices=ON_BOOKED_CHOICES,
        required=False,
        help_text="What becomes of the booked visits the time off covers: "
        "“cancel” (each patient is told, with the message) or “keep”. Without "
        "it, time off over booked visits answers 409 listing them.",
    )
    message = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="To the patients whose visits are cancelled; needed with “cancel”.",
    )


class AffectedPatientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AffectedVisitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["pending", "confirmed"])
    patient = AffectedPatientSerializer()


class TimeOffErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="“affects_appointments”.")
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class AffectedVisitsErrorSerializer(serializers.Serializer):
    """The API's 409 error body, with the visits in the way."""

    type = serializers.ChoiceField(choices=["client_error"])
    errors = TimeOffErrorSerializer(many=True)
    affected = AffectedVisitSerializer(
        many=True,
        required=False,
        help_text="With code “affects_appointments”: the booked visits in the "
        "time off.",
    )


@extend_schema(tags=["my schedule"])
class TimeOffListView(Idempotent, ListAPIView):
    """My time off (approved doctors), soonest first; free slots inside it go."""

    rate_action = "schedule"  # shared with its page (accounts.limits)

    permission_classes = [IsApprovedDoctor]

    serializer_class = TimeOffSerializer

    def get_queryset(self):
        doctor = my_doctor_profile(self.request)
        return TimeOff.objects.filter(doctor=doctor).order_by("starts_at", "id")

    @extend_schema(
        summary="My time off",
        examples=[
            page_example(
                "A conference",
                {
                    "id": 9,
                    "starts_at": "2026-12-10T00:00:00+01:00",
                    "ends_at": "2026-12-12T00:00:00+01:00",
                    "reason": "Conference",
                },
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Add time off",
        description="Free slots inside it go. When it covers booked visits "
        "(pending or confirmed, not started), the answer is 409 with code "
        "“affects_appointments” and the visits in “affected”, and nothing is "
        "saved, unless the body says `on_booked`: “cancel” (with a `message`; each "
        "patient is told, with a link to your next free times) or “keep”.",
        request=TimeOffInputSerializer,
        responses={201: TimeOffSerializer, 409: AffectedVisitsErrorSerializer},
        examples=[
            OpenApiExample(
                "A conference",
                value={
                    "first_day": "2026-12-10",
                    "last_day": "2026-12-11",
                    "reason": "Conference",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Cancel the booked visits",
                value={
                    "first_day": "2026-12-10",
                    "last_day": "2026-12-10",
                    "reason": "Sick",
                    "on_booked": "cancel",
                    "message": "I am ill today, sorry. Please book another time.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Booked visits in the way",
                value={
                    "type": "client_error",
                    "errors": [
                        {
                            "code": "affects_appointments",
                            "detail": "1 booked visit falls in this time off. "
                            "Cancel it (the patient is told) or keep it.",
                            "attr": None,
                        }
                    ],
                    "affected": [
                        {
                            "id": 77,
                            "starts_at": "2026-12-10T08:30:00Z",
                            "ends_at": "2026-12-10T09:00:00Z",
                            "status": "confirmed",
                            "patient": {"id": 42, "name": "Maria Garcia"},
                        }
                    ],
                },
                response_only=True,
                status_codes=["409"],
            ),
            OpenApiExample(
                "Added",
                value={
                    "id": 9,
                    "starts_at": "2026-12-09T23:00:00Z",
                    "ends_at": "2026-12-11T23:00:00Z",
                    "reason": "Conference",
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        doctor = my_doctor_profile(request)
        body = TimeOffInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = {k: v for k, v in body.validated_data.items() if v is not None}
        form = validated(TimeOffForm(data=data, zone=doctor.zone))
        taken = services.add_time_off(
            user=request.user,
            doctor=doctor,
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
            reason=form.cleaned_data["reason"],
            on_booked=form.cleaned_data["on_booked"] or None,
            message=form.cleaned_data["message"],
        )
        return Response(
            TimeOffSerializer(taken.time_off).data, status=HTTPStatus.CREATED
        )


@extend_schema(tags=["my schedule"])
class TimeOffDetailView(APIView):
    rate_action = "schedule"  # shared with its page (accounts.limits)
    permission_classes = [IsApprovedDoctor]

    @extend_schema(summary="Remove time off", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        doctor = my_doctor_profile(request)
        try:
            schedule.remove_time_off(doctor=doctor, time_off_id=pk)
        except schedule.TimeOffNotFound:
            raise exceptions.NotFound() from None
        return Response(status=HTTPStatus.NO_CONTENT)


# --- Date overrides -----------------------------------------------------------------


class OverrideWindowSerializer(serializers.Serializer):
    start_time = serializers.TimeField(format="%H:%M")
    end_time = serializers.TimeField(format="%H:%M")


class DateOverrideSerializer(serializers.Serializer):
    """One date's own hours, in my time zone: `windows` replace the weekday's weekly
    windows that date; `closed` with no windows takes no bookings that day."""

    date = serializers.DateField()
    closed = serializers.BooleanField(default=False)
    windows = OverrideWindowSerializer(many=True, required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, default="")


DATE_OVERRIDE_EXAMPLE = {
    "date": "2026-12-24",
    "closed": False,
    "windows": [{"start_time": "09:00", "end_time": "12:00"}],
    "note": "Christmas Eve: mornings only",
}


def _override_data(override) -> dict:
    windows = [
        {
            "start_time": w.start_time.strftime("%H:%M"),
            "end_time": w.end_time.strftime("%H:%M"),
        }
        for w in override.windows.all()
    ]
    return {
        "date": override.date.isoformat(),
        "closed": not windows,
        "windows": windows,
        "note": override.note,
    }


def _save_override(request: Request, doctor: DoctorProfile, body: dict):
    """Validate an API body with the page's form and windows formset, and save."""
    data = {
        "date": body["date"],
        "note": body["note"],
        "windows-TOTAL_FORMS": len(body["windows"]),
        "windows-INITIAL_FORMS": 0,
    }
    if body["closed"]:
        data["closed"] = "on"
    for index, window in enumerate(body["windows"]):
        for name, value in window.items():
            data[f"windows-{index}-{name}"] = value
    form, formset = schedule_forms.override_forms(data, zone=doctor.zone)
    if not schedule_forms.valid_override(form, formset):
        detail = {}
        for index, window_form in enumerate(formset.forms):
            if window_form.errors:
                detail.update(_errors_at(window_form, f"windows.{index}"))
        if form.errors:
            detail.update(form_errors(form).detail)
        raise exceptions.ValidationError(detail)
    override, _result = schedule.save_date_override(
        doctor=doctor,
        date=form.cleaned_data["date"],
        windows=formset.times(),
        note=form.cleaned_data["note"],
    )
    return override


@extend_schema(tags=["my schedule"])
class DateOverrideListView(APIView):
    """My date overrides from today on (approved doctors), soonest first."""

    permission_classes = [IsApprovedDoctor]

    @extend_schema(
        summary="My date overrides",
        responses={200: DateOverrideSerializer(many=True)},
        examples=[OpenApiExample("Christmas Eve", value=DATE_OVERRIDE_EXAMPLE)],
    )
    def get(self, request: Request) -> Response:
        doctor = my_doctor_profile(request)
        today = timezone.now().astimezone(doctor.zone).date()
        overrides = (
            DateOverride.objects.filter(doctor=doctor, date__gte=today)
            .prefetch_related("windows")
            .order_by("date")
        )
        return Response([_override_data(o) for o in overrides])

    @extend_schema(
        summary="Set the hours of a date",
        description="Creates the date's override, or replaces the one it has, then "
        "regenerates the free slots (booked ones stay).",
        request=DateOverrideSerializer,
        responses={201: DateOverrideSerializer},
        examples=[OpenApiExample("Christmas Eve", value=DATE_OVERRIDE_EXAMPLE)],
    )
    def post(self, request: Request) -> Response:
        doctor = my_doctor_profile(request)
        body = DateOverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        override = _save_override(request, doctor, body.validated_data)
        return Response(_override_data(override), status=HTTPStatus.CREATED)


@extend_schema(tags=["my schedule"])
class DateOverrideDetailView(APIView):
    permission_classes = [IsApprovedDoctor]

    @extend_schema(summary="Remove the hours of a date", responses={204: None})
    def delete(self, request: Request, day: str) -> Response:
        doctor = my_doctor_profile(request)
        try:
            schedule.remove_date_override(
                doctor=doctor, date=dt.date.fromisoformat(day)
            )
        except (ValueError, schedule.DateOverrideNotFound):
            raise exceptions.NotFound() from None
        return Response(status=HTTPStatus.NO_CONTENT)

"""The API's "my schedule" endpoints: a doctor's weekly windows, booking settings
and time off.

They call the same `schedule` services as the availability and time off pages,
and validate with the pages' own forms (the windows formset, BookingSettingsForm,
TimeOffForm): the request serializers give the body its shape and the schema its
fields, the forms say yes or no, so the API refuses what the page refuses, with
the same message and code, at the field's path in the body."""

from http import HTTPStatus

from django import forms
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import form_errors, page_example, validated
from doctors.models import DoctorProfile

from . import schedule
from .models import TimeOff, Weekday
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

    timezone = serializers.CharField(
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


@extend_schema(tags=["my schedule"])
class TimeOffListView(ListAPIView):
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
        request=TimeOffInputSerializer,
        responses={201: TimeOffSerializer},
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
        time_off, _result = schedule.add_time_off(
            doctor=doctor,
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
            reason=form.cleaned_data["reason"],
        )
        return Response(TimeOffSerializer(time_off).data, status=HTTPStatus.CREATED)


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

"""The API's appointment endpoints: a doctor's free slots, holding and booking,
the lifecycle (confirm, decline, cancel, complete, reschedule), the .ics file,
and a doctor's day. (A doctor's schedule is `schedule_api`.)

Every write calls the same service as its page; the pages' forms validate, and the
services' refusals become the error body in one handler (`clinic.api`)."""

import datetime as dt
import hashlib
from http import HTTPStatus

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions, permissions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import check_choices, page_example, validated
from accounts.caching import Conditional, conditional, etag_of, with_validators
from accounts.idempotency import Idempotent
from doctors import cache as fragments
from doctors.models import DoctorProfile

from . import ics, selectors, services
from .forms import REASON_MAX, REASON_MIN, BookingForm, CancelForm, RescheduleForm
from .models import Appointment, AppointmentEvent, Slot
from .schedule_api import IsApprovedDoctor, my_doctor_profile

Status = Appointment.Status
MAX_SLOT_RANGE = dt.timedelta(days=31)


# --- Free slots ---------------------------------------------------------------


class SlotSerializer(serializers.ModelSerializer):
    class Meta:
        model = Slot
        fields = ["id", "starts_at", "ends_at"]


class SlotPagination(PageNumberPagination):
    page_size = 100


# A kept answer's key -> its doctor's id, as last found (bounded; see list()).
_doctor_of: dict[str, int] = {}


@extend_schema(tags=["doctors"])
class FreeSlotsView(Conditional, ListAPIView):
    """A doctor's bookable slots between two dates (inclusive, in the doctor's time
    zone; at most 31 days): the same `Slot.objects.bookable` as the slot picker, so
    past, too-soon, beyond-horizon, held and booked slots are left out.

    The answer is the same for every viewer of an approved doctor, so its JSON is
    kept in the shared cache (`FRAGMENT_CACHE`) per URL, time zone and language,
    under the doctor's version (`doctors.cache`, bumped on commit by every write to
    the doctor's slots or profile, read before the slots are) and only until the
    clock alone may change it (`selectors.slots_unchanged_until`). Authentication,
    permissions, throttles and the query's validation run as ever first."""

    serializer_class = SlotSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = SlotPagination
    validates_query = True
    _store = None  # (key, doctor id, version, until) of an answer to keep

    def get_queryset(self):
        doctor = get_object_or_404(
            DoctorProfile.objects.visible_to(self.request.user).only(
                "pk",
                "timezone",
                "user_id",
                "status",
                "min_notice",
                "booking_horizon",
            ),
            slug=self.kwargs["slug"],
        )
        zone = doctor.zone
        now = timezone.now()
        params = DateRangeSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        first = params.validated_data.get("from") or now.astimezone(zone).date()
        last = params.validated_data.get("to") or first + dt.timedelta(days=6)
        if last < first:
            raise exceptions.ValidationError({"to": ["Must not be before “from”."]})
        if last - first >= MAX_SLOT_RANGE:
            raise exceptions.ValidationError({"to": ["At most 31 days after “from”."]})
        start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        if settings.FRAGMENT_CACHE and doctor.status == DoctorProfile.Status.APPROVED:
            # The version before the slots are read: a write committed after
            # this read leaves what is stored under it behind.
            version = fragments.version(doctor.pk)
            until = min(
                selectors.slots_unchanged_until(
                    doctor=doctor, start=start, end=end, zone=zone, now=now
                ),
                # NearDateField's "within ten years of today" turns at midnight.
                dt.datetime.combine(
                    now.date() + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC
                ),
            )
            self._store = (self._answer_key(), doctor.pk, version, until)
        return (
            Slot.objects.bookable(now)
            .filter(doctor=doctor, starts_at__gte=start, starts_at__lt=end)
            .order_by("starts_at", "id")
            .only("id", "starts_at", "ends_at")
        )

    def _answer_key(self) -> str:
        # The absolute URL: the pages' links (next, previous) carry the host.
        raw = repr(
            (
                self.request.build_absolute_uri(),
                timezone.get_current_timezone_name(),
                translation.get_language(),
            )
        )
        digest = hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()
        return f"free-slots:2:{digest}"

    def list(self, request, *args, **kwargs):
        if settings.FRAGMENT_CACHE:
            key = self._answer_key()
            # The doctor this answer was last found for (in this process): its
            # version read in the same round trip as the answer. Only a guess:
            # the answer names its doctor, and another is read on its own.
            guess = _doctor_of.get(key)
            keys = [key] if guess is None else [key, fragments.version_key(guess)]
            found = cache.get_many(keys)
            kept = found.get(key)
            # Another shape (stored by an older release): not this answer.
            if isinstance(kept, tuple) and len(kept) == 5:
                doctor_id, version, until, body, validators = kept
                if len(_doctor_of) >= 10_000:
                    _doctor_of.clear()
                _doctor_of[key] = doctor_id
                current = (
                    found.get(fragments.version_key(doctor_id))
                    if doctor_id == guess
                    else None
                ) or fragments.version(doctor_id)
                if timezone.now() < until and current == version:
                    response = HttpResponse(body, content_type="application/json")
                    response.validators = validators
                    return response
        return super().list(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super(Conditional, self).finalize_response(
            request, response, *args, **kwargs
        )
        if hasattr(response, "validators"):  # kept: its ETag and when it was made
            return with_validators(request, response, *response.validators)
        if self._store is not None and response.status_code == HTTPStatus.OK:
            response.render()
            key, doctor_id, version, until = self._store
            seconds = (until - timezone.now()).total_seconds()
            if seconds >= 1:
                validators = (
                    etag_of(response.content),
                    int(timezone.now().timestamp()),
                )
                cache.set(
                    key,
                    (doctor_id, version, until, response.content, validators),
                    timeout=min(int(seconds), fragments.TIMEOUT),
                )
        return conditional(request, response)

    @extend_schema(
        summary="A doctor's free slots",
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="First day (default: today)."
            ),
            OpenApiParameter(
                "to", OpenApiTypes.DATE, description="Last day (default: from + 6)."
            ),
        ],
        examples=[
            page_example(
                "A free slot",
                {
                    "id": 501,
                    "starts_at": "2026-12-03T08:30:00Z",
                    "ends_at": "2026-12-03T09:00:00Z",
                },
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NearDateField(serializers.DateField):
    """A date within ten years of today: what a calendar asks about, and far from
    the limits of date arithmetic (9999-12-31 + 1 day would be a 500)."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        today = timezone.now().date()
        if abs((day - today).days) > 3660:
            raise exceptions.ValidationError(
                "Pick a date within ten years of today.", code="out_of_range"
            )
        return day


class DateRangeSerializer(serializers.Serializer):
    # "from" is a keyword: declared through the fields dict below.
    to = NearDateField(required=False)


DateRangeSerializer._declared_fields["from"] = NearDateField(required=False)


# --- Holding and booking ------------------------------------------------------


class HoldSerializer(serializers.Serializer):
    slot = serializers.IntegerField(source="pk")
    held_until = serializers.DateTimeField()


@extend_schema(tags=["appointments"])
class HoldView(Idempotent, APIView):
    """Hold a slot for five minutes while the patient writes the reason (every
    booking rule is checked now), or give the hold back."""

    rate_action = "booking"  # the pages' budget (accounts.limits)
    conflict_methods = ("POST",)

    @extend_schema(
        summary="Hold a slot",
        request=None,
        responses={200: HoldSerializer},
        examples=[
            OpenApiExample(
                "Held", value={"slot": 501, "held_until": "2026-12-01T10:05:00Z"}
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        slot = services.hold(patient=request.user, slot_id=pk)
        return Response(HoldSerializer(slot).data)

    @extend_schema(summary="Release my hold on a slot", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.release_hold(patient=request.user, slot_id=pk)
        return Response(status=HTTPStatus.NO_CONTENT)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")


class AppointmentDoctorSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.full_name")
    specialization = serializers.CharField(source="specialization.name")

    class Meta:
        model = DoctorProfile
        fields = ["slug", "name", "specialization", "clinic_name", "address", "city"]


class EventSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="actor.full_name", allow_null=True, default=None)
    from_status = serializers.CharField(help_text="Empty for the booking itself.")
    to_status = serializers.CharField()

    class Meta:
        model = AppointmentEvent
        fields = ["from_status", "to_status", "by", "note", "created_at"]


class AppointmentSerializer(serializers.ModelSerializer):
    doctor = AppointmentDoctorSerializer()
    patient = PersonSerializer()
    actions = serializers.SerializerMethodField()
    ics_url = serializers.SerializerMethodField()

    class Meta:
        model = Appointment
        fields = [
            "id",
            "status",
            "starts_at",
            "ends_at",
            "reason",
            "doctor",
            "patient",
            "cancellation_reason",
            "created_at",
            "actions",
            "ics_url",
        ]

    def get_actions(self, appointment: Appointment) -> list[str]:
        """What you may do now: confirm, decline, cancel, complete, no_show,
        reschedule."""
        user = self.context["request"].user
        return sorted(services.allowed_actions(appointment, user=user))

    def get_ics_url(self, appointment: Appointment) -> str:
        return f"/api/v1/appointments/{appointment.pk}/ics/"


class AppointmentDetailSerializer(AppointmentSerializer):
    events = EventSerializer(many=True)

    class Meta(AppointmentSerializer.Meta):
        fields = [*AppointmentSerializer.Meta.fields, "events"]


class BookingInputSerializer(serializers.Serializer):
    # The booking page's form (BookingForm) checks the reason, with its limits.
    slot = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(
        help_text=f"{REASON_MIN}–{REASON_MAX} characters; only the doctor sees it."
    )


APPOINTMENT_EXAMPLE = {
    "id": 77,
    "status": "pending",
    "starts_at": "2026-12-03T08:30:00Z",
    "ends_at": "2026-12-03T09:00:00Z",
    "reason": "Chest pain when climbing stairs",
    "doctor": {
        "slug": "ada-lee",
        "name": "Ada Lee",
        "specialization": "Cardiology",
        "clinic_name": "Herzpraxis Mitte",
        "address": "Invalidenstraße 1",
        "city": "Berlin",
    },
    "patient": {"id": 42, "name": "Maria Garcia"},
    "cancellation_reason": "",
    "created_at": "2026-12-01T10:02:00Z",
    "actions": ["cancel", "reschedule"],
    "ics_url": "/api/v1/appointments/77/ics/",
}


def my_appointments(user):
    return Appointment.objects.visible_to(user).select_related(
        "doctor__user", "doctor__specialization", "patient"
    )


@extend_schema(tags=["appointments"])
class AppointmentListView(Conditional, Idempotent, ListAPIView):
    """My appointments, as patient and as doctor, soonest first."""

    serializer_class = AppointmentSerializer
    rate_action = "booking"  # the pages' budget (accounts.limits)
    conflict_methods = ("POST",)
    validates_query = True
    FILTERS = {
        "as": ["patient", "doctor"],
        "status": Status.values,
        "when": ["upcoming", "past"],
    }

    def get_queryset(self):
        user = self.request.user
        check_choices(self.request.query_params, self.FILTERS)
        appointments = my_appointments(user)
        role = self.request.query_params.get("as")
        if role == "patient":
            appointments = appointments.filter(patient=user)
        elif role == "doctor":
            appointments = appointments.filter(doctor__user=user)
        status = self.request.query_params.get("status")
        if status in Status.values:
            appointments = appointments.filter(status=status)
        when = self.request.query_params.get("when")
        now = timezone.now()
        if when == "upcoming":
            appointments = appointments.upcoming(now)
        elif when == "past":
            return appointments.past(now).order_by("-starts_at", "-id")
        return appointments.order_by("starts_at", "id")

    @extend_schema(
        summary="My appointments",
        parameters=[
            OpenApiParameter("as", str, enum=FILTERS["as"]),
            OpenApiParameter("status", str, enum=FILTERS["status"]),
            OpenApiParameter(
                "when",
                str,
                enum=FILTERS["when"],
                description="Upcoming: pending or confirmed, not ended (as on the "
                "page). Past: everything else, latest first.",
            ),
        ],
        examples=[
            page_example(
                "One page",
                APPOINTMENT_EXAMPLE,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Book a slot",
        request=BookingInputSerializer,
        responses={201: AppointmentSerializer},
        description="Every booking rule is checked under the slot's row lock. 409 "
        "when the slot was just taken or is held by someone else; 400 when another "
        "rule says no (too soon, overlap, the limit of upcoming visits...).",
        examples=[
            OpenApiExample(
                "Book",
                value={"slot": 501, "reason": "Chest pain when climbing stairs"},
                request_only=True,
            ),
            OpenApiExample("Booked", value=APPOINTMENT_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request: Request) -> Response:
        body = BookingInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        form = validated(BookingForm(data={"reason": body.validated_data["reason"]}))
        appointment = services.book(
            patient=request.user,
            slot_id=body.validated_data["slot"],
            reason=form.cleaned_data["reason"],
        )
        appointment = my_appointments(request.user).get(pk=appointment.pk)
        return Response(
            AppointmentSerializer(appointment, context={"request": request}).data,
            status=HTTPStatus.CREATED,
        )


@extend_schema(tags=["appointments"])
class AppointmentDetailView(APIView):
    @extend_schema(
        summary="One of my appointments, with its history",
        responses={200: AppointmentDetailSerializer},
        examples=[
            OpenApiExample(
                "Pending",
                value={
                    **APPOINTMENT_EXAMPLE,
                    "events": [
                        {
                            "from_status": "",
                            "to_status": "pending",
                            "by": "Maria Garcia",
                            "note": "",
                            "created_at": "2026-12-01T10:02:00Z",
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        appointment = get_object_or_404(
            my_appointments(request.user).prefetch_related("events__actor"), pk=pk
        )
        return Response(
            AppointmentDetailSerializer(appointment, context={"request": request}).data
        )


class ReasonSerializer(serializers.Serializer):
    # The cancel page's form (CancelForm) checks the reason, with its limits.
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=f"At most {REASON_MAX} characters; the patient sees it. Required "
        "when the doctor or staff cancel or decline.",
    )


class RescheduleInputSerializer(serializers.Serializer):
    # The reschedule page's form (RescheduleForm) checks them, with its limits.
    slot = serializers.IntegerField(min_value=1, help_text="The new slot's id.")
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=f"At most {REASON_MAX} characters. When the doctor moves the "
        "visit, the patient reads it with the new time.",
    )


class TransitionView(Idempotent, APIView):
    """One lifecycle step on one of my appointments (another's is 404). The
    service's transition table decides: a role that may not is 403, a state or a
    time that refuses is 409."""

    rate_action = "appointment_change"  # shared with its page (accounts.limits)

    conflict_methods = ("POST",)
    forbidden_methods = ("POST",)

    def appointment(self, request: Request, pk: int) -> Appointment:
        return get_object_or_404(my_appointments(request.user), pk=pk)

    def answer(self, request: Request, pk: int) -> Response:
        appointment = my_appointments(request.user).get(pk=pk)
        return Response(
            AppointmentSerializer(appointment, context={"request": request}).data
        )

    def reason(self, request: Request, appointment: Appointment, action: str) -> str:
        """The reason in the body, checked by the page's form."""
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        required = services.needs_reason(appointment, user=request.user, action=action)
        form = validated(
            CancelForm(
                data={"reason": body.validated_data.get("reason", "")},
                reason_required=required,
            )
        )
        return form.cleaned_data["reason"]


def transition_schema(summary: str, description: str, request=None):
    return extend_schema(
        summary=summary,
        description=description,
        request=request,
        responses={200: AppointmentSerializer},
        examples=[
            OpenApiExample("Done", value=APPOINTMENT_EXAMPLE, response_only=True)
        ],
        tags=["appointments"],
    )


class ConfirmView(TransitionView):
    @transition_schema("Confirm a booking (doctor)", "The doctor accepts it.")
    def post(self, request: Request, pk: int) -> Response:
        appointment = self.appointment(request, pk)
        services.confirm(user=request.user, appointment_id=appointment.pk)
        return self.answer(request, pk)


class DeclineView(TransitionView):
    @transition_schema(
        "Decline a booking (doctor)",
        "The doctor turns down a pending booking, saying why (the patient sees it).",
        ReasonSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        appointment = self.appointment(request, pk)
        services.decline(
            user=request.user,
            appointment_id=appointment.pk,
            reason=self.reason(request, appointment, "decline"),
        )
        return self.answer(request, pk)


class CancelView(TransitionView):
    @transition_schema(
        "Cancel an appointment",
        "The patient: a pending one any time, a confirmed one until 2 hours before. "
        "The doctor and staff: any time, with a reason.",
        ReasonSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        appointment = self.appointment(request, pk)
        services.cancel(
            user=request.user,
            appointment_id=appointment.pk,
            reason=self.reason(request, appointment, "cancel"),
        )
        return self.answer(request, pk)


class CompleteView(TransitionView):
    @transition_schema(
        "Mark a visit completed (doctor)", "Once the confirmed visit has started."
    )
    def post(self, request: Request, pk: int) -> Response:
        appointment = self.appointment(request, pk)
        services.complete(user=request.user, appointment_id=appointment.pk)
        return self.answer(request, pk)


class NoShowView(TransitionView):
    @transition_schema(
        "Mark a no-show (doctor)",
        "The patient did not come to a confirmed visit: once it has started. It is "
        "never completed or reviewed afterwards, and counts towards the clinic's "
        "no-show limit for online booking.",
    )
    def post(self, request: Request, pk: int) -> Response:
        appointment = self.appointment(request, pk)
        services.mark_no_show(user=request.user, appointment_id=appointment.pk)
        return self.answer(request, pk)


class RescheduleView(TransitionView):
    rate_action = "booking"  # the pages' budget (accounts.limits)

    @transition_schema(
        "Move an appointment to another slot (patient or doctor)",
        "Another free slot of the same doctor, before the visit starts. The "
        "patient: back to pending unless the doctor auto-confirms (a confirmed "
        "visit until 2 hours before). The doctor: it stays (or becomes) confirmed "
        "and the patient is told the new time with the optional reason. 409 when "
        "the slot was just taken or the move is refused; 400 when the patient may "
        "not take that time (overlap, one a day with this doctor...).",
        RescheduleInputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        body = RescheduleInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        form = validated(RescheduleForm(data=body.validated_data))
        appointment = self.appointment(request, pk)
        services.reschedule(
            user=request.user,
            appointment_id=appointment.pk,
            new_slot_id=form.cleaned_data["slot"],
            reason=form.cleaned_data["reason"],
        )
        return self.answer(request, pk)


class ICSRenderer(BaseRenderer):
    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data) if not isinstance(data, str) else data


@extend_schema(tags=["appointments"])
class CalendarFileView(APIView):
    renderer_classes = [JSONRenderer, ICSRenderer]

    @extend_schema(
        summary="My appointment as an .ics file",
        responses={
            (200, "text/calendar"): OpenApiResponse(
                OpenApiTypes.STR,
                description="An iCalendar VEVENT (METHOD:PUBLISH), times in UTC: "
                "the same UID and SEQUENCE as the invitations the emails carry; "
                "names, place and time only, never a health detail.",
                examples=[
                    OpenApiExample(
                        "One visit",
                        value="BEGIN:VCALENDAR\r\nPRODID:-//Clinic//Appointments//EN"
                        "\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH"
                        "\r\nBEGIN:VEVENT\r\n"
                        "UID:appointment-77@clinic.example.com\r\n"
                        "DTSTAMP:20261201T100500Z\r\nSEQUENCE:1\r\n"
                        "DTSTART:20261203T083000Z\r\nDTEND:20261203T090000Z\r\n"
                        "SUMMARY:Appointment with Dr Ada Lee · City Health Centre\r\n"
                        "STATUS:CONFIRMED\r\nCLASS:PRIVATE\r\n"
                        'ORGANIZER;CN="Dr Ada Lee":mailto:no-reply@clinic.example.com'
                        "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                    )
                ],
            )
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        appointment = get_object_or_404(my_appointments(request.user), pk=pk)
        return ics.download(appointment)


# --- A doctor's own schedule --------------------------------------------------


@extend_schema(tags=["my schedule"])
class DoctorDayView(ListAPIView):
    """My appointments as a doctor on one day at my practice (in its time zone, as
    on the page's "Today"), by start time."""

    permission_classes = [IsApprovedDoctor]

    serializer_class = AppointmentSerializer
    validates_query = True

    def get_queryset(self):
        doctor = my_doctor_profile(self.request)
        params = DaySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        day = params.validated_data.get("date") or selectors.practice_today(
            doctor, timezone.now()
        )
        return selectors.doctor_day(doctor, day).select_related(
            "doctor__user", "doctor__specialization", "patient"
        )

    @extend_schema(
        summary="My day as a doctor",
        parameters=[
            OpenApiParameter(
                "date", OpenApiTypes.DATE, description="The day (default: today)."
            )
        ],
        examples=[
            page_example(
                "One visit",
                APPOINTMENT_EXAMPLE,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DaySerializer(serializers.Serializer):
    date = NearDateField(required=False)

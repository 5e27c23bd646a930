"""The API of my waitlist: list, join (create) and leave (delete), through the
same form and services as the pages."""

from http import HTTPStatus

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import validated
from doctors.models import DoctorProfile

from . import waitlist
from .models import WaitlistRequest
from .waitlist_forms import WaitlistForm


class WaitlistRequestSerializer(serializers.ModelSerializer):
    doctor = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    doctor_name = serializers.CharField(source="doctor.display_name", read_only=True)

    class Meta:
        model = WaitlistRequest
        fields = ["id", "doctor", "doctor_name", "until", "created_at"]


class JoinSerializer(serializers.Serializer):
    doctor = serializers.SlugField(help_text="The doctor's slug.")
    until = serializers.DateField(help_text="Tell me about times up to this date.")


EXAMPLE = {
    "id": 4,
    "doctor": "ada-lee",
    "doctor_name": "Dr Ada Lee",
    "until": "2026-12-20",
    "created_at": "2026-12-05T09:00:00Z",
}


@extend_schema(tags=["me"])
class WaitlistView(APIView):
    """My waitlist requests that still wait, in the order I joined."""

    conflict_methods = ("POST",)  # already waiting for that doctor

    @extend_schema(
        summary="My waitlist",
        responses={200: WaitlistRequestSerializer(many=True)},
        examples=[OpenApiExample("One doctor", value=EXAMPLE)],
    )
    def get(self, request: Request) -> Response:
        today = waitlist.today_for(request.user, timezone.now())
        entries = (
            WaitlistRequest.objects.filter(patient=request.user, ended_at__isnull=True)
            .active(today)
            .select_related("doctor__user")
            .order_by("created_at")
        )
        return Response(WaitlistRequestSerializer(entries, many=True).data)

    @extend_schema(
        summary="Join a doctor's waitlist",
        request=JoinSerializer,
        responses={201: WaitlistRequestSerializer},
        examples=[OpenApiExample("Join", value=EXAMPLE)],
    )
    def post(self, request: Request) -> Response:
        body = JoinSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        doctor = (
            DoctorProfile.objects.approved()
            .filter(slug=body.validated_data["doctor"])
            .first()
        )
        if doctor is None:
            raise exceptions.ValidationError({"doctor": ["No such doctor."]})
        form = validated(
            WaitlistForm(
                data={"until": body.validated_data["until"]}, zone=request.user.zone
            )
        )
        entry = waitlist.join(
            patient=request.user, doctor=doctor, until=form.cleaned_data["until"]
        )
        return Response(
            WaitlistRequestSerializer(entry).data, status=HTTPStatus.CREATED
        )


@extend_schema(tags=["me"])
class WaitlistDetailView(APIView):
    @extend_schema(summary="Leave a waitlist", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        get_object_or_404(
            WaitlistRequest, pk=pk, patient=request.user, ended_at__isnull=True
        )
        waitlist.leave(patient=request.user, request_id=pk)
        return Response(status=HTTPStatus.NO_CONTENT)

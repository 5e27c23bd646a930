"""The API's doors to a patient's data rights: the same export and the same
closing as the profile page, through the same form and services."""

from http import HTTPStatus

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import validated

from . import services, views
from .forms import CloseAccountForm


@extend_schema(tags=["me"])
class ExportView(APIView):
    """Everything Clinic holds about me, as a zip (data.json, appointments.ics,
    my picture)."""

    rate_action = "data_export"  # shared with its page (accounts.limits)

    @extend_schema(
        summary="Download my data",
        request=None,
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="A zip: data.json (account, appointments with their "
                "history, reviews, follows, notifications, who at the clinic viewed "
                "your records), appointments.ics, avatar/<file> when you have one.",
            )
        },
    )
    def post(self, request: Request):
        return views.export_response(request.user)


class CloseAccountSerializer(serializers.Serializer):
    password = serializers.CharField(help_text="The account's current password.")


@extend_schema(tags=["me"])
class CloseAccountView(APIView):
    """Close my account for good: upcoming appointments cancelled (the doctors are
    told), personal details erased, reviews kept as "Former patient". Patients
    only: doctors and staff get 409."""

    rate_action = "account_delete"  # shared with its page (accounts.limits)
    conflict_methods = ("POST",)

    @extend_schema(
        summary="Close my account",
        request=CloseAccountSerializer,
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        body = CloseAccountSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        validated(CloseAccountForm(data=body.validated_data, user=request.user))
        services.close_account(user=request.user)
        return Response(status=HTTPStatus.NO_CONTENT)

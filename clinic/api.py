"""What every API view shares, wired in through settings (REST_FRAMEWORK,
DRF_STANDARDIZED_ERRORS) so the apps' `api.py` modules never import this package:
the schema generator, the 409 error body, and the JSON 404
for unknown /api/ URLs."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_GET
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsSchema
from drf_standardized_errors.openapi_serializers import (
    ClientErrorEnum,
    ValidationErrorResponseSerializer,
)
from rest_framework import exceptions, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class ErrorCode409Enum(models.TextChoices):
    CONFLICT = "conflict"
    SLOT_TAKEN = "slot_taken"
    SLOT_HELD = "slot_held"
    TRANSITION_REFUSED = "transition_refused"
    ALREADY_APPLIED = "already_applied"
    ALREADY_REVIEWED = "already_reviewed"
    EDIT_WINDOW_CLOSED = "edit_window_closed"


class Error409Serializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=ErrorCode409Enum.choices)
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponse409Serializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = Error409Serializer(many=True)


class AutoSchema(StandardizedErrorsSchema):
    """drf-standardized-errors' schema (every error response documented with an
    example), told which operations can answer 409 or 429.

    A view lists its conflicting methods in `conflict_methods`, and those that check
    a role themselves in `forbidden_methods`; `validates_query` marks a GET whose
    query parameters can be a 400; 429 is documented on writes only, the
    ones WriteThrottle counts."""

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if status_code == "409":
            return self.method in getattr(self.view, "conflict_methods", ())
        if status_code == "403" and self.method in getattr(
            self.view, "forbidden_methods", ()
        ):
            return True  # a role check inside the view (e.g. "only the doctor")
        if status_code == "429" and self.method in permissions.SAFE_METHODS:
            return False
        return super()._should_add_error_response(responses, status_code)

    def _should_add_validation_error_response(self) -> bool:
        # Views that check their query parameters (dates, ranges) say so.
        return super()._should_add_validation_error_response() or (
            self.method == "GET" and getattr(self.view, "validates_query", False)
        )

    def _get_serializer_for_validation_error_response(self):
        # Input is validated by the pages' own forms, whose rules (and error codes:
        # "min_length", "invalid_phone", "overlap"...) the request serializers do
        # not repeat; so each error is documented as a code string, not an enum.
        return ValidationErrorResponseSerializer


class NotFoundView(APIView):
    """Any /api/ URL nothing else matched: the API's JSON 404, never the HTML page."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = []
    schema = None  # not an endpoint

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound()


class PingView(APIView):
    """The benchmark's baseline: the cheapest DRF endpoint there is (no database).

    Mounted only when BENCH_API_PING is set (bench/api.py sets it)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = []
    schema = None

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class AllauthJWTScheme(OpenApiAuthenticationExtension):
    """Declares the API's (allauth's) JWT authentication as HTTP Bearer (JWT)."""

    target_class = "clinic.authentication.JWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer", bearer_format="JWT"
        )


@require_GET
@cache_page(60 * 60)
def auth_specification(request: HttpRequest) -> JsonResponse:
    """allauth's headless OpenAPI specification (sign-up, login, tokens), as JSON.

    Built by allauth from our settings and forms; its translated texts need
    Django's encoder."""
    from allauth.headless.spec.internal.schema import get_schema

    return JsonResponse(get_schema(), encoder=DjangoJSONEncoder)

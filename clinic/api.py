"""What every API view shares, wired in through settings (REST_FRAMEWORK,
DRF_STANDARDIZED_ERRORS) so the apps' `api.py` modules never import this package:
the exception handler that turns the services' refusals into the error body, the
schema generator, the 409 error body, and the JSON 404 for unknown /api/ URLs."""

from http import HTTPStatus

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_GET
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiParameter
from drf_standardized_errors.handler import ExceptionHandler as StandardExceptionHandler
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsSchema
from drf_standardized_errors.openapi_serializers import (
    ClientErrorEnum,
    ValidationErrorResponseSerializer,
)
from rest_framework import exceptions, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import appointments.services
import appointments.waitlist
import doctors.services
import privacy.services
import reviews.services
from accounts import idempotency
from accounts.errors import Refusal, refusal_codes

from . import headless, views


class ExceptionHandler(StandardExceptionHandler):
    """drf-standardized-errors' handler, which also knows the services' refusals:
    a 400 names its field (or none), any other status keeps its code and message."""

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if failure := views.failure_status(exc):  # the database down, a huge body
            status, code = failure
            converted = exceptions.APIException(status.phrase, code=code)
            converted.status_code = status
            if status == HTTPStatus.SERVICE_UNAVAILABLE:
                converted.wait = settings.DATABASE_RETRY_AFTER  # Retry-After
            return converted
        if not isinstance(exc, Refusal):
            return super().convert_known_exceptions(exc)
        detail = exceptions.ErrorDetail(exc.message, code=exc.code)
        if exc.status == HTTPStatus.BAD_REQUEST:
            field = exc.field or "non_field_errors"
            return exceptions.ValidationError({field: [detail]})
        converted = exceptions.APIException(detail, code=exc.code)
        converted.status_code = exc.status
        return converted

    def format_exception(self, exc: exceptions.APIException) -> dict:
        data = super().format_exception(exc)
        if isinstance(self.exc, Refusal) and self.exc.extra:
            data.update(self.exc.extra)
        return data


# The services that define the refusals, imported before their codes are listed.
REFUSING_SERVICES = (
    appointments.services,
    appointments.waitlist,
    doctors.services,
    privacy.services,
    reviews.services,
)
# The codes a 409 can carry: every refusal's ("conflict" is the generic one).
ErrorCode409Enum = models.TextChoices(
    "ErrorCode409Enum",
    [(code.upper(), code) for code in refusal_codes(HTTPStatus.CONFLICT)],
)


# The codes a 422 can carry (an Idempotency-Key sent again with another request).
ErrorCode422Enum = models.TextChoices(
    "ErrorCode422Enum",
    [(code.upper(), code) for code in refusal_codes(HTTPStatus.UNPROCESSABLE_ENTITY)],
)


class Error422Serializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=ErrorCode422Enum.choices)
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponse422Serializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = Error422Serializer(many=True)


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    idempotency.HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Makes a retry safe: the same key with the same request within "
    "24 hours replays the first answer (status and body, with "
    "`Idempotent-Replayed: true`) instead of acting again; with another request it "
    "is a 422; while the first request still runs, a 409 "
    "`idempotency_key_in_use`. Keys are per user; a UUID per action is ideal.",
    pattern=idempotency.KEY_PATTERN.pattern,
)


class Error409Serializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=ErrorCode409Enum.choices)
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponse409Serializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = Error409Serializer(many=True)


CONDITIONAL_PARAMETERS = [
    OpenApiParameter(
        "If-None-Match",
        str,
        OpenApiParameter.HEADER,
        description="The ETag of your copy: 304 (no body) while it is the answer.",
    ),
    OpenApiParameter(
        "If-Modified-Since",
        str,
        OpenApiParameter.HEADER,
        description="The Last-Modified of your copy (an HTTP date); ignored when "
        "If-None-Match is sent.",
    ),
]
CONDITIONAL_RESPONSE_HEADERS = {
    "ETag": {
        "schema": {"type": "string"},
        "description": "Changes whenever the answer does (a hash of it).",
    },
    "Last-Modified": {
        "schema": {"type": "string"},
        "description": "When this answer was first given to you here.",
    },
    "Cache-Control": {
        "schema": {"type": "string"},
        "description": "`private, no-cache` when signed in, else `public, no-cache`.",
    },
}


class AutoSchema(StandardizedErrorsSchema):
    """drf-standardized-errors' schema (every error response documented with an
    example), told which operations can answer 409 or 429.

    A view lists its conflicting methods in `conflict_methods`, and those that check
    a role themselves in `forbidden_methods`; `validates_query` marks a GET whose
    query parameters can be a 400; 429 is documented on writes only, the
    ones WriteThrottle counts."""

    def _is_idempotent(self) -> bool:
        return self.method in getattr(self.view, "idempotent_methods", ())

    def get_override_parameters(self) -> list:
        parameters = super().get_override_parameters()
        if self._is_idempotent():
            parameters = [*parameters, IDEMPOTENCY_KEY_PARAMETER]
        if self._is_conditional():
            parameters = [*parameters, *CONDITIONAL_PARAMETERS]
        return parameters

    def _is_conditional(self) -> bool:
        return self.method == "GET" and getattr(self.view, "conditional_get", False)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        if direction == "response" and self._is_conditional():
            responses["304"] = {
                "description": "Not modified: the copy named in If-None-Match (or "
                "dated in If-Modified-Since) is still the answer.",
                "headers": CONDITIONAL_RESPONSE_HEADERS,
            }
        return responses

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        if self._is_conditional() and str(status_code) == "200":
            headers = {**headers, **CONDITIONAL_RESPONSE_HEADERS}
        return headers

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if status_code == "422":
            return self._is_idempotent()
        if status_code == "409":
            return self._is_idempotent() or self.method in getattr(
                self.view, "conflict_methods", ()
            )
        if status_code == "403" and self.method in getattr(
            self.view, "forbidden_methods", ()
        ):
            return True  # a role check inside the view (e.g. "only the doctor")
        if status_code == "429" and self.method in permissions.SAFE_METHODS:
            return False
        return super()._should_add_error_response(responses, status_code)

    def _should_add_validation_error_response(self) -> bool:
        # Views that check their query parameters (dates, ranges) say so.
        # So does every operation that takes an Idempotency-Key (a malformed one).
        return (
            super()._should_add_validation_error_response()
            or (self.method == "GET" and getattr(self.view, "validates_query", False))
            or self._is_idempotent()
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

    Built by allauth from our settings and forms (its translated texts need
    Django's encoder), less the endpoints not mounted here (clinic.headless)."""
    from allauth.headless.spec.internal.schema import get_schema

    return JsonResponse(headless.specification(get_schema()), encoder=DjangoJSONEncoder)

"""allauth's headless API (sign-up, login, tokens) kept to its published
specification: what clients generate code from must be what the server does.

- Endpoints this clinic does not use (phone numbers, login by code) are neither
  mounted (`unused_urlpatterns` answers them 404 before allauth's) nor in the
  specification (`specification`).
- `HeadlessSpecMiddleware` mends the few answers allauth gives outside its own
  specification: an empty HTML 400 for a body that is not a JSON object, a 429
  without Retry-After, a 410 or 401 whose `is_authenticated` is null (and a 410
  on logout, where the specification promises 401).
- The specification lists what allauth really answers: the 429 on every
  rate-limited write, the 410 for an unknown session token wherever one is read,
  the 401 where a signed-in user is needed."""

import json
from http import HTTPStatus

from allauth.account import app_settings as account_settings
from allauth.core.internal.ratelimit import parse_rates
from django.http import JsonResponse
from django.urls import path

PREFIX = "/_allauth/app/v1/"
# Phone numbers and login by code are off here (email + password only).
UNUSED_ENDPOINTS = (
    "auth/phone/verify",
    "auth/phone/verify/resend",
    "account/phone",
    "auth/code/confirm",
)
# The allauth rate limits each endpoint counts (account app_settings' actions).
RATE_LIMITED = {
    "auth/login": ("login", "login_failed"),
    "auth/signup": ("signup",),
    "auth/password/request": ("reset_password",),
    "auth/password/reset": ("reset_password_from_key",),
    "auth/email/verify/resend": ("confirm_email",),
    "auth/reauthenticate": ("reauthenticate",),
    "account/password/change": ("change_password",),
    "account/email": ("manage_email",),
}


SESSION_TOKEN = {"$ref": "#/components/parameters/SessionToken"}
# Endpoints for a signed-in user only.
SIGNED_IN_ONLY = ("account/", "auth/reauthenticate", "auth/2fa/reauthenticate")


def _not_found(request, *args, **kwargs) -> JsonResponse:
    return JsonResponse({"status": HTTPStatus.NOT_FOUND}, status=HTTPStatus.NOT_FOUND)


def unused_urlpatterns() -> list:
    """Mounted before allauth's own: the unused endpoints answer 404."""
    return [
        path(f"{PREFIX.lstrip('/')}{endpoint}", _not_found)
        for endpoint in UNUSED_ENDPOINTS
    ] + [path("_allauth/openapi.yaml", _not_found)]  # the JSON one is ours


def retry_after(endpoint: str) -> int:
    """Seconds until a refused client may try again: at most the longest window
    of the endpoint's rates (the oldest counted attempt has left it by then)."""
    actions = RATE_LIMITED.get(endpoint) or tuple(account_settings.RATE_LIMITS)
    durations = [
        rate.duration
        for action in actions
        for rate in parse_rates(account_settings.RATE_LIMITS.get(action))
    ]
    return int(max(durations, default=60))


def specification(schema: dict) -> dict:
    """allauth's specification without the unused endpoints, with the 429 (and
    its Retry-After) on every rate-limited operation."""
    schema["paths"] = {
        url: item
        for url, item in schema["paths"].items()
        if url.removeprefix(PREFIX) not in UNUSED_ENDPOINTS
    }
    too_many = schema["components"]["responses"]["TooManyRequests"]
    too_many["headers"] = {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer"},
        }
    }
    for url, item in schema["paths"].items():
        endpoint = url.removeprefix(PREFIX)
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation["responses"]
            if endpoint in RATE_LIMITED and method != "get":
                responses.setdefault("429", _response("TooManyRequests"))
            if SESSION_TOKEN in operation.get("parameters", []):
                # allauth answers an unknown or expired X-Session-Token with 410
                # on every operation that reads it, not only on GET auth/session;
                # and one that needs a signed-in user says 401 without one.
                responses.setdefault("410", _response("SessionGone"))
                if endpoint.startswith(SIGNED_IN_ONLY):
                    responses.setdefault("401", _response("Unauthenticated"))
                    if responses["401"] == _response("ReauthenticationRequired"):
                        # Signed out, allauth asks to log in, not to log in again.
                        responses["401"] = _response(EITHER_401)
    schema["components"]["responses"][EITHER_401] = {
        "description": "Not signed in, or asked to authenticate again.",
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/AuthenticationResponse"},
                        {"$ref": "#/components/schemas/ReauthenticationResponse"},
                    ]
                }
            }
        },
    }
    return schema


EITHER_401 = "UnauthenticatedOrReauthenticationRequired"


def _response(name: str) -> dict:
    return {"$ref": f"#/components/responses/{name}"}


class HeadlessSpecMiddleware:
    """Keeps allauth's headless answers inside its specification (see above)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(PREFIX):
            return response
        endpoint = request.path.removeprefix(PREFIX)
        status = response.status_code
        is_json = response.get("Content-Type", "").startswith("application/json")
        if status == HTTPStatus.BAD_REQUEST and not is_json:
            # allauth's answer to a body that is not a JSON object.
            return JsonResponse(
                {
                    "status": HTTPStatus.BAD_REQUEST,
                    "errors": [
                        {
                            "code": "invalid",
                            "message": "The body must be a JSON object.",
                        }
                    ],
                },
                status=HTTPStatus.BAD_REQUEST,
            )
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            response["Retry-After"] = str(retry_after(endpoint))
        if status in (HTTPStatus.GONE, HTTPStatus.UNAUTHORIZED) and is_json:
            body = json.loads(response.content)
            meta = body.get("meta") or {}
            if "is_authenticated" not in meta or meta["is_authenticated"] is not None:
                return response
            # Nobody is signed in by this session (gone, or half way through the
            # second factor): false, as the specification says, never null.
            meta["is_authenticated"] = False
            if status == HTTPStatus.GONE and (
                request.method == "DELETE" and endpoint == "auth/session"
            ):
                # Logging out of a session already gone: logged out, as promised.
                status = body["status"] = HTTPStatus.UNAUTHORIZED
            return JsonResponse(body, status=status)
        return response

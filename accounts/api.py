"""The API's /me/ endpoints (the signed-in user's profile and avatar), and the
helpers every app's `api.py` uses to validate with the pages' own forms."""

from http import HTTPStatus

from django import forms
from django.db import transaction
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.generics import RetrieveUpdateAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .forms import ProfileForm
from .models import Role, User
from .timezones import canonical


def form_errors(form: forms.BaseForm) -> exceptions.ValidationError:
    """The form's errors as the API's 400: each message with its code, per field
    ("non_field_errors" for the form's own). Lets API views validate with the very
    form the page uses, so a rule lives in one place."""
    detail = {}
    for name, errors in form.errors.as_data().items():
        key = "non_field_errors" if name == forms.forms.NON_FIELD_ERRORS else name
        detail[key] = [
            exceptions.ErrorDetail(message, code=error.code or "invalid")
            for error in errors
            for message in error.messages
        ]
    return exceptions.ValidationError(detail)


class Conflict(exceptions.APIException):
    """409: the current state refuses the request (a slot just taken, a transition
    the lifecycle does not allow), not its input. Views that raise it list the
    method in `conflict_methods` so the schema documents the 409."""

    status_code = HTTPStatus.CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


def validated(form: forms.BaseForm) -> forms.BaseForm:
    """The form, once valid; else raise its errors as the API's 400."""
    if not form.is_valid():
        raise form_errors(form)
    return form


def check_choices(params, allowed: dict[str, list[str]]) -> None:
    """Raise the API's 400 if a query parameter in `allowed` has a value not among
    its allowed ones (an empty value means "not given"). A client's typo must not
    silently widen what it asked for, as ignoring it would."""
    refuse_unknown(
        params,
        [
            name
            for name, values in allowed.items()
            if params.get(name) not in ("", None, *values)
        ],
        allowed,
    )


def refuse_unknown(params, names: list[str], allowed: dict[str, list[str]]) -> None:
    """The API's 400 for the query parameters `names`, each error naming its
    parameter (`attr`) and listing the values it allows."""
    if names:
        raise exceptions.ValidationError(
            {
                name: [
                    exceptions.ErrorDetail(
                        f"Unknown value “{params.get(name)}”. "
                        f"Allowed: {', '.join(map(str, allowed[name]))}.",
                        code="invalid_choice",
                    )
                ]
                for name in names
            }
        )


def page_example(name: str, result: dict) -> OpenApiExample:
    """An example answer of a paginated list, given as one of its results:
    drf-spectacular wraps it in the page itself (count, next, previous, results),
    so wrapping it here too would document a page of pages."""
    return OpenApiExample(name, value=result, response_only=True)


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 63,
        "example": "Europe/Berlin",
        "description": "An IANA time zone name, e.g. Europe/Berlin.",
    }
)
class TimezoneField(serializers.CharField):
    """An IANA time zone name, documented as a string: the ~400 listed names as
    an enum broke client generators, and the forms check the name anyway (the
    short list of `accounts.timezones`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 63)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        """An old alias (US/Eastern, Asia/Calcutta) is stored as the zone it stands
        for; anything else goes on to the form, which says what is wrong."""
        name = super().to_internal_value(data)
        return canonical(name) or name


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    avatar = serializers.ImageField(read_only=True)
    avatar_thumbnail = serializers.ImageField(read_only=True)
    timezone = TimezoneField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "phone",
            "date_of_birth",
            "timezone",
            "avatar",
            "avatar_thumbnail",
            "roles",
            "date_joined",
        ]
        read_only_fields = ["id", "email", "date_joined"]
        extra_kwargs = {"full_name": {"allow_blank": False}}

    def get_roles(self, user: User) -> list[str]:
        """The user's roles: "patient", "doctor", "staff"."""
        names = {Role.PATIENT: "patient", Role.DOCTOR: "doctor", Role.STAFF: "staff"}
        return [names[role] for role in Role if user.has_role(role)]


ME_EXAMPLE = OpenApiExample(
    "A patient",
    value={
        "id": 42,
        "email": "maria.garcia@example.com",
        "full_name": "Maria Garcia",
        "phone": "+34 600 000 000",
        "date_of_birth": "1988-04-12",
        "timezone": "Europe/Madrid",
        "avatar": None,
        "avatar_thumbnail": None,
        "roles": ["patient"],
        "date_joined": "2026-03-01T09:30:00+00:00",
    },
    response_only=True,
)


class ProfileInputSerializer(serializers.Serializer):
    """The body of a profile change; the rules are the profile page's form's."""

    full_name = serializers.CharField(max_length=150)
    phone = serializers.CharField(max_length=32, allow_blank=True, required=False)
    date_of_birth = serializers.DateField(allow_null=True, required=False)
    timezone = TimezoneField()


class AvatarInputSerializer(serializers.Serializer):
    avatar = serializers.FileField(
        help_text="JPEG, PNG or WebP, up to 5 MB and 4000×4000 pixels."
    )


def _current_profile(user: User) -> dict:
    return {name: getattr(user, name) for name in ProfileForm.Meta.fields}


@extend_schema(tags=["me"])
class MeView(RetrieveUpdateAPIView):
    """The signed-in user's own profile."""

    rate_action = "profile"  # shared with its page (accounts.limits)

    serializer_class = MeSerializer

    def get_object(self) -> User:
        return User.objects.prefetch_related("groups").get(pk=self.request.user.pk)

    def update(self, request: Request, *args, **kwargs) -> Response:
        partial = kwargs.get("partial", False)
        body = ProfileInputSerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        user = self.get_object()
        data = {**_current_profile(user), **body.validated_data}
        form = validated(ProfileForm(data=data, instance=user))
        with transaction.atomic():
            form.save()
        return Response(MeSerializer(user, context={"request": request}).data)

    @extend_schema(summary="My profile", examples=[ME_EXAMPLE])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Replace my profile",
        request=ProfileInputSerializer,
        examples=[
            ME_EXAMPLE,
            OpenApiExample(
                "New details",
                value={
                    "full_name": "Maria Garcia",
                    "phone": "+34 600 000 000",
                    "date_of_birth": "1988-04-12",
                    "timezone": "Europe/Madrid",
                },
                request_only=True,
            ),
        ],
    )
    def put(self, request, *args, **kwargs):
        return super().put(request, *args, **kwargs)

    @extend_schema(
        summary="Change some of my profile",
        request=ProfileInputSerializer,
        examples=[
            ME_EXAMPLE,
            OpenApiExample(
                "Move to Tokyo", value={"timezone": "Asia/Tokyo"}, request_only=True
            ),
        ],
    )
    def patch(self, request, *args, **kwargs):
        return super().patch(request, *args, **kwargs)


@extend_schema(tags=["me"])
class AvatarView(APIView):
    """Upload or remove my profile picture: the profile page's checks (real
    JPEG/PNG/WebP, size and pixel limits), re-encoded with a thumbnail."""

    rate_action = "profile"  # shared with its page (accounts.limits)

    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Upload my profile picture",
        request=AvatarInputSerializer,
        responses={200: MeSerializer},
        examples=[ME_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        user = User.objects.prefetch_related("groups").get(pk=request.user.pk)
        files = {"avatar": request.FILES["avatar"]} if "avatar" in request.FILES else {}
        if not files:
            raise exceptions.ValidationError(
                {"avatar": [exceptions.ErrorDetail("No file was sent.", "required")]}
            )
        form = validated(
            ProfileForm(data=_current_profile(user), files=files, instance=user)
        )
        with transaction.atomic():
            form.save()
        return Response(MeSerializer(user, context={"request": request}).data)

    @extend_schema(summary="Remove my profile picture", responses={204: None})
    def delete(self, request: Request) -> Response:
        services.remove_avatar(user=request.user)
        return Response(status=HTTPStatus.NO_CONTENT)

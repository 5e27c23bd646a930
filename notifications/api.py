"""The API's notification endpoints: the inbox, the unread count, marking read, and
my email preferences. (notifications imports no other app: nothing from accounts.)"""

from http import HTTPStatus

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import check_choices, page_example
from accounts.caching import Conditional

from . import services
from .forms import EmailPreferencesForm, OptOutForm
from .models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "link", "is_read", "read_at", "created_at"]

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


NOTIFICATION_EXAMPLE = {
    "id": 12,
    "kind": "appointment_confirmed",
    "message": "Your appointment with Dr Ada Lee on Thu 3 Dec, 09:30 is confirmed.",
    "link": "/appointments/77/",
    "is_read": False,
    "read_at": None,
    "created_at": "2026-12-01T10:05:00Z",
}


@extend_schema(tags=["notifications"])
class NotificationListView(Conditional, ListAPIView):
    """My notifications, newest first (another person's are never listed)."""

    serializer_class = NotificationSerializer
    validates_query = True
    FILTERS = {"unread": ["true", "false", "1", "0"]}

    def get_queryset(self):
        check_choices(self.request.query_params, self.FILTERS)
        queryset = Notification.objects.for_user(self.request.user)
        if self.request.query_params.get("unread") in {"1", "true"}:
            queryset = queryset.unread()
        return queryset.order_by("-created_at", "-id")

    @extend_schema(
        summary="My notifications",
        parameters=[
            OpenApiParameter(
                "unread",
                str,
                enum=FILTERS["unread"],
                description="true: only the unread ones.",
            )
        ],
        examples=[
            page_example(
                "One page",
                NOTIFICATION_EXAMPLE,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


CountSerializer = inline_serializer(
    "UnreadCount", {"unread": serializers.IntegerField()}
)


@extend_schema(tags=["notifications"])
class UnreadCountView(APIView):
    @extend_schema(
        summary="How many of my notifications are unread",
        responses={200: CountSerializer},
        examples=[OpenApiExample("Three", value={"unread": 3})],
    )
    def get(self, request: Request) -> Response:
        count = Notification.objects.for_user(request.user).unread().count()
        return Response({"unread": count})


@extend_schema(tags=["notifications"])
class MarkReadView(APIView):
    rate_action = "notification_open"  # shared with its page (accounts.limits)

    @extend_schema(
        summary="Mark one notification read",
        request=None,
        responses={200: NotificationSerializer},
        examples=[
            OpenApiExample(
                "Read",
                value={
                    **NOTIFICATION_EXAMPLE,
                    "is_read": True,
                    "read_at": "2026-12-01T11:00:00Z",
                },
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        notification = get_object_or_404(
            Notification.objects.for_user(request.user), pk=pk
        )
        services.mark_read(notification=notification)
        notification.refresh_from_db(fields=["read_at"])
        return Response(NotificationSerializer(notification).data)


MarkedSerializer = inline_serializer(
    "MarkedRead", {"marked": serializers.IntegerField()}
)


@extend_schema(tags=["notifications"])
class MarkAllReadView(APIView):
    rate_action = "notifications_read_all"  # shared with its page (accounts.limits)

    @extend_schema(
        summary="Mark all my notifications read",
        request=None,
        responses={200: MarkedSerializer},
        examples=[OpenApiExample("Three marked", value={"marked": 3})],
    )
    def post(self, request: Request) -> Response:
        return Response({"marked": services.mark_all_read(user=request.user)})


# One optional on/off per kind that can email (built from the kinds, like the form).
EmailPreferencesSerializer = type(
    "EmailPreferencesSerializer",
    (serializers.Serializer,),
    {
        kind.value: serializers.BooleanField(required=False, help_text=str(kind.label))
        for kind in services.EMAIL_KINDS
    },
)


class SwitchesView(APIView):
    """One on/off per kind, read from and saved through the settings page's form
    and service; kinds left out of a PATCH keep their setting."""

    rate_action = "notification_settings"  # shared with its page (accounts.limits)
    form_class: type = None
    serializer_class: type = None
    # The settings page's service: save(user=, enabled={kind: bool}).
    save = None

    def current(self, user) -> dict:
        form = self.form_class(user=user)
        return {name: bool(field.initial) for name, field in form.fields.items()}

    def get(self, request: Request) -> Response:
        return Response(self.current(request.user))

    def patch(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"non_field_errors": ["Send an object."]})
        body = self.serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        self.save(user=request.user, enabled=body.validated_data)
        return Response(self.current(request.user), status=HTTPStatus.OK)


@extend_schema(tags=["me"])
class EmailPreferencesView(SwitchesView):
    """Which notifications also come by email (in-app is always on). Kinds left
    out of a PATCH keep their setting."""

    form_class = EmailPreferencesForm
    serializer_class = EmailPreferencesSerializer

    save = staticmethod(services.save_email_preferences)

    @extend_schema(
        summary="My email preferences",
        responses={200: EmailPreferencesSerializer},
        examples=[
            OpenApiExample(
                "Reminders off",
                value={
                    kind.value: kind != Notification.Kind.APPOINTMENT_REMINDER
                    for kind in services.EMAIL_KINDS
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        summary="Change my email preferences",
        request=EmailPreferencesSerializer,
        responses={200: EmailPreferencesSerializer},
        examples=[
            OpenApiExample(
                "No reminders", value={"appointment_reminder": False}, request_only=True
            )
        ],
    )
    def patch(self, request: Request) -> Response:
        return super().patch(request)


# One on/off per kind a person may switch off altogether (inbox and email).
NotificationsOnSerializer = type(
    "NotificationsOnSerializer",
    (serializers.Serializer,),
    {
        kind.value: serializers.BooleanField(required=False, help_text=str(kind.label))
        for kind in services.OPTIONAL_KINDS
    },
)


@extend_schema(tags=["me"])
class NotificationsOnView(SwitchesView):
    """Kinds of notification I may turn off altogether, in the inbox and by email
    (reminders before a visit): the settings page's "Remind me before my visits".
    Kinds left out of a PATCH keep their setting."""

    form_class = OptOutForm
    serializer_class = NotificationsOnSerializer

    save = staticmethod(services.save_opt_outs)

    @extend_schema(
        summary="Notifications I receive at all",
        responses={200: NotificationsOnSerializer},
        examples=[OpenApiExample("Reminders on", value={"appointment_reminder": True})],
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        summary="Turn kinds of notification on or off",
        request=NotificationsOnSerializer,
        responses={200: NotificationsOnSerializer},
        examples=[
            OpenApiExample(
                "No reminders", value={"appointment_reminder": False}, request_only=True
            )
        ],
    )
    def patch(self, request: Request) -> Response:
        return super().patch(request)

"""The API's /me/ endpoints: the signed-in user's profile and avatar."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.generics import RetrieveUpdateAPIView

from .models import Role, User


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    avatar = serializers.ImageField(read_only=True)
    avatar_thumbnail = serializers.ImageField(read_only=True)

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


@extend_schema(tags=["me"])
class MeView(RetrieveUpdateAPIView):
    """The signed-in user's own profile."""

    serializer_class = MeSerializer

    def get_object(self) -> User:
        return User.objects.prefetch_related("groups").get(pk=self.request.user.pk)

    @extend_schema(summary="My profile", examples=[ME_EXAMPLE])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Replace my profile",
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
        examples=[
            ME_EXAMPLE,
            OpenApiExample(
                "Move to Tokyo", value={"timezone": "Asia/Tokyo"}, request_only=True
            ),
        ],
    )
    def patch(self, request, *args, **kwargs):
        return super().patch(request, *args, **kwargs)

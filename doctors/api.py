"""The API's doctor endpoints: the directory (the page's own DoctorFilter), a
doctor's profile, follow/unfollow, and a user's doctor application."""

from http import HTTPStatus

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, permissions, serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import TimezoneField, page_example, refuse_unknown, validated
from accounts.caching import Conditional

from . import services
from .filters import AVAILABLE_WITHIN_CHOICES, SORT_CHOICES, DoctorFilter
from .forms import ApplicationForm
from .models import DoctorProfile, Language, Specialization

DoctorStatus = DoctorProfile.Status


class SpecializationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Specialization
        fields = ["slug", "name"]


class LanguageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Language
        fields = ["slug", "name"]


class DoctorSerializer(serializers.ModelSerializer):
    """A doctor as the directory lists them."""

    name = serializers.CharField(source="user.full_name", read_only=True)
    avatar_thumbnail = serializers.ImageField(
        source="user.avatar_thumbnail", read_only=True
    )
    specialization = SpecializationSerializer(read_only=True)
    currency = serializers.SerializerMethodField()
    next_available = serializers.DateTimeField(read_only=True, allow_null=True)
    is_followed = serializers.BooleanField(read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = DoctorProfile
        fields = [
            "slug",
            "name",
            "avatar_thumbnail",
            "specialization",
            "city",
            "clinic_name",
            "years_of_experience",
            "consultation_fee",
            "currency",
            "followers_count",
            "rating_avg",
            "rating_count",
            "next_available",
            "is_followed",
            "url",
        ]

    def get_currency(self, doctor: DoctorProfile) -> str:
        return settings.CLINIC_CURRENCY

    def get_url(self, doctor: DoctorProfile) -> str:
        """The doctor's public page."""
        return doctor.get_absolute_url()


class DoctorDetailSerializer(DoctorSerializer):
    """A doctor's whole public profile."""

    languages = LanguageSerializer(many=True, read_only=True)
    next_available = None
    avatar = serializers.ImageField(source="user.avatar", read_only=True)
    timezone = TimezoneField(read_only=True)

    class Meta(DoctorSerializer.Meta):
        fields = [
            *(f for f in DoctorSerializer.Meta.fields if f != "next_available"),
            "avatar",
            "bio",
            "qualifications",
            "languages",
            "address",
            "timezone",
            "slot_minutes",
        ]


DOCTOR_EXAMPLE = {
    "slug": "ada-lee",
    "name": "Ada Lee",
    "avatar_thumbnail": None,
    "specialization": {"slug": "cardiology", "name": "Cardiology"},
    "city": "Berlin",
    "clinic_name": "Herzpraxis Mitte",
    "years_of_experience": 12,
    "consultation_fee": "80.00",
    "currency": "EUR",
    "followers_count": 31,
    "rating_avg": "4.60",
    "rating_count": 15,
    "next_available": "2026-12-03T09:30:00+01:00",
    "is_followed": False,
    "url": "/doctors/ada-lee/",
}

DIRECTORY_PARAMETERS = [
    OpenApiParameter(
        "q",
        str,
        description="Words matched in name, specialty, "
        "clinic or city (all must match).",
    ),
    OpenApiParameter("specialization", str, description="A specialization's slug."),
    OpenApiParameter("city", str, description="A city, as listed."),
    OpenApiParameter("language", str, description="A language's slug."),
    OpenApiParameter(
        "available_within",
        str,
        enum=[value for value, _label in AVAILABLE_WITHIN_CHOICES],
        description="Has a bookable slot within this many days.",
    ),
    OpenApiParameter(
        "sort",
        str,
        enum=[value for value, _label in SORT_CHOICES],
        description="Order (default: popular). Ties break on id: pages never "
        "repeat or skip a doctor.",
    ),
]


@extend_schema(tags=["doctors"])
class DoctorListView(Conditional, ListAPIView):
    """The directory: the same search, filters, sort and pagination as /doctors/
    (one DoctorFilter for both). An unknown sort or filter value is a 400 naming
    the parameter and its allowed values (the page ignores it)."""

    serializer_class = DoctorSerializer
    permission_classes = [permissions.AllowAny]
    validates_query = True

    def get_queryset(self):
        params = self.request.query_params
        directory = DoctorFilter(params, request=self.request)
        refuse_unknown(params, directory.unknown(), directory.choices())
        return directory.qs

    @extend_schema(
        summary="Find doctors",
        parameters=DIRECTORY_PARAMETERS,
        examples=[
            page_example(
                "One page",
                DOCTOR_EXAMPLE,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def visible_doctor(request: Request, slug: str) -> DoctorProfile:
    """The doctor `request.user` may see (approved, or their own), else 404."""
    return get_object_or_404(
        DoctorProfile.objects.visible_to(request.user)
        .with_follow_state(request.user)
        .select_related("user", "specialization")
        .prefetch_related("languages"),
        slug=slug,
    )


@extend_schema(tags=["doctors"])
class DoctorDetailView(Conditional, RetrieveAPIView):
    serializer_class = DoctorDetailSerializer
    permission_classes = [permissions.AllowAny]

    def get_object(self) -> DoctorProfile:
        return visible_doctor(self.request, self.kwargs["slug"])

    @extend_schema(
        summary="A doctor's profile",
        examples=[
            OpenApiExample(
                "A cardiologist",
                value={
                    **{
                        k: v for k, v in DOCTOR_EXAMPLE.items() if k != "next_available"
                    },
                    "avatar": None,
                    "bio": "Heart health for all ages.",
                    "qualifications": "MD, Charité Berlin",
                    "languages": [{"slug": "english", "name": "English"}],
                    "address": "Invalidenstraße 1",
                    "timezone": "Europe/Berlin",
                    "slot_minutes": 30,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


FollowSerializer = inline_serializer(
    "Follow",
    {
        "following": serializers.BooleanField(),
        "followers_count": serializers.IntegerField(),
    },
)


@extend_schema(tags=["doctors"])
class FollowView(APIView):
    """Follow (POST) or unfollow (DELETE) an approved doctor. Both are idempotent."""

    rate_action = "follow"  # shared with its page (accounts.limits)

    forbidden_methods = ("POST",)

    @extend_schema(
        summary="Follow a doctor",
        request=None,
        responses={201: FollowSerializer, 200: FollowSerializer},
        description="201 when you start following, 200 when you already did. "
        "403 for your own profile.",
        examples=[
            OpenApiExample(
                "Following", value={"following": True, "followers_count": 32}
            )
        ],
    )
    def post(self, request: Request, slug: str) -> Response:
        doctor = visible_doctor(request, slug)
        created = services.follow(patient=request.user, doctor=doctor)
        doctor.refresh_from_db(fields=["followers_count"])
        return Response(
            {"following": True, "followers_count": doctor.followers_count},
            status=HTTPStatus.CREATED if created else HTTPStatus.OK,
        )

    @extend_schema(
        summary="Unfollow a doctor",
        request=None,
        responses={200: FollowSerializer},
        examples=[
            OpenApiExample(
                "Not following", value={"following": False, "followers_count": 31}
            )
        ],
    )
    def delete(self, request: Request, slug: str) -> Response:
        doctor = visible_doctor(request, slug)
        services.unfollow(patient=request.user, doctor=doctor)
        doctor.refresh_from_db(fields=["followers_count"])
        return Response({"following": False, "followers_count": doctor.followers_count})


# --- My doctor application ----------------------------------------------------


class ApplicationSerializer(serializers.ModelSerializer):
    specialization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    languages = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )
    timezone = TimezoneField(read_only=True)

    class Meta:
        model = DoctorProfile
        fields = [
            "slug",
            "status",
            "rejection_reason",
            "reviewed_at",
            "created_at",
            "specialization",
            "license_number",
            "bio",
            "qualifications",
            "years_of_experience",
            "languages",
            "clinic_name",
            "address",
            "city",
            "consultation_fee",
            "timezone",
        ]
        read_only_fields = fields


class ApplicationInputSerializer(serializers.Serializer):
    """The application page's fields; its form's rules decide."""

    specialization = serializers.SlugField(help_text="A specialization's slug.")
    license_number = serializers.CharField(max_length=50)
    bio = serializers.CharField(max_length=3000)
    qualifications = serializers.CharField(max_length=2000)
    years_of_experience = serializers.IntegerField(min_value=0, max_value=70)
    languages = serializers.ListField(
        child=serializers.SlugField(), help_text="Language slugs.", allow_empty=False
    )
    clinic_name = serializers.CharField(max_length=150)
    address = serializers.CharField(max_length=255)
    city = serializers.CharField(max_length=100)
    consultation_fee = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=0
    )
    timezone = TimezoneField()


APPLICATION_EXAMPLE = {
    "specialization": "cardiology",
    "license_number": "BER-12345",
    "bio": "Heart health for all ages.",
    "qualifications": "MD, Charité Berlin",
    "years_of_experience": 12,
    "languages": ["english", "german"],
    "clinic_name": "Herzpraxis Mitte",
    "address": "Invalidenstraße 1",
    "city": "Berlin",
    "consultation_fee": "80.00",
    "timezone": "Europe/Berlin",
}


@extend_schema(tags=["doctor application"])
class ApplicationView(APIView):
    """Apply to be listed as a doctor (POST), and follow the application (GET)."""

    rate_action = "doctor_application"  # shared with its page (accounts.limits)

    conflict_methods = ("POST",)

    @extend_schema(
        summary="My doctor application",
        responses={200: ApplicationSerializer},
        examples=[
            OpenApiExample(
                "Pending",
                value={
                    **APPLICATION_EXAMPLE,
                    "slug": "ada-lee",
                    "status": "pending",
                    "rejection_reason": "",
                    "reviewed_at": None,
                    "created_at": "2026-11-20T10:00:00Z",
                    "license_number": "BER-12345",
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        profile = get_object_or_404(
            DoctorProfile.objects.select_related("specialization").prefetch_related(
                "languages"
            ),
            user=request.user,
        )
        return Response(ApplicationSerializer(profile).data)

    @extend_schema(
        summary="Apply to be a doctor",
        request=ApplicationInputSerializer,
        responses={201: ApplicationSerializer},
        description="Staff review it; you are notified of the decision. A rejected "
        "application may be sent again; 409 while one is pending or approved.",
        examples=[
            OpenApiExample(
                "An application", value=APPLICATION_EXAMPLE, request_only=True
            )
        ],
    )
    def post(self, request: Request) -> Response:
        body = ApplicationInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        # The form takes ids; the API speaks slugs. Unknown ones are the field's 400.
        specialization = Specialization.objects.filter(
            slug=data["specialization"]
        ).first()
        languages = dict(
            Language.objects.filter(slug__in=data["languages"]).values_list(
                "slug", "pk"
            )
        )
        unknown = sorted(set(data["languages"]) - set(languages))
        errors = {}
        if specialization is None:
            errors["specialization"] = ["Unknown specialization."]
        if unknown:
            errors["languages"] = [f"Unknown language: {', '.join(unknown)}."]
        if errors:
            raise exceptions.ValidationError(errors, code="invalid_choice")
        data["specialization"] = specialization.pk
        data["languages"] = list(languages.values())
        form = validated(ApplicationForm(data=data))
        profile = services.apply(user=request.user, **form.cleaned_data)
        return Response(ApplicationSerializer(profile).data, status=HTTPStatus.CREATED)

"""The API's review endpoints: a doctor's visible reviews with the aggregates, and
posting, editing, deleting and replying through `reviews.services`, validated by
the pages' forms."""

from http import HTTPStatus

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, permissions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import check_choices, validated
from accounts.caching import Conditional
from doctors.api import visible_doctor
from doctors.models import DoctorProfile

from . import selectors, services
from .forms import ReplyForm, ReviewForm
from .models import Review, ReviewQuerySet


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$"})
class MonthField(serializers.DateField):
    """A date shown as its year and month only, e.g. "2026-11"."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class ReviewSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="patient.public_name")
    visit_month = MonthField(
        read_only=True, help_text="The month of the visit; never its day or time."
    )
    doctor = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "doctor",
            "rating",
            "comment",
            "author",
            "visit_month",
            "reply",
            "replied_at",
            "is_hidden",
            "created_at",
            "updated_at",
        ]


class ShareSerializer(serializers.Serializer):
    stars = serializers.IntegerField()
    count = serializers.IntegerField()
    percent = serializers.IntegerField()


class DoctorReviewsSerializer(serializers.Serializer):
    rating_avg = serializers.DecimalField(max_digits=3, decimal_places=2)
    rating_count = serializers.IntegerField()
    distribution = ShareSerializer(many=True)
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ReviewSerializer(many=True)


REVIEW_EXAMPLE = {
    "id": 5,
    "doctor": "ada-lee",
    "rating": 5,
    "comment": "Took the time to explain everything.",
    "author": "Maria G.",
    "visit_month": "2026-11",
    "reply": "",
    "replied_at": None,
    "is_hidden": False,
    "created_at": "2026-11-04T18:00:00Z",
    "updated_at": "2026-11-04T18:00:00Z",
}


@extend_schema(tags=["doctors"])
class DoctorReviewsView(Conditional, APIView):
    """A doctor's visible reviews (hidden ones are left out and not counted), with
    the rating average, count and the 5-to-1 star distribution."""

    permission_classes = [permissions.AllowAny]
    validates_query = True
    FILTERS = {"sort": list(ReviewQuerySet.SORTS)}

    @extend_schema(
        summary="A doctor's reviews and rating",
        parameters=[
            OpenApiParameter("sort", str, enum=FILTERS["sort"]),
            OpenApiParameter("page", int),
        ],
        responses={200: DoctorReviewsSerializer},
        examples=[
            OpenApiExample(
                "One review",
                value={
                    "rating_avg": "5.00",
                    "rating_count": 1,
                    "distribution": [
                        {"stars": s, "count": int(s == 5), "percent": 100 * (s == 5)}
                        for s in range(5, 0, -1)
                    ],
                    "count": 1,
                    "next": None,
                    "previous": None,
                    "results": [REVIEW_EXAMPLE],
                },
            )
        ],
    )
    def get(self, request: Request, slug: str) -> Response:
        check_choices(request.query_params, self.FILTERS)
        doctor = visible_doctor(request, slug)
        reviews = (
            Review.objects.visible()
            .filter(doctor=doctor)
            .with_people()
            .sorted_by(request.query_params.get("sort", "newest"))
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(reviews, request, view=self)
        return Response(
            {
                "rating_avg": f"{doctor.rating_avg:.2f}",
                "rating_count": doctor.rating_count,
                "distribution": ShareSerializer(
                    selectors.rating_distribution(doctor=doctor), many=True
                ).data,
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": ReviewSerializer(page, many=True).data,
            }
        )


class ReviewInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(help_text="1 to 5 stars.")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)


def review_form(request: Request, *, partial_of: Review | None = None) -> ReviewForm:
    body = ReviewInputSerializer(data=request.data, partial=partial_of is not None)
    body.is_valid(raise_exception=True)
    data = {"comment": ""}
    if partial_of is not None:
        data = {"rating": partial_of.rating, "comment": partial_of.comment}
    return validated(ReviewForm(data={**data, **body.validated_data}))


REVIEW_INPUT_EXAMPLE = OpenApiExample(
    "Five stars",
    value={"rating": 5, "comment": "Took the time to explain everything."},
    request_only=True,
)


@extend_schema(tags=["reviews"])
class AppointmentReviewView(APIView):
    """Review one of my completed visits, once."""

    rate_action = "review_post"  # shared with its page (accounts.limits)

    conflict_methods = ("POST",)

    @extend_schema(
        summary="Review my completed visit",
        request=ReviewInputSerializer,
        responses={201: ReviewSerializer},
        description="404 for someone else's appointment; 409 when the visit is not "
        "completed yet or already reviewed.",
        examples=[
            REVIEW_INPUT_EXAMPLE,
            OpenApiExample("Posted", value=REVIEW_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        form = review_form(request)
        review = services.create(
            patient=request.user, appointment_id=pk, **form.cleaned_data
        )
        review = Review.objects.with_people().get(pk=review.pk)
        return Response(ReviewSerializer(review).data, status=HTTPStatus.CREATED)


@extend_schema(tags=["reviews"])
class ReviewView(APIView):
    """My own review: change it (for 30 days) or delete it (any time)."""

    rate_action = "review_change"  # shared with its page (accounts.limits)

    conflict_methods = ("PATCH",)

    @extend_schema(
        summary="Edit my review",
        request=ReviewInputSerializer,
        responses={200: ReviewSerializer},
        description="409 once the 30 days to edit are over.",
        examples=[
            REVIEW_INPUT_EXAMPLE,
            OpenApiExample("Edited", value=REVIEW_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request: Request, pk: int) -> Response:
        review = get_object_or_404(Review.objects.by(request.user), pk=pk)
        form = review_form(request, partial_of=review)
        services.edit(author=request.user, review_id=review.pk, **form.cleaned_data)
        review = Review.objects.with_people().get(pk=review.pk)
        return Response(ReviewSerializer(review).data)

    @extend_schema(summary="Delete my review", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.delete(author=request.user, review_id=pk)
        return Response(status=HTTPStatus.NO_CONTENT)


class ReplyInputSerializer(serializers.Serializer):
    reply = serializers.CharField(max_length=4000)


@extend_schema(tags=["reviews"])
class ReplyView(APIView):
    """The reviewed doctor's one public reply (posting again edits it)."""

    rate_action = "review_change"  # shared with its page (accounts.limits)

    forbidden_methods = ("PUT",)

    @extend_schema(
        summary="Reply to a review of me (doctor)",
        request=ReplyInputSerializer,
        responses={200: ReviewSerializer},
        examples=[
            OpenApiExample(
                "Thanks",
                value={"reply": "Thank you, see you next time."},
                request_only=True,
            ),
            OpenApiExample(
                "Replied",
                value={
                    **REVIEW_EXAMPLE,
                    "reply": "Thank you, see you next time.",
                    "replied_at": "2026-11-05T08:00:00Z",
                },
                response_only=True,
            ),
        ],
    )
    def put(self, request: Request, pk: int) -> Response:
        if not DoctorProfile.objects.approved_of(request.user).exists():
            raise exceptions.PermissionDenied("Only doctors can reply to reviews.")
        review = get_object_or_404(
            Review.objects.visible().of_doctor_user(request.user), pk=pk
        )
        body = ReplyInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        form = validated(ReplyForm(data=body.validated_data))
        services.reply(
            doctor_user=request.user,
            review_id=review.pk,
            text=form.cleaned_data["reply"],
        )
        review = Review.objects.with_people().get(pk=review.pk)
        return Response(ReviewSerializer(review).data)

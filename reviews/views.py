from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from accounts import limits
from accounts.web import redirect_after_post, refuse, template_for
from appointments.models import Appointment
from doctors import cache as fragments
from doctors.models import DoctorProfile

from . import selectors, services
from .forms import ReplyForm, ReviewForm
from .models import Review, ReviewQuerySet

PER_PAGE = 10
PANEL_TEMPLATES = (
    "reviews/_reviews_panel.html",
    "reviews/_review_card.html",
    "reviews/_stars.html",
)
PANEL_PAGE_TEMPLATES = (
    *PANEL_TEMPLATES,
    "reviews/doctor_reviews.html",
    "base.html",
    "includes/_navbar.html",
    "includes/_breadcrumbs.html",
)
# Posting reviews: a patient has few visits to review, so a low limit costs nobody.
POST_RATE = "10/h"
CHANGE_RATE = "30/h"


def _doctor_reviews_url(doctor: DoctorProfile) -> str:
    return reverse("reviews:doctor_reviews", args=[doctor.slug])


@login_required
@limits.limit("review_post")
def create(request: HttpRequest, pk: int) -> HttpResponse:
    """Write a review of one of the user's own completed visits."""
    appointment = get_object_or_404(
        Appointment.objects.filter(patient=request.user).select_related(
            "doctor__user", "doctor__specialization"
        ),
        pk=pk,
    )
    form = ReviewForm(request.POST or None)
    status = HTTPStatus.OK
    refusal = services.refusal_for(appointment)
    existing = Review.objects.filter(appointment=appointment).first()
    if existing and request.method == "GET":
        # "Write a review" links on past visits lead here: show the review instead.
        messages.info(request, refusal)
        return redirect(existing.get_absolute_url())
    if refusal:
        status = services.NotReviewable.status
    elif request.method == "POST" and form.is_valid():
        try:
            review = services.create(
                patient=request.user,
                appointment_id=appointment.pk,
                **form.cleaned_data,
            )
        except services.ReviewError as error:
            status = refuse(request, error, form)
        else:
            messages.success(request, _("Thank you: your review is published."))
            return redirect_after_post(
                request, f"{_doctor_reviews_url(appointment.doctor)}#review-{review.pk}"
            )
    elif request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
    doctor = appointment.doctor
    context = {
        "form": form,
        "appointment": appointment,
        "doctor": doctor,
        "refusal": refusal,
        "breadcrumbs": [
            (_("My reviews"), reverse("reviews:mine")),
            (_("Review your visit"), ""),
        ],
    }
    return render(request, "reviews/review_form.html", context, status=status)


def _own_review(request: HttpRequest, pk: int) -> Review:
    return get_object_or_404(
        Review.objects.by(request.user).select_related(
            "appointment", "doctor__user", "doctor__specialization"
        ),
        pk=pk,
    )


@login_required
@limits.limit("review_change")
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The author edits their review, for 30 days after posting."""
    review = _own_review(request, pk)
    form = ReviewForm(request.POST or None, instance=review)
    status = HTTPStatus.OK
    refusal = None
    if not review.is_editable(timezone.now()):
        closed = services.EditWindowClosed()
        refusal, status = closed.message, closed.status
    elif request.method == "POST" and form.is_valid():
        try:
            services.edit(author=request.user, review_id=review.pk, **form.cleaned_data)
        except services.ReviewError as error:
            status = refuse(request, error, form)
        else:
            messages.success(request, _("Your review is updated."))
            return redirect_after_post(request, review.get_absolute_url())
    elif request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
    context = {
        "form": form,
        "review": review,
        "appointment": review.appointment,
        "doctor": review.doctor,
        "refusal": refusal,
        "breadcrumbs": [
            (_("My reviews"), reverse("reviews:mine")),
            (_("Edit review"), ""),
        ],
    }
    return render(request, "reviews/review_form.html", context, status=status)


@login_required
@limits.limit("review_change")
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask once more, then delete the author's review."""
    review = _own_review(request, pk)
    if request.method == "POST":
        try:
            services.delete(author=request.user, review_id=review.pk)
        except services.ReviewError as error:
            refuse(request, error)  # deleted meanwhile: the 404 page
        else:
            messages.success(request, _("Your review is deleted."))
        return redirect_after_post(request, reverse("reviews:mine"))
    context = {
        "review": review,
        "breadcrumbs": [
            (_("My reviews"), reverse("reviews:mine")),
            (_("Delete review"), ""),
        ],
    }
    return render(request, "reviews/review_confirm_delete.html", context)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The user's own reviews, hidden ones marked with the clinic's reason."""
    reviews = Review.objects.by(request.user).with_people()
    page = Paginator(reviews, PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    for review in page:
        review.editable = review.is_editable(now)
    context = {"page_obj": page}
    return render(request, "reviews/review_mine.html", context)


def _require_doctor(request: HttpRequest) -> None:
    if not DoctorProfile.objects.approved_of(request.user).exists():
        raise PermissionDenied(_("Only doctors can reply to reviews."))


@login_required
@limits.limit("review_change")
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    """The reviewed doctor posts or edits their one public reply."""
    _require_doctor(request)
    review = get_object_or_404(
        Review.objects.visible()
        .of_doctor_user(request.user)
        .select_related("patient", "appointment", "doctor__user"),
        pk=pk,
    )
    form = ReplyForm(request.POST or None, initial={"reply": review.reply})
    status = HTTPStatus.OK
    if request.method == "POST" and form.is_valid():
        try:
            services.reply(
                doctor_user=request.user,
                review_id=review.pk,
                text=form.cleaned_data["reply"],
            )
        except services.ReviewError as error:
            refuse(request, error)  # hidden meanwhile: the 404 page
        else:
            messages.success(request, _("Your reply is published."))
        return redirect_after_post(
            request, f"{_doctor_reviews_url(review.doctor)}#review-{review.pk}"
        )
    if request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
    context = {
        "form": form,
        "review": review,
        "breadcrumbs": [
            (_("Reviews of me"), reverse("reviews:inbox")),
            (_("Reply"), ""),
        ],
    }
    return render(request, "reviews/reply_form.html", context, status=status)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """A doctor's reviews, each with its reply button: the entry point for replying."""
    _require_doctor(request)
    doctor = get_object_or_404(
        DoctorProfile.objects.select_related("user"), user=request.user
    )
    reviews = Review.objects.visible().filter(doctor=doctor).with_people()
    if request.GET.get("unanswered"):
        reviews = reviews.filter(reply="")
    page = Paginator(reviews, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "doctor": doctor,
        "page_obj": page,
        "unanswered": bool(request.GET.get("unanswered")),
    }
    return render(request, "reviews/review_inbox.html", context)


def doctor_reviews(request: HttpRequest, slug: str) -> HttpResponse:
    """The public reviews panel of a doctor: summary, distribution, sorted pages.

    A full page, or the `_reviews_panel.html` fragment for htmx (the doctor's page
    loads it into its reviews section). The panel is the same for every viewer
    but the doctor and a patient with a hidden review of theirs, so it is cached
    under the doctor's version (`doctors.cache`), read before the reviews are,
    and answers 304 when the browser has it already. Visitors get it (or the
    page) from the cache without a query, under the directory's listing version,
    which any change to any doctor (a review's rating included) moves."""
    is_fragment = template_for(request, "page", "fragment") == "fragment"
    page_number = request.GET.get("page") or "1"
    return fragments.anonymous_page(
        request,
        PANEL_PAGE_TEMPLATES,
        fragments.listing_version,
        lambda extra: _doctor_reviews(request, slug, extra),
        fragment=is_fragment,
        # Junk parameters are not worth an entry each.
        cacheable=request.GET.get("sort", "newest") in ReviewQuerySet.SORTS
        and page_number.isdigit()
        and len(page_number) <= 4,
    )


def _doctor_reviews(request: HttpRequest, slug: str, extra: dict) -> HttpResponse:
    doctor = get_object_or_404(
        DoctorProfile.objects.visible_to(request.user).select_related(
            "user", "specialization"
        ),
        slug=slug,
    )
    is_fragment = template_for(request, "page", "fragment") == "fragment"
    panel, key = _panel(
        request,
        doctor,
        sort=request.GET.get("sort", "newest"),
        page_number=request.GET.get("page") or "1",
    )
    if is_fragment:
        if key and fragments.not_modified(request, key):
            return fragments.not_modified_response(request, key)
        if key:
            return fragments.response_for(request, key, panel)
        return HttpResponse(panel)
    context = {
        "doctor": doctor,
        "panel_html": mark_safe(panel),
        "breadcrumbs": [
            (_("Doctors"), reverse("doctors:list")),
            (doctor.specialization.name, doctor.specialization.get_absolute_url()),
            (
                doctor.display_name,
                doctor.get_absolute_url(),
            ),
            (_("Reviews"), ""),
        ],
        **extra,
    }
    return render(request, "reviews/doctor_reviews.html", context)


def panel_for_doctor_page(request: HttpRequest, doctor: DoctorProfile) -> str:
    """The panel as the doctor's page shows it on load (newest first, page 1):
    the same HTML the htmx fragment swaps in."""
    return _panel(request, doctor, sort="newest", page_number="1")[0]


def _panel(
    request: HttpRequest, doctor: DoctorProfile, *, sort: str, page_number: str
) -> tuple[str, str]:
    """(the panel's HTML, its cache key: "" when it is this viewer's own)."""
    version = fragments.version(doctor.pk)
    if sort not in ReviewQuerySet.SORTS:
        sort = "newest"
    own_hidden = list(
        Review.objects.by(request.user)
        .filter(doctor=doctor, is_hidden=True)
        .select_related("patient", "appointment")
    )
    is_doctor_viewing = request.user.pk == doctor.user_id

    def panel_context() -> dict:
        reviews = (
            Review.objects.visible()
            .filter(doctor=doctor)
            .select_related("patient", "appointment")
            .sorted_by(sort)
        )
        return {
            "doctor": doctor,
            "page_obj": Paginator(reviews, PER_PAGE).get_page(page_number),
            "sort": sort,
            "sorts": {
                "newest": _("Newest"),
                "highest": _("Highest rated"),
                "lowest": _("Lowest rated"),
            }.items(),
            "distribution": selectors.rating_distribution(doctor=doctor),
            "own_hidden": own_hidden,
            "is_doctor_viewing": is_doctor_viewing,
            "panel_url": _doctor_reviews_url(doctor),
        }

    # Junk page numbers are not worth a cache entry each.
    cacheable = (
        not own_hidden
        and not is_doctor_viewing
        and page_number.isdigit()
        and len(page_number) <= 4
    )
    key = ""
    if cacheable:
        key = fragments.key_of(
            PANEL_TEMPLATES,
            doctor.pk,
            version,
            # Read before the version: in the key, so a newer rating is a new key.
            str(doctor.rating_avg),
            doctor.rating_count,
            doctor.slug,
            doctor.user.full_name,
            sort,
            page_number,
            fragments.viewer_key(request),
        )
        panel = fragments.get(
            key, lambda: render_to_string(PANEL_TEMPLATES[0], panel_context())
        )
    else:
        panel = render_to_string(PANEL_TEMPLATES[0], panel_context(), request)
    return panel, key

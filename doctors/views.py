from functools import wraps
from http import HTTPStatus
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import limits
from accounts.web import redirect_after_post, refuse, safe_next, template_for

from . import cache, services
from .filters import DoctorFilter
from .forms import ApplicationForm, DoctorProfileForm
from .models import DoctorProfile, Specialization

# --- Directory (discovery) -------------------------------------------------------
DOCTORS_PER_PAGE = 20
CARD_TEMPLATES = (
    "doctors/_doctor_card.html",
    "includes/_avatar.html",
    "doctors/_follow_button.html",
)


def doctor_cards(request: HttpRequest, doctors) -> list[str]:
    """The directory's cards, from the cache where it has them (one round trip).

    A card is keyed on what it shows of the row just read, the doctor's version
    (bumped by whatever changes the doctor), the viewer's language, zone and
    kind (signed out; the doctor; following or not): the viewer's own CSRF token
    and page are filled in afterwards. Rendering 20 cards cost more than the
    whole query."""
    user = request.user
    viewer = cache.viewer_key(request)
    versions = cache.versions(doctor.pk for doctor in doctors)
    keys = {}
    for doctor in doctors:
        if not user.is_authenticated:
            kind = "anonymous"
        elif doctor.user_id == user.pk:
            kind = "own"
        else:
            kind = "following" if doctor.is_followed else "not following"
        person = doctor.user
        key = cache.key_of(
            CARD_TEMPLATES,
            doctor.pk,
            versions[doctor.pk],
            doctor.slug,
            doctor.status,
            person.full_name,
            person.email[:1],
            str(person.avatar_thumbnail),
            doctor.specialization.name,
            doctor.city,
            str(doctor.rating_avg),
            doctor.rating_count,
            doctor.followers_count,
            doctor.next_available,
            kind,
            viewer,
        )
        keys[key] = _card_renderer(doctor, user)
    found = cache.get_many(keys)
    return [mark_safe(cache.personalize(found[key], request)) for key in keys]


def _card_renderer(doctor: DoctorProfile, user):
    def render_card() -> str:
        context = {"doctor": doctor, "user": user, **cache.placeholder_context()}
        return render_to_string("doctors/_doctor_card.html", context)

    return render_card


DIRECTORY_TEMPLATES = (
    "doctors/doctor_list.html",
    "doctors/_doctor_cards.html",
    "doctors/_filter_select.html",
    "base.html",
    "includes/_navbar.html",
)


def _directory(
    request: HttpRequest, *, specialization: Specialization | None = None
) -> HttpResponse:
    """The directory page, or its results fragment for htmx, from one context;
    for visitors the whole page from the cache under the listing version."""

    def parts() -> tuple:
        return (
            cache.listing_version(),
            cache.fingerprint(specialization) if specialization else None,
        )

    return cache.anonymous_page(
        request,
        DIRECTORY_TEMPLATES,
        parts,
        lambda extra: _render_directory(request, specialization, extra),
        # A free-text search is not worth an entry each.
        cacheable=not request.GET.get("q"),
    )


def _unchanged_for(doctors, now) -> float:
    """Seconds until a card's next free time may move with the clock alone: its
    slot passes the notice, a hold on an earlier one ends, or a later one comes
    within the horizon (any write bumps the listing before that)."""
    moments = []
    for doctor in doctors:
        if doctor.next_available:
            moments.append(doctor.next_available - doctor.min_notice)
        elif doctor.next_free_at:
            moments.append(doctor.next_free_at - doctor.booking_horizon)
        if doctor.next_free_hold_ends_at:
            moments.append(doctor.next_free_hold_ends_at)
    if not moments:
        return cache.TIMEOUT
    return min(moments).timestamp() - now.timestamp()


def _render_directory(
    request: HttpRequest, specialization: Specialization | None, extra: dict
) -> tuple[HttpResponse, float]:
    """(the page or fragment, how many seconds it may be kept)."""
    data = request.GET.copy()
    if specialization is not None:
        # The page's own specialization wins over any parameter.
        data["specialization"] = specialization.slug
    filterset = DoctorFilter(data, request=request)
    paginator = Paginator(filterset.qs, DOCTORS_PER_PAGE)
    filters = filterset.form.cleaned_data if filterset.form.is_valid() else {}
    if not filters.get("q") and not filters.get("available_within"):
        # The count of a listing that does not move with the clock (nor with a
        # free text: not worth an entry each), under the listing version.
        parts = tuple(
            (name, filters.get(name)) for name in ("specialization", "city", "language")
        )
        paginator.count = cache.listing_get(
            "count", parts, lambda: filterset.qs.count()
        )
    page = paginator.get_page(data.get("page"))

    # "Remove this filter" links for the empty state (the page's own
    # specialization is not a filter there: it is the page).
    removable = []
    for name in filterset.active_filters:
        if specialization is not None and name == "specialization":
            continue
        params = request.GET.copy()
        params.pop(name, None)
        params.pop("page", None)
        query = params.urlencode()
        removable.append(
            (
                filterset.form[name].label,
                f"{request.path}?{query}" if query else request.path,
            )
        )
    context = {
        "filter": filterset,
        "form": filterset.form,
        "page_obj": page,
        "page_range": paginator.get_elided_page_range(page.number, on_ends=1),
        "doctors": page.object_list,
        "cards": doctor_cards(request, page.object_list),
        "specialization": specialization,
        "removable_filters": removable,
        "breadcrumbs": (
            [(_("Doctors"), reverse("doctors:list")), (specialization.name, "")]
            if specialization is not None
            else []
        ),
    }
    template = template_for(
        request, "doctors/doctor_list.html", "doctors/_doctor_cards.html"
    )
    # Which doctors match and their order move with the clock here: not kept.
    moves = filters.get("available_within") or filterset.sort_key == "next_available"
    seconds = 0 if moves else _unchanged_for(page.object_list, filterset.now)
    return render(request, template, context | extra), seconds


def doctor_list(request: HttpRequest) -> HttpResponse:
    """/doctors/: search, filter, sort and page through approved doctors."""
    return _directory(request)


def specialization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """/specializations/<slug>/: the directory of one specialization."""
    specialization = get_object_or_404(Specialization, slug=slug)
    return _directory(request, specialization=specialization)


# --- Applications, public page, follows (people) ----------------------------------


@login_required
@limits.limit("doctor_application")
def apply(request: HttpRequest) -> HttpResponse:
    profile = DoctorProfile.objects.filter(user=request.user).first()
    if profile is not None and profile.status != DoctorProfile.Status.REJECTED:
        messages.info(request, _("You have already applied; here is its status."))
        return redirect("doctors:application")
    initial = {"timezone": request.user.timezone}
    if profile is not None:  # a rejected applicant fixes and resubmits
        initial = model_to_dict(profile, fields=ApplicationForm.Meta.fields)
    form = ApplicationForm(request.POST or None, initial=initial)
    status = HTTPStatus.OK
    if request.method == "POST":
        if form.is_valid():
            try:
                services.apply(user=request.user, **form.cleaned_data)
            except services.AlreadyApplied:
                messages.info(request, _("You have already applied."))
            else:
                messages.success(
                    request,
                    _("Application sent. Clinic staff will review it shortly."),
                )
            return redirect_after_post(request, reverse("doctors:application"))
        status = HTTPStatus.BAD_REQUEST
    context = {
        "form": form,
        "profile": profile,
        "breadcrumbs": [
            (_("Your profile"), reverse("accounts:profile")),
            (_("Become a doctor"), ""),
        ],
    }
    return render(request, "doctors/application_form.html", context, status=status)


@login_required
def application(request: HttpRequest) -> HttpResponse:
    profile = (
        DoctorProfile.objects.filter(user=request.user)
        .select_related("specialization")
        .prefetch_related("languages")
        .first()
    )
    context = {
        "profile": profile,
        "currency": settings.CLINIC_CURRENCY,
        "breadcrumbs": [
            (_("Your profile"), reverse("accounts:profile")),
            (_("Doctor application"), ""),
        ],
    }
    return render(request, "doctors/application_status.html", context)


@login_required
@limits.limit("doctor_profile")
def edit(request: HttpRequest) -> HttpResponse:
    profile = DoctorProfile.objects.filter(user=request.user).first()
    if profile is None:
        messages.info(request, _("Apply first: you do not have a doctor profile yet."))
        return redirect("doctors:apply")
    if not profile.is_approved:
        messages.info(
            request, _("You can edit your profile once your application is approved.")
        )
        return redirect("doctors:application")
    form = DoctorProfileForm(request.POST or None, instance=profile)
    status = HTTPStatus.OK
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Your doctor profile was saved."))
            return redirect_after_post(request, profile.get_absolute_url())
        status = HTTPStatus.BAD_REQUEST
    context = {
        "form": form,
        "profile": profile,
        "breadcrumbs": [
            (profile.display_name, profile.get_absolute_url()),
            (_("Edit profile"), ""),
        ],
    }
    return render(request, "doctors/doctor_form.html", context, status=status)


DETAIL_TEMPLATES = (
    "doctors/doctor_detail.html",
    "includes/_avatar.html",
    "doctors/_follow_button.html",
    "base.html",
    "includes/_navbar.html",
    "includes/_breadcrumbs.html",
    # Its panels, rendered in (appointments.schedule_views, reviews.views).
    "appointments/_slot_picker.html",
    "appointments/_slot_day.html",
    "appointments/_slot_name.html",
    "reviews/_reviews_panel.html",
    "reviews/_review_card.html",
    "reviews/_stars.html",
)


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A doctor's page with its slots and reviews panels rendered in (the same
    HTML their htmx fragments swap in as the viewer pages through them: one
    request, not three); for visitors from the cache without a query, under the
    directory's listing version (any doctor's change, a slot's or a review's
    included, moves it), read before the doctor is, and only until the clock
    may change the slots it shows."""
    from appointments.schedule_views import picker_for_doctor_page
    from reviews.views import panel_for_doctor_page

    def render_detail(extra: dict) -> tuple[HttpResponse, float]:
        doctor = get_object_or_404(
            DoctorProfile.objects.visible_to(request.user)
            .with_follow_state(request.user)
            .select_related("user", "specialization"),
            slug=slug,
        )
        seconds = float(cache.TIMEOUT)
        slots_panel = ""
        if doctor.is_approved:
            slots_panel, seconds = picker_for_doctor_page(request, doctor)
        reviews_panel = panel_for_doctor_page(request, doctor)
        # Kept (visitors): the page's placeholders are filled per response.
        if extra.get("csrf_token") != cache.CSRF:
            slots_panel = cache.personalize(slots_panel, request)
        context = {
            "doctor": doctor,
            "currency": settings.CLINIC_CURRENCY,
            "slots_panel": mark_safe(slots_panel),
            "reviews_panel": mark_safe(reviews_panel),
            "breadcrumbs": [
                (_("Doctors"), reverse("doctors:list")),
                (doctor.specialization.name, doctor.specialization.get_absolute_url()),
                (doctor.display_name, ""),
            ],
            **extra,
        }
        return render(request, "doctors/doctor_detail.html", context), seconds

    return cache.anonymous_page(
        request, DETAIL_TEMPLATES, cache.listing_version, render_detail
    )


def _login_required_htmx(view):
    """login_required, but an htmx request (a session that expired while the page
    was open) is sent to the log-in page as a whole page, not swapped into a box."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated and getattr(request, "htmx", False):
            back = request.headers.get("HX-Current-URL") or reverse("doctors:list")
            query = urlencode({"next": urlsplit(back).path})
            return HttpResponseClientRedirect(
                f"{resolve_url(settings.LOGIN_URL)}?{query}"
            )
        return login_required(view)(request, *args, **kwargs)

    return wrapper


def _follow_response(
    request: HttpRequest,
    doctor: DoctorProfile,
    message: str,
    level: int = messages.SUCCESS,
    status: HTTPStatus = HTTPStatus.OK,
) -> HttpResponse:
    """htmx gets the button and count again; a plain form post a redirect + message."""
    next_url = safe_next(request, doctor.get_absolute_url())
    if getattr(request, "htmx", False):
        doctor = (
            DoctorProfile.objects.with_follow_state(request.user)
            .select_related("user")
            .get(pk=doctor.pk)
        )
        context = {"doctor": doctor, "next": next_url, "follow_message": message}
        return render(request, "doctors/_follow_button.html", context, status=status)
    messages.add_message(request, level, message)
    return HttpResponseRedirect(next_url)


@_login_required_htmx
@require_POST
@limits.limit("follow")
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    doctor = get_object_or_404(
        DoctorProfile.objects.visible_to(request.user).select_related("user"),
        slug=slug,
    )
    name = doctor.display_name
    try:
        created = services.follow(patient=request.user, doctor=doctor)
    except services.CannotFollowSelf as error:
        return _follow_response(
            request, doctor, error.message, messages.ERROR, error.status
        )
    except services.NotFollowable as error:
        refuse(request, error)  # the 404 page
    if created:
        message = _("You now follow %(name)s.") % {"name": name}
    else:
        message = _("You already follow %(name)s.") % {"name": name}
    return _follow_response(request, doctor, message)


@_login_required_htmx
@require_POST
@limits.limit("follow")
def unfollow(request: HttpRequest, slug: str) -> HttpResponse:
    doctor = get_object_or_404(
        DoctorProfile.objects.visible_to(request.user).select_related("user"),
        slug=slug,
    )
    services.unfollow(patient=request.user, doctor=doctor)
    message = _("You no longer follow %(name)s.") % {"name": doctor.display_name}
    return _follow_response(request, doctor, message)


@login_required
def following(request: HttpRequest) -> HttpResponse:
    doctors = (
        DoctorProfile.objects.approved()
        .filter(follows__patient=request.user)
        .with_follow_state(request.user)
        .select_related("user", "specialization")
        .order_by("-follows__created_at", "-id")
    )
    page = Paginator(doctors, 24).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "doctors": page.object_list,
        "breadcrumbs": [
            (_("Your profile"), reverse("accounts:profile")),
            (_("Following"), ""),
        ],
    }
    return render(request, "doctors/following.html", context)

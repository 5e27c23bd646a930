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
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import limits
from accounts.web import redirect_after_post, refuse, safe_next, template_for

from . import services
from .filters import DoctorFilter
from .forms import ApplicationForm, DoctorProfileForm
from .models import DoctorProfile, Specialization

# --- Directory (discovery) -------------------------------------------------------
DOCTORS_PER_PAGE = 20


def _directory(
    request: HttpRequest, *, specialization: Specialization | None = None
) -> HttpResponse:
    """The directory page, or its results fragment for htmx, from one context."""
    data = request.GET.copy()
    if specialization is not None:
        # The page's own specialization wins over any parameter.
        data["specialization"] = specialization.slug
    filterset = DoctorFilter(data, request=request)
    paginator = Paginator(filterset.qs, DOCTORS_PER_PAGE)
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
    return render(request, template, context)


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


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    doctor = get_object_or_404(
        DoctorProfile.objects.visible_to(request.user)
        .with_follow_state(request.user)
        .select_related("user", "specialization")
        .prefetch_related("languages"),
        slug=slug,
    )
    context = {
        "doctor": doctor,
        "currency": settings.CLINIC_CURRENCY,
        "breadcrumbs": [
            (_("Doctors"), reverse("doctors:list")),
            (doctor.specialization.name, doctor.specialization.get_absolute_url()),
            (doctor.display_name, ""),
        ],
    }
    return render(request, "doctors/doctor_detail.html", context)


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

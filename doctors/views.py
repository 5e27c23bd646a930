import copy
import datetime as dt
from functools import wraps
from http import HTTPStatus
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache as django_cache
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import limits
from accounts.web import redirect_after_post, refuse, safe_next

from . import cache, selectors, services
from .filters import DoctorFilter
from .forms import ApplicationForm, DoctorProfileForm
from .models import DoctorProfile, Follow, Specialization

# --- Directory (discovery) -------------------------------------------------------
DOCTORS_PER_PAGE = 20
CARD_TEMPLATES = (
    "doctors/_doctor_card.html",
    "doctors/_card_times.html",
    "doctors/_card_time.html",
    "includes/_avatar.html",
)
FOLLOW_TEMPLATES = ("doctors/_follow_button.html",)
# The follow box of each kind of viewer a card is stored with (the doctor's own
# box, "Your profile", is rendered for them alone).
FOLLOW_STATES = ("anonymous", "following", "not following")


class _Viewer:
    """Who a follow box is rendered for: a signed-in viewer of `pk`, or none."""

    def __init__(self, pk: int | None):
        self.pk = pk
        self.is_authenticated = pk is not None


def _follow_box(doctor: DoctorProfile, state: str) -> str:
    if state == "anonymous":
        viewer = _Viewer(None)
    elif state == "own":
        viewer = _Viewer(doctor.user_id)
    else:  # signed in, someone else (no user has pk 0)
        viewer = _Viewer(0)
    doctor = copy.copy(doctor)  # the page's row keeps the viewer's own state
    doctor.is_followed = state == "following"
    context = {"doctor": doctor, "user": viewer, **cache.placeholder_context()}
    return render_to_string("doctors/_follow_button.html", context)


def doctor_cards(doctors, times: dict) -> tuple[list[str], dict[int, dict]]:
    """The directory's cards and each doctor's follow boxes, from the cache where
    it has them (one round trip).

    A card is keyed on what it shows of the rows just read (the doctor, their
    next free times), the doctor's version (bumped by whatever changes the
    doctor), the language and the time zone: the same for every viewer. Its
    follow box is a placeholder (`cache.FOLLOW`) that `follow_overlay` fills with
    the box of the viewer's follow state; CSRF token and page are filled in last.
    Rendering 20 cards cost more than the whole query."""
    audience = cache.audience_key()
    versions = cache.versions(doctor.pk for doctor in doctors)
    keys = {}
    for doctor in doctors:
        person = doctor.user
        key = cache.key_of(
            CARD_TEMPLATES + FOLLOW_TEMPLATES,
            doctor.pk,
            versions[doctor.pk],
            doctor.slug,
            doctor.status,
            person.full_name,
            person.email[:1],
            str(person.avatar_thumbnail),
            doctor.specialization.name,
            doctor.city,
            str(doctor.consultation_fee),
            settings.CLINIC_CURRENCY,
            str(doctor.rating_avg),
            doctor.rating_count,
            doctor.followers_count,
            times[doctor.pk].slots,
            audience,
        )
        keys[key] = _card_renderer(doctor, times[doctor.pk])
    found = cache.get_many(keys)
    cards = [found[key][0] for key in keys]
    pairs = zip(doctors, keys, strict=True)
    boxes = {doctor.pk: found[key][1] for doctor, key in pairs}
    return cards, boxes


def _card_renderer(doctor: DoctorProfile, times):
    def render_card() -> tuple[str, dict]:
        context = {
            "doctor": doctor,
            "offers_times": True,
            "times": times.slots,
            "currency": settings.CLINIC_CURRENCY,
            "follow_box": mark_safe(cache.FOLLOW.format(doctor.pk)),
            "times_box": mark_safe(cache.TIMES.format(doctor.pk)),
            **cache.placeholder_context(),
        }
        card = render_to_string("doctors/_doctor_card.html", context)
        boxes = {state: _follow_box(doctor, state) for state in FOLLOW_STATES}
        for signed_in in (True, False):
            # The doctor's page's targets: a hold signed in, the pick page
            # (log in or sign up, then back to the time) signed out.
            boxes[("times", signed_in)] = render_to_string(
                "doctors/_card_times.html",
                {**context, "signed_in": signed_in},
            )
        boxes["user_id"] = doctor.user_id
        return card, boxes

    return render_card


def follow_overlay(
    html: str, boxes: dict[int, dict], request: HttpRequest, followed=None
) -> str:
    """The cached page with each card's parts for this viewer: the follow box of
    their state (`followed`: the ids they follow, if known, else one query for
    those on the page) and the free times as their kind of viewer books them."""
    user = request.user
    if not boxes:
        return html
    if not user.is_authenticated:
        states = dict.fromkeys(boxes, "anonymous")
    else:
        if followed is None:
            followed = set(
                Follow.objects.filter(
                    patient=user, doctor_id__in=list(boxes)
                ).values_list("doctor_id", flat=True)
            )
        states = {
            pk: "following" if pk in followed else "not following" for pk in boxes
        }

    def box(match) -> str:
        part, pk = match.group(1), int(match.group(2))
        entry = boxes[pk]
        if part == "times":
            return entry[("times", user.is_authenticated)]
        if user.is_authenticated and entry["user_id"] == user.pk:
            # Their own card: rare enough to render for them alone.
            doctor = DoctorProfile.objects.select_related("user").get(pk=pk)
            return _follow_box(doctor, "own")
        return entry[states[pk]]

    return cache.VIEWER_PATTERN.sub(box, html)


DIRECTORY_TEMPLATES = (
    "doctors/doctor_list.html",
    "doctors/_directory.html",
    "doctors/_doctor_cards.html",
    "doctors/_filter_select.html",
    "doctors/_active_filters.html",
    "doctors/_filter_count.html",
    "base.html",
    "includes/_navbar.html",
    *CARD_TEMPLATES,
    *FOLLOW_TEMPLATES,
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

    if request.user.is_authenticated and not request.GET.get("q"):
        response = _signed_in_directory(request, specialization)
    else:
        response = cache.anonymous_page(
            request,
            DIRECTORY_TEMPLATES,
            parts,
            lambda extra: _render_directory(request, specialization, extra),
            # A free-text search is not worth an entry each.
            cacheable=not request.GET.get("q"),
        )
    # htmx pushes the results' address: the browser must not show the results
    # fragment it got there as the page when Back (or a reload) comes to it.
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


def _signed_in_directory(
    request: HttpRequest, specialization: Specialization | None
) -> HttpResponse:
    """A signed-in viewer's directory, kept whole per viewer (with their follow
    boxes and navigation) while the listing version (which every follow, slot and
    profile change moves), their roles and their unread count stand, and the
    clock leaves the cards' times alone."""
    from appointments import caching  # appointments builds on doctors

    def render_page(store: dict | None):
        extra = {}
        if store is not None:
            store["deps"].update(caching.read_versions([cache.LISTING_VERSION_KEY]))
            extra = store["extra"]
        response, seconds = _render_directory(request, specialization, extra)
        until = timezone.now() + dt.timedelta(seconds=seconds)
        return response, until if store is not None else None

    return caching.personal_page(request, DIRECTORY_TEMPLATES, render_page)


def _results_only(request: HttpRequest) -> bool:
    """htmx asks for the results alone, except when it restores a page of its
    history it no longer holds (then the whole page, form filled in)."""
    htmx = getattr(request, "htmx", False)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _render_directory(
    request: HttpRequest, specialization: Specialization | None, extra: dict
) -> tuple[HttpResponse, float]:
    """(the page or fragment, how many seconds it may be kept).

    The directory itself (heading, filters, results: the same for every viewer in
    a language and time zone) is kept in the cache under the listing version, for
    signed-in viewers too, with the follow boxes as placeholders; the frame
    (navbar, messages) is rendered for each request."""
    results_only = _results_only(request)
    cacheable = settings.FRAGMENT_CACHE and not request.GET.get("q")
    user = request.user
    key = follows_key = version = None
    entry = followed = None
    if cacheable:
        # One round trip: the listing version, the directory stored under it,
        # and (signed in) the viewer's follows stored under it (any follow or
        # unfollow bumps the listing).
        key = cache.key_of(
            DIRECTORY_TEMPLATES,
            "directory",
            results_only,
            request.get_full_path(),
            cache.fingerprint(specialization) if specialization else None,
            cache.audience_key(),
        )
        follows_key = f"directory-follows:{user.pk}" if user.is_authenticated else ""
        version, found = cache.with_listing_version(
            [key, follows_key][: 1 + bool(follows_key)]
        )
        entry = found.get(key)
        if entry is not None and entry["version"] != version:
            entry = None
        follows = found.get(follows_key)
        if follows is not None and follows[0] == version:
            followed = follows[1]
    now = timezone.now()
    context = {}
    if entry is None:
        entry, context = _directory_entry(request, specialization, results_only, now)
        entry["version"] = version
        seconds = entry["until"] - now.timestamp()
        if key is not None and seconds > 0:
            django_cache.set(key, entry, timeout=min(cache.TIMEOUT, int(seconds)))
        if user.is_authenticated and followed is None:
            followed = {d.pk for d in context["doctors"] if d.is_followed}
    if user.is_authenticated and followed is None:
        followed = _all_followed(user)
        if followed is not None and follows_key:
            django_cache.set(follows_key, (version, followed), timeout=cache.TIMEOUT)
    seconds = entry["until"] - now.timestamp()
    html = follow_overlay(entry["html"], entry["boxes"], request, followed)
    if "csrf_token" not in extra:  # else the whole page is kept, placeholders in
        html = cache.personalize(html, request)
    if results_only:
        return HttpResponse(html), seconds
    # The directory's own context too when it was just rendered (for tests and
    # debugging), less its placeholder CSRF token: the frame carries the real one.
    context.pop("csrf_token", None)
    page_context = {
        "directory": mark_safe(html),
        "title": entry["title"],
        "breadcrumbs": entry["breadcrumbs"],
        **context,
        **extra,
    }
    return render(request, "doctors/doctor_list.html", page_context), seconds


# Whose follows are kept whole for the directory's overlay: nearly everyone's.
MAX_KEPT_FOLLOWS = 1000


def _all_followed(user) -> frozenset[int] | None:
    """The ids of every doctor `user` follows, or None past MAX_KEPT_FOLLOWS (the
    overlay then asks for the page's alone)."""
    ids = list(
        Follow.objects.filter(patient=user).values_list("doctor_id", flat=True)[
            : MAX_KEPT_FOLLOWS + 1
        ]
    )
    return frozenset(ids) if len(ids) <= MAX_KEPT_FOLLOWS else None


def _directory_entry(
    request: HttpRequest,
    specialization: Specialization | None,
    results_only: bool,
    now,
) -> tuple[dict, dict]:
    """Run the search and render the directory (or its results) with
    placeholders: (what the cache keeps, the template context)."""
    data = request.GET.copy()
    if specialization is not None:
        # The page's own specialization wins over any parameter.
        data["specialization"] = specialization.slug
    filterset = DoctorFilter(data, request=request, now=now)
    paginator = Paginator(filterset.qs, DOCTORS_PER_PAGE)
    filters = filterset.form.cleaned_data if filterset.form.is_valid() else {}
    corrected = None
    if not filters.get("q") and not filters.get("available_within"):
        # The count of a listing that does not move with the clock (nor with a
        # free text: not worth an entry each), under the listing version.
        parts = tuple(
            (name, filters.get(name)) for name in ("specialization", "city", "language")
        )
        paginator.count = cache.listing_get(
            "count", parts, lambda: filterset.qs.count()
        )
    elif filters.get("q") and not paginator.count:
        # Nothing found: perhaps a typo ("cardiolgy"). Search again with the
        # words corrected against the directory's own words, and say so.
        corrected = filterset.corrected()
        if corrected is not None:
            paginator = Paginator(corrected.qs, DOCTORS_PER_PAGE)
    page = paginator.get_page(data.get("page"))
    doctors = page.object_list
    times = selectors.next_free_times(doctors, now=now)
    chips = _active_filters(request, filterset, specialization)
    cards, boxes = doctor_cards(doctors, times)
    context = {
        "filter": filterset,
        "form": filterset.form,
        "page_obj": page,
        "page_range": paginator.get_elided_page_range(page.number, on_ends=1),
        "doctors": doctors,
        "cards": [mark_safe(card) for card in cards],
        "specialization": specialization,
        "corrected_query": corrected.form.cleaned_data["q"] if corrected else "",
        "active_filters": chips,
        # The Filters button's count: the search box is in sight anyway.
        "filter_count": sum(1 for name, _value, _url in chips if name != "q"),
        "results_only": results_only,
        "csrf_token": cache.CSRF,
    }
    template = "_doctor_cards" if results_only else "_directory"
    html = render_to_string(f"doctors/{template}.html", context, request=request)
    # Which doctors match and their order move with the clock here: not kept.
    moves = filters.get("available_within") or filterset.sort_key == "next_available"
    moments = [t.unchanged_until for t in times.values() if t.unchanged_until]
    until = now.timestamp() if moves else now.timestamp() + cache.TIMEOUT
    if moments and not moves:
        until = min(until, min(moments).timestamp())
    title = specialization.name if specialization else _("Find a doctor")
    entry = {
        "html": html,
        "boxes": boxes,
        "until": until,
        "title": str(title),
        "breadcrumbs": (
            [(_("Doctors"), reverse("doctors:list")), (specialization.name, "")]
            if specialization is not None
            else []
        ),
    }
    return entry, context


def _active_filters(
    request: HttpRequest, filterset: DoctorFilter, specialization
) -> list[tuple[str, str, str]]:
    """(filter name, what it holds, the page without it) of each filter narrowing
    the list: the chips to remove one, and the count on the phone's Filters
    button. The page's own specialization is not a filter there: it is the page."""
    chips = []
    values = filterset.form.cleaned_data
    for name in filterset.active_filters:
        if specialization is not None and name == "specialization":
            continue
        params = request.GET.copy()
        params.pop(name, None)
        params.pop("page", None)
        query = params.urlencode()
        value = values[name]
        if name != "q":  # the choice's label ("Cardiology"), not its slug
            value = dict(filterset.form[name].field.choices).get(value, value)
        chips.append(
            (
                name,
                str(value),
                f"{request.path}?{query}" if query else request.path,
            )
        )
    return chips


def doctor_list(request: HttpRequest) -> HttpResponse:
    """/doctors/: search, filter, sort and page through approved doctors."""
    return _directory(request)


def specialization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """/specializations/<slug>/: the directory of one specialization."""
    specialization = get_object_or_404(Specialization, slug=slug)
    return _directory(request, specialization=specialization)


def specialization_list(request: HttpRequest) -> HttpResponse:
    """/specializations/: every specialty with its number of doctors (the home page
    shows the first few); for visitors from the cache under the listing version."""

    def render_list(extra: dict) -> HttpResponse:
        context = {
            "specializations": Specialization.objects.annotate(
                doctor_count=Count(
                    "doctors",
                    filter=Q(doctors__status=DoctorProfile.Status.APPROVED),
                )
            ).order_by("name"),
            "breadcrumbs": [
                (_("Doctors"), reverse("doctors:list")),
                (_("All specialties"), ""),
            ],
            **extra,
        }
        return render(request, "doctors/specialization_list.html", context)

    return cache.anonymous_page(
        request, SPECIALIZATION_TEMPLATES, cache.listing_version, render_list
    )


SPECIALIZATION_TEMPLATES = (
    "doctors/specialization_list.html",
    "base.html",
    "includes/_navbar.html",
    "includes/_breadcrumbs.html",
)


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
        "currency": settings.CLINIC_CURRENCY,
        "page_obj": page,
        "doctors": page.object_list,
        "breadcrumbs": [
            (_("Your profile"), reverse("accounts:profile")),
            (_("Following"), ""),
        ],
    }
    return render(request, "doctors/following.html", context)

"""Pages of the waitlist: join or leave a doctor's, and the list of mine."""

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from accounts.web import redirect_after_post, refuse
from doctors.models import DoctorProfile

from . import waitlist
from .models import WaitlistRequest
from .waitlist_forms import WaitlistForm

WRITE_RATE = "20/m"


def _mine(user):
    return WaitlistRequest.objects.filter(patient=user, ended_at__isnull=True)


@login_required
@require_GET
def waitlist_list(request: HttpRequest) -> HttpResponse:
    """My waitlist requests that still wait."""
    today = waitlist.today_for(request.user, timezone.now())
    requests = list(
        _mine(request.user)
        .active(today)
        .select_related("doctor__user", "doctor__specialization")
        .order_by("created_at")
    )
    context = {
        "requests": requests,
        "limit": waitlist.MAX_ACTIVE_REQUESTS,
        "breadcrumbs": [(_("My waitlist"), "")],
    }
    return render(request, "appointments/waitlist_list.html", context)


@login_required
@ratelimit(key="user", rate=WRITE_RATE, method="POST", block=True)
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, slug: str) -> HttpResponse:
    """Ask to be told when a time with this doctor frees up, up to a date."""
    doctor = get_object_or_404(
        DoctorProfile.objects.approved().select_related("user"), slug=slug
    )
    now = timezone.now()
    current = (
        _mine(request.user)
        .active(waitlist.today_for(request.user, now))
        .filter(doctor=doctor)
        .first()
    )
    form = WaitlistForm(request.POST or None, zone=request.user.zone, now=now)
    status = HTTPStatus.OK
    if request.method == "POST":
        if form.is_valid():
            try:
                joined = waitlist.join(
                    patient=request.user,
                    doctor=doctor,
                    until=form.cleaned_data["until"],
                    now=now,
                )
            except waitlist.WaitlistRefused as error:
                status = refuse(request, error, form)
            else:
                messages.success(
                    request,
                    _(
                        "You are on the waitlist of %(doctor)s until %(date)s: we "
                        "will tell you when a time frees up."
                    )
                    % {
                        "doctor": doctor.display_name,
                        "date": dateformat.format(joined.until, "D j M Y"),
                    },
                )
                return redirect_after_post(request, reverse("appointments:waitlist"))
        else:
            status = HTTPStatus.BAD_REQUEST
    context = {
        "doctor": doctor,
        "form": form,
        "current": current,
        "breadcrumbs": [
            (_("Doctors"), reverse("doctors:list")),
            (doctor.display_name, doctor.get_absolute_url()),
            (_("Waitlist"), ""),
        ],
    }
    return render(request, "appointments/waitlist_join.html", context, status=status)


@login_required
@ratelimit(key="user", rate=WRITE_RATE, method="POST", block=True)
@require_http_methods(["GET", "POST"])
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page; POST leaves the waitlist."""
    entry = get_object_or_404(_mine(request.user).select_related("doctor__user"), pk=pk)
    if request.method == "POST":
        try:
            waitlist.leave(patient=request.user, request_id=entry.pk)
        except waitlist.WaitlistRequestNotFound:
            messages.info(request, _("You had left that waitlist already."))
        else:
            messages.success(
                request,
                _("You left the waitlist of %(doctor)s.")
                % {"doctor": entry.doctor.display_name},
            )
        return redirect_after_post(request, reverse("appointments:waitlist"))
    context = {
        "entry": entry,
        "breadcrumbs": [
            (_("My waitlist"), reverse("appointments:waitlist")),
            (_("Leave"), ""),
        ],
    }
    return render(request, "appointments/waitlist_confirm_leave.html", context)

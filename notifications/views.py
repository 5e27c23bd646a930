from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)
from django_htmx.http import trigger_client_event
from django_ratelimit.decorators import ratelimit

from accounts import limits
from accounts.web import redirect_after_post, template_for

from . import services
from .forms import EmailPreferencesForm, OptOutForm
from .models import Notification

PAGE_SIZE = 20
# Fired on <body> after anything that changes the unread count: the bell refreshes.
CHANGED_EVENT = "notifications:changed"


def _list_context(request: HttpRequest, page_number) -> dict:
    notifications = Notification.objects.for_user(request.user)
    page_obj = Paginator(notifications, PAGE_SIZE).get_page(page_number)
    return {"page_obj": page_obj, "notifications": page_obj.object_list}


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    template = template_for(
        request,
        "notifications/notification_list.html",
        "notifications/_notification_list.html",
    )
    return render(request, template, _list_context(request, request.GET.get("page")))


@login_required
@require_http_methods(["GET", "POST"])
@limits.limit("notification_open")
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """POST marks it read and follows its link; GET only follows the link."""
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    if request.method == "POST":
        services.mark_read(notification=notification)
    target = notification.link
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("notifications:list")
    return redirect(target)


@login_required
@require_POST
@limits.limit("notifications_read_all")
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(user=request.user)
    if count:
        messages.success(
            request,
            ngettext(
                "Marked %(count)d notification as read.",
                "Marked %(count)d notifications as read.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.info(request, _("Everything was read already."))
    if request.htmx:
        context = _list_context(request, request.POST.get("page"))
        response = render(request, "notifications/_notification_list.html", context)
        return trigger_client_event(response, CHANGED_EVENT)
    return redirect_after_post(request, reverse("notifications:list"))


@require_GET
@never_cache
def badge(request: HttpRequest) -> HttpResponse:
    """The bell's badge alone, for htmx to refresh it every minute (the phone
    bell's copy rides along out of band).

    A poll after the session ended gets 204 (htmx keeps the badge) rather than
    the login page swapped into the navbar; a plain visit goes to log in."""
    if not request.user.is_authenticated:
        if request.htmx:
            return HttpResponse(status=HTTPStatus.NO_CONTENT)
        return redirect_to_login(request.get_full_path())
    return render(request, "notifications/_badge_refresh.html")


@login_required
@limits.limit("notification_settings")
def email_settings(request: HttpRequest) -> HttpResponse:
    form = EmailPreferencesForm(request.POST or None, user=request.user)
    optional_form = OptOutForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid() and optional_form.is_valid():
        with transaction.atomic():
            services.save_email_preferences(
                user=request.user, enabled=form.cleaned_data
            )
            services.save_opt_outs(
                user=request.user, enabled=optional_form.cleaned_data
            )
        messages.success(request, _("Your notification settings were saved."))
        return redirect_after_post(request, reverse("notifications:settings"))
    context = {
        "form": form,
        "optional_form": optional_form,
        "in_app_only": [Notification.Kind(kind).label for kind in services.IN_APP_ONLY],
        "breadcrumbs": [
            (_("Notifications"), reverse("notifications:list")),
            (_("Settings"), ""),
        ],
    }
    return render(request, "notifications/notification_settings.html", context)


def _token_of(group: str, request: HttpRequest) -> str:
    return request.resolver_match.kwargs["token"]


# RFC 8058: the mail provider POSTs from its own servers, with no session and no
# CSRF token; the signed token in the URL is what authorises the change (and it
# can only ever switch one kind of email off). The only CSRF-exempt view.
@csrf_exempt
@require_http_methods(["GET", "POST"])
# Per link, not per IP: the one-click POSTs of a whole mail provider come from a
# few addresses, and a forged token fails its signature anyway.
@ratelimit(key=_token_of, rate="10/m", method="POST", block=True)
@never_cache
@sensitive_variables("token")
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: ask once more (a link scanner's GET changes nothing). POST: switch that
    kind of email off for the person the token names, no login needed."""
    target = services.unsubscribe_target(token)
    if target is None:
        raise Http404
    user, kind = target
    if request.method == "POST":
        services.unsubscribe(token=token)
        template = "notifications/unsubscribed.html"
    else:
        template = "notifications/unsubscribe_confirm.html"
    context = {"kind": kind, "email": user.email, "token": token}
    return render(request, template, context)

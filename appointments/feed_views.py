"""The calendar feed (fetched by calendar apps, no login: the token is the key)
and renewing its link (the signed-in person)."""

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.decorators import ratelimit

from accounts.web import redirect_after_post

from . import feeds, ics


@require_safe
@sensitive_variables("token")  # kept out of error reports, as out of the logs
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The person's appointments as a calendar; 404 for a token that is not (or
    no longer) one. Answers 304 when the calendar app's copy is current."""
    calendar_feed = feeds.find(token)
    if calendar_feed is None:
        raise Http404
    rendered = feeds.render(calendar_feed)
    response = HttpResponse(
        rendered.body, content_type=ics.content_type_of_feed, status=HTTPStatus.OK
    )
    response["ETag"] = rendered.etag
    response["Last-Modified"] = http_date(rendered.last_modified.timestamp())
    # Names and times of one person: no shared cache may keep them.
    patch_cache_control(response, private=True)
    return get_conditional_response(
        request,
        etag=rendered.etag,
        last_modified=int(rendered.last_modified.timestamp()),
        response=response,
    )


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user", rate="10/m", method="POST", block=True)
def renew(request: HttpRequest) -> HttpResponse:
    """Ask once more (GET), then give the person a new feed link (POST)."""
    if request.method == "POST":
        feeds.rotate(user=request.user)
        messages.success(
            request,
            _(
                "Your calendar link was renewed. The old link no longer works: "
                "subscribe again with the new one."
            ),
        )
        return redirect_after_post(request, reverse("accounts:profile") + "#calendar")
    context = {
        "breadcrumbs": [
            (_("Your profile"), reverse("accounts:profile")),
            (_("Renew calendar link"), ""),
        ]
    }
    return render(request, "appointments/feed_confirm_renew.html", context)

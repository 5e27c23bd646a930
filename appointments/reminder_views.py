"""The reminder email's one-click links: confirm attendance, or cancel.

The signed link is the credential, so these pages need no login: GET shows what
the link will do and asks once more (mail scanners follow links, they do not
post forms), POST does it through `reminders.use_link`."""

from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from . import reminders, services

LINK_RATE = "20/m"


@never_cache
@ratelimit(key="ip", rate=LINK_RATE, block=True)
@require_http_methods(["GET", "POST"])
def reminder_action(request: HttpRequest, token: str) -> HttpResponse:
    context: dict = {"token": token}
    try:
        appointment, action = reminders.read_token(token)
    except reminders.LinkInvalid as error:
        context["error"] = error.message
        return render(
            request, "appointments/reminder_action.html", context, status=error.status
        )
    context.update(appointment=appointment, action=action)
    status = HTTPStatus.OK
    if request.method == "POST":
        try:
            reminders.use_link(token)
        except (reminders.LinkInvalid, services.TransitionRefused) as error:
            context["error"] = error.message
            status = error.status
        else:
            context["done"] = (
                _("Thank you: your doctor knows you are coming.")
                if action == reminders.ATTEND
                else _("Your appointment is cancelled. The time is free for others.")
            )
    return render(request, "appointments/reminder_action.html", context, status=status)

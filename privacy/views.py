"""A patient's own data: download it, or close the account."""

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import limits
from accounts.web import refuse

from . import services
from .forms import CloseAccountForm


def export_response(user) -> HttpResponse:
    """The zip as a download, for the page and the API alike."""
    response = HttpResponse(services.export(user=user), content_type="application/zip")
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="clinic-data-{stamp}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
@limits.limit("data_export")
def export(request: HttpRequest) -> HttpResponse:
    """ "Download my data" on the profile page."""
    return export_response(request.user)


@login_required
@require_http_methods(["GET", "POST"])
@limits.limit("account_delete")
def close_account(request: HttpRequest) -> HttpResponse:
    """What closing means, the password once more, then the account is closed and
    the person logged out."""
    form = CloseAccountForm(request.POST or None, user=request.user)
    status = HTTPStatus.OK
    if request.method == "POST":
        if form.is_valid():
            try:
                services.close_account(user=request.user)
            except services.AccountCannotClose as error:
                status = refuse(request, error, form)
            else:
                logout(request)
                messages.success(
                    request,
                    _("Your account is closed and your personal details erased."),
                )
                return redirect("home")
        else:
            status = HTTPStatus.BAD_REQUEST
    context = {
        "form": form,
        "breadcrumbs": [
            (_("Your profile"), reverse("accounts:profile")),
            (_("Close account"), ""),
        ],
    }
    return render(request, "privacy/close_account.html", context, status=status)

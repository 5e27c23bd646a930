from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from . import limits, services
from .forms import ProfileForm
from .models import User


@login_required
@limits.limit("profile")
def profile(request: HttpRequest) -> HttpResponse:
    # A copy: a failed save must not change the navbar's name or avatar.
    user = User.objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST or None, request.FILES or None, instance=user)
    status = HTTPStatus.OK
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                form.save()
            messages.success(request, _("Your profile was saved."))
            return redirect("accounts:profile")
        status = HTTPStatus.BAD_REQUEST
    context = {"form": form, "profile_user": request.user}
    return render(request, "accounts/profile.html", context, status=status)


@login_required
@limits.limit("profile")
def remove_avatar(request: HttpRequest) -> HttpResponse:
    """Ask once more (GET), then remove the profile picture (POST)."""
    if request.method == "POST":
        if services.remove_avatar(user=request.user):
            messages.success(request, _("Your profile picture was removed."))
        else:
            messages.info(request, _("You have no profile picture to remove."))
        return redirect("accounts:profile")
    context = {
        "breadcrumbs": [
            (_("Your profile"), reverse("accounts:profile")),
            (_("Remove picture"), ""),
        ]
    }
    return render(request, "accounts/avatar_confirm_remove.html", context)

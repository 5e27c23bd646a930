"""The admin behind the site's own door. Django's admin login form would check a
password with none of allauth's limits, lockout or second factor, so it only sends
people on: to allauth's login, then to set up or enter their authenticator. No
admin page opens for a session that did not pass MFA."""

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from .mfa import passed_mfa


class AdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff, signed in with their second factor. Anything less makes
        every admin page send the request to `login` below."""
        return super().has_permission(request) and passed_mfa(request)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """The next step towards the admin page in `?next=`; never a password form.
        A POST is not looked at, so the admin offers nothing to guess at."""
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=True
        ):
            next_url = reverse("admin:index", current_app=self.name)
        then = urlencode({REDIRECT_FIELD_NAME: next_url})
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('account_login')}?{then}")
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        if not is_mfa_enabled(user):
            messages.info(
                request,
                _(
                    "Clinic staff open the admin with a code from an authenticator "
                    "app. Set one up here, keep your recovery codes, then open "
                    "the admin again."
                ),
            )
            return redirect("mfa_activate_totp")
        if not passed_mfa(request):
            return redirect(f"{reverse('mfa_reauthenticate')}?{then}")
        return redirect(next_url)

    def password_change(self, request: HttpRequest, extra_context=None):
        """Passwords change on the account page, under allauth's rules and limits."""
        return redirect("account_change_password")

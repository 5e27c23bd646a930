"""The admin behind the site's own door. Django's admin login form would check a
password with none of allauth's limits, lockout or second factor, so it only sends
people on: to allauth's login, then to set up or enter their authenticator. No
admin page opens for a session that did not pass MFA."""

import datetime as dt

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime, AdminTimeWidget
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .mfa import passed_mfa

# The admin index's sections: staff think in people, doctors, the calendar, not in
# Django apps (two of which are called "Accounts"). Each model in the first
# section that lists it; models not listed go under "System", last.
SECTIONS = [
    (
        "people",
        gettext_lazy("People"),
        [
            "accounts.user",
            "account.emailaddress",
            "mfa.authenticator",
            "auth.group",
            "accounts.accesslog",
        ],
    ),
    (
        "doctors",
        gettext_lazy("Doctors"),
        [
            "doctors.doctorprofile",
            "doctors.specialization",
            "doctors.language",
            "doctors.follow",
        ],
    ),
    (
        "appointments",
        gettext_lazy("Appointments & schedule"),
        [
            "appointments.appointment",
            "appointments.slot",
            "appointments.weeklyavailability",
            "appointments.dateoverride",
            "appointments.timeoff",
            "appointments.waitlistrequest",
        ],
    ),
    ("reviews", gettext_lazy("Reviews"), ["reviews.review"]),
    (
        "notifications",
        gettext_lazy("Notifications"),
        ["notifications.notification", "notifications.emailpreference"],
    ),
]
OTHERS = ("system", gettext_lazy("System"))


def clinic_name() -> str:
    return getattr(settings, "CLINIC_NAME", "Clinic")


class LabelledSplitDateTime(AdminSplitDateTime):
    """Django's admin date and time pair, each input with a name of its own
    ("Starts at, date"): Django's "Date:" and "Time:" are bare text, which
    leaves both inputs unlabelled (axe-core's `label` rule)."""

    def __init__(self, attrs=None, *, label: str = ""):
        super().__init__(attrs)
        self.label = label

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        parts = (_("date"), _("time"))
        for widget, part in zip(context["widget"]["subwidgets"], parts, strict=True):
            widget["attrs"]["aria-label"] = (
                f"{capfirst(self.label)}, {part}" if self.label else capfirst(part)
            )
        return context


def clock_widget() -> AdminTimeWidget:
    """Django's admin time input showing 14:00, the notation of the app and of its
    errors ("Overlaps Monday 09:00–12:00"), not 14:00:00."""
    return AdminTimeWidget(format="%H:%M")


class LabelledDateTimesAdmin(admin.ModelAdmin):
    """A ModelAdmin whose date-time inputs are labelled (LabelledSplitDateTime)
    and whose times read HH:MM."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if "widget" not in kwargs:
            if isinstance(db_field, models.DateTimeField):
                kwargs["widget"] = LabelledSplitDateTime(label=db_field.verbose_name)
            elif isinstance(db_field, models.TimeField):
                kwargs["widget"] = clock_widget()
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def human_duration(value: dt.timedelta | None) -> str:
    """A duration as staff say it: "2 h", "60 days", "1 day 2 h 30 min", not
    Python's "2:00:00" or "60 days, 0:00:00"."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    sign, minutes = ("−", -minutes) if minutes < 0 else ("", minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(_("%(n)d h") % {"n": hours})
    if minutes or not parts:
        parts.append(_("%(n)d min") % {"n": minutes})
    return sign + " ".join(parts)


class AdminSite(admin.AdminSite):
    # Branded with the clinic's name (read per request: settings may change it).
    site_header = property(
        lambda self: _("%(clinic)s admin") % {"clinic": clinic_name()}
    )
    site_title = property(
        lambda self: _("%(clinic)s admin") % {"clinic": clinic_name()}
    )
    index_title = gettext_lazy("Front desk and records")

    def get_app_list(self, request: HttpRequest, app_label=None) -> list[dict]:
        """The index and the side menu in SECTIONS; one app's page (`app_label`)
        as Django lists it."""
        if app_label is not None:
            return super().get_app_list(request, app_label)
        place = {
            key: (position, order)
            for position, (_slug, _name, keys) in enumerate(SECTIONS)
            for order, key in enumerate(keys)
        }
        sections: dict[int, dict] = {}
        for app in super().get_app_list(request):
            for model in app["models"]:
                key = f"{app['app_label']}.{model['object_name'].lower()}"
                position, order = place.get(key, (len(SECTIONS), 0))
                slug, name = (
                    SECTIONS[position][:2] if position < len(SECTIONS) else OTHERS
                )
                section = sections.setdefault(
                    position,
                    {
                        "name": name,
                        "app_label": slug,
                        "app_url": "",
                        "has_module_perms": True,
                        "models": [],
                    },
                )
                section["models"].append((order, model["name"], model))
        grouped = []
        for position in sorted(sections):
            section = sections[position]
            section["models"] = [
                model for *_key, model in sorted(section["models"], key=lambda m: m[:2])
            ]
            grouped.append(section)
        return grouped

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

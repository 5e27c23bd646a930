from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.admin_actions import ask_for_reason
from accounts.admin_site import human_duration

from . import services
from .forms import RejectionForm
from .models import DoctorProfile, Follow, Language, Specialization


@admin.register(Specialization)
class SpecializationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(DoctorProfile)
class DoctorProfileAdmin(admin.ModelAdmin):
    # Few columns, so the list fits the window beside the menu and the filters;
    # the licence number and the rest are on each profile.
    list_display = ("user", "specialization", "city", "status", "created_at")
    list_filter = ("status", "specialization", "city")
    search_fields = (
        "user__full_name",
        "user__email",
        "slug",
        "license_number",
        "clinic_name",
        "city",
    )
    list_select_related = ("user", "specialization")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    raw_id_fields = ("user",)
    # Checkboxes, not Django's two-box picker (its tooltips fail axe-core's
    # aria-prohibited-attr): a few dozen languages at most.
    formfield_overrides = {
        models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple},
    }
    actions = ["approve_selected", "reject_selected"]
    # Status moves only through the actions, which call the services (group
    # membership, notification); the counters only through their services; the
    # schedule only on the doctor's availability page, whose save regenerates the
    # slots and stores the next free one.
    readonly_fields = (
        "status",
        "rejection_reason",
        "reviewed_at",
        "timezone",
        "slot_minutes",
        "buffer_minutes",
        "min_notice_display",
        "booking_horizon_display",
        "followers_count",
        "rating_avg",
        "rating_count",
        "next_free_at",
        "next_free_checked_at",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("user", "slug", "status", "rejection_reason")}),
        (
            _("Profile"),
            {
                "fields": (
                    "specialization",
                    "license_number",
                    "bio",
                    "qualifications",
                    "years_of_experience",
                    "languages",
                )
            },
        ),
        (
            _("Practice"),
            {
                "fields": (
                    "clinic_name",
                    "address",
                    "city",
                    "consultation_fee",
                    "timezone",
                )
            },
        ),
        (
            _("Booking"),
            {
                "fields": (
                    "slot_minutes",
                    "buffer_minutes",
                    "min_notice_display",
                    "booking_horizon_display",
                    "auto_confirm",
                )
            },
        ),
        (
            _("Figures"),
            {
                "fields": (
                    "followers_count",
                    "rating_avg",
                    "rating_count",
                    "next_free_at",
                    "next_free_checked_at",
                    "reviewed_at",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    @admin.display(description=_("minimum notice"))
    def min_notice_display(self, profile: DoctorProfile) -> str:
        return human_duration(profile.min_notice)

    @admin.display(description=_("booking horizon"))
    def booking_horizon_display(self, profile: DoctorProfile) -> str:
        return human_duration(profile.booking_horizon)

    # --- Review: the list's actions and the buttons on a profile's page ----------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="doctors_doctorprofile_approve",
            ),
            path(
                "<path:object_id>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="doctors_doctorprofile_reject",
            ),
            *super().get_urls(),
        ]

    def _approve(self, request: HttpRequest, profiles) -> None:
        """Approve each through the service (group, notice), log it in the
        admin's history, and say what happened."""
        approved = skipped = 0
        for profile in profiles:
            try:
                services.approve(profile=profile, by=request.user)
            except services.InvalidTransition:
                skipped += 1
            else:
                approved += 1
                self.log_change(request, profile, "Approved the application.")
        self._report(request, approved, skipped, _("approved"))

    def _reject(self, request: HttpRequest, profiles, reason: str) -> None:
        rejected = skipped = 0
        for profile in profiles:
            try:
                services.reject(profile=profile, by=request.user, reason=reason)
            except services.InvalidTransition:
                skipped += 1
            else:
                rejected += 1
                self.log_change(request, profile, f"Rejected the application: {reason}")
        self._report(request, rejected, skipped, _("rejected"))

    def _reviewable(self, request: HttpRequest, object_id: str) -> DoctorProfile:
        """The profile to approve or reject: 404 when there is none, 403 without
        the permission the list's actions need (change)."""
        profile = self.get_object(request, unquote(object_id))
        if profile is None:
            raise Http404
        if not self.has_change_permission(request, profile):
            raise PermissionDenied
        return profile

    def _back_to(self, profile: DoctorProfile) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse(
                "admin:doctors_doctorprofile_change",
                args=[profile.pk],
                current_app=self.admin_site.name,
            )
        )

    def approve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The "Approve" button of a profile's page (POST; CSRF by admin_view)."""
        return require_POST(self._approve_one)(request, object_id)

    def _approve_one(self, request: HttpRequest, object_id: str) -> HttpResponse:
        profile = self._reviewable(request, object_id)
        self._approve(request, [profile])
        return self._back_to(profile)

    def reject_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The "Reject" button: the reason page of the list's action, then the
        same service."""
        profile = self._reviewable(request, object_id)
        form = RejectionForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            self._reject(request, [profile], form.cleaned_data["reason"])
            return self._back_to(profile)
        return self._ask_for_reason(
            request, form, DoctorProfile.objects.filter(pk=profile.pk)
        )

    @admin.action(
        description=_("Approve selected applications"), permissions=["change"]
    )
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._approve(request, queryset)

    @admin.action(
        description=_("Reject selected applications (asks for a reason)"),
        permissions=["change"],
    )
    def reject_selected(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        form = RejectionForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            self._reject(request, queryset, form.cleaned_data["reason"])
            return None
        return self._ask_for_reason(request, form, queryset)

    def _ask_for_reason(self, request, form, queryset) -> HttpResponse:
        return ask_for_reason(
            self,
            request,
            action="reject_selected",
            form=form,
            items=[
                (
                    profile.pk,
                    f"{profile.user.full_name} <{profile.user.email}> — "
                    f"{profile.specialization}, {profile.city} "
                    f"({profile.get_status_display()})",
                )
                for profile in queryset.select_related("user", "specialization")
            ],
            title=_("Reject applications"),
            intro=_(
                "These applications will be rejected. The applicants see the reason "
                "and can fix their application and send it again."
            ),
            submit=_("Reject applications"),
            keep=_("Cancel"),
        )

    def _report(self, request, done: int, skipped: int, verb: str) -> None:
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d application %(verb)s.",
                    "%(count)d applications %(verb)s.",
                    done,
                )
                % {"count": done, "verb": verb},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d profile skipped: it was not pending.",
                    "%(count)d profiles skipped: they were not pending.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    """Read-only: follows change only through the services that keep the counts."""

    list_display = ("patient", "doctor", "created_at")
    search_fields = (
        "patient__email",
        "patient__full_name",
        "doctor__user__full_name",
        "doctor__slug",
    )
    list_select_related = ("patient", "doctor__user")
    date_hierarchy = "created_at"
    raw_id_fields = ("patient", "doctor")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

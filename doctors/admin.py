from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_actions import ask_for_reason

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
    list_display = (
        "user",
        "specialization",
        "city",
        "status",
        "license_number",
        "followers_count",
        "created_at",
    )
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
    filter_horizontal = ("languages",)
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
        "min_notice",
        "booking_horizon",
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
                    "min_notice",
                    "booking_horizon",
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

    @admin.action(
        description=_("Approve selected applications"), permissions=["change"]
    )
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        approved = skipped = 0
        for profile in queryset:
            try:
                services.approve(profile=profile, by=request.user)
            except services.InvalidTransition:
                skipped += 1
            else:
                approved += 1
        self._report(request, approved, skipped, _("approved"))

    @admin.action(
        description=_("Reject selected applications (asks for a reason)"),
        permissions=["change"],
    )
    def reject_selected(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        form = RejectionForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            rejected = skipped = 0
            for profile in queryset:
                try:
                    services.reject(
                        profile=profile,
                        by=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                except services.InvalidTransition:
                    skipped += 1
                else:
                    rejected += 1
            self._report(request, rejected, skipped, _("rejected"))
            return None
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

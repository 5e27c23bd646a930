from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .forms import HideForm
from .models import Review


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Moderation: staff hide or unhide reviews, through the services, so each
    change notifies the author and keeps the doctor's average exact. Reviews are
    written by patients only; staff neither add, edit the text of, nor delete them."""

    list_display = ["__str__", "rating", "doctor", "patient", "is_hidden", "created_at"]
    list_filter = ["is_hidden", "rating", "doctor"]
    search_fields = [
        "patient__full_name",
        "patient__email",
        "doctor__user__full_name",
        "doctor__slug",
        "comment",
    ]
    list_select_related = ["doctor__user", "patient"]
    date_hierarchy = "created_at"
    actions = ["hide_selected", "unhide_selected"]
    fields = [
        "appointment",
        "doctor",
        "patient",
        "rating",
        "comment",
        "reply",
        "replied_at",
        "is_hidden",
        "hidden_reason",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(
        description=_("Hide selected (with a reason)"),
        permissions=["change"],
    )
    def hide_selected(
        self, request: HttpRequest, queryset: QuerySet[Review]
    ) -> HttpResponse | None:
        form = HideForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            hidden = sum(
                services.hide(
                    staff=request.user,
                    review_id=pk,
                    reason=form.cleaned_data["reason"],
                )
                for pk in queryset.values_list("pk", flat=True)
            )
            self.message_user(
                request,
                ngettext(
                    "%(count)d review hidden; its author was told why.",
                    "%(count)d reviews hidden; their authors were told why.",
                    hidden,
                )
                % {"count": hidden},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Hide reviews"),
            "opts": self.model._meta,
            "form": form,
            "reviews": queryset.select_related("doctor__user", "patient"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "hide_selected",
        }
        return TemplateResponse(
            request, "admin/reviews/review/hide_reviews.html", context
        )

    @admin.action(description=_("Unhide selected"), permissions=["change"])
    def unhide_selected(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        shown = sum(
            services.unhide(staff=request.user, review_id=pk)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d review shown again.",
                "%(count)d reviews shown again.",
                shown,
            )
            % {"count": shown},
            messages.SUCCESS,
        )

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_actions import ask_for_reason

from . import services
from .forms import HideForm
from .models import Review


def review_label(review: Review) -> str:
    label = f"{review.rating}★ · {review.doctor} · {review.patient}"
    if review.is_hidden:
        label += f" ({_('already hidden')})"
    if review.comment:
        label += f": “{Truncator(review.comment).chars(120)}”"
    return label


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
        return ask_for_reason(
            self,
            request,
            action="hide_selected",
            form=form,
            items=[
                (review.pk, review_label(review))
                for review in queryset.select_related("doctor__user", "patient")
            ],
            title=_("Hide reviews"),
            intro=_(
                "These reviews will leave the doctor's page and average. Each author "
                "is notified with your reason."
            ),
            submit=_("Hide these reviews"),
            keep=_("Cancel"),
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

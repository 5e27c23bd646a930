from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .forms import CancelForm
from .models import Appointment, AppointmentEvent


class AppointmentEventInline(admin.TabularInline):
    """The history, read-only: events are written by the services alone."""

    model = AppointmentEvent
    fields = ("created_at", "actor", "from_status", "to_status", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("created_at", "id")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "patient", "doctor", "status", "created_at")
    list_filter = ("status", ("doctor", admin.RelatedOnlyFieldListFilter), "starts_at")
    search_fields = (
        "patient__email",
        "patient__full_name",
        "doctor__user__full_name",
        "reason",
    )
    list_select_related = ("patient", "doctor__user")
    date_hierarchy = "starts_at"
    ordering = ("-starts_at",)
    inlines = [AppointmentEventInline]
    actions = ["cancel_selected"]
    # Appointments change only through the services (locks, events, notices):
    # here they are read, and cancelled with the action.
    readonly_fields = (
        "slot",
        "doctor",
        "patient",
        "starts_at",
        "ends_at",
        "reason",
        "status",
        "cancelled_by",
        "cancellation_reason",
        "reminder_sent_at",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Cancel selected appointments (asks for a reason)"))
    def cancel_selected(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        form = CancelForm(
            request.POST if "reason" in request.POST else None, reason_required=True
        )
        if form.is_valid():
            cancelled, skipped = 0, []
            for appointment in queryset:
                try:
                    services.cancel(
                        user=request.user,
                        appointment_id=appointment.pk,
                        reason=form.cleaned_data["reason"],
                    )
                except services.TransitionRefused as error:
                    skipped.append(f"{appointment}: {error.message}")
                else:
                    cancelled += 1
            if cancelled:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d appointment cancelled; both sides were told.",
                        "%(count)d appointments cancelled; both sides were told.",
                        cancelled,
                    )
                    % {"count": cancelled},
                    messages.SUCCESS,
                )
            for line in skipped:
                self.message_user(
                    request,
                    _("Skipped %(line)s") % {"line": line},
                    messages.WARNING,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cancel appointments"),
            "opts": self.model._meta,
            "form": form,
            "appointments": queryset.select_related("patient", "doctor__user"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/appointments/appointment/cancel_selected.html", context
        )


# Weekly hours, time off and slots: their own module (the schedule helpers).
from . import schedule_admin  # noqa: E402, F401

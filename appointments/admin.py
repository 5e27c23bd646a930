from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_actions import ask_for_reason
from accounts.audit import AccessLoggedAdmin

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
class AppointmentAdmin(AccessLoggedAdmin, admin.ModelAdmin):  # staff views logged
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
        return ask_for_reason(
            self,
            request,
            action="cancel_selected",
            form=form,
            items=[
                (
                    appointment.pk,
                    f"{date_format(localtime(appointment.starts_at), 'D j M Y, H:i')}"
                    f" — {appointment.patient.full_name} <{appointment.patient.email}>"
                    f" {_('with')} {appointment.doctor.display_name}"
                    f" ({appointment.get_status_display()})",
                )
                for appointment in queryset.select_related("patient", "doctor__user")
            ],
            title=_("Cancel appointments"),
            intro=_(
                "These appointments will be cancelled. The patient and the doctor are "
                "told, with the reason; future times become free again."
            ),
            submit=_("Cancel appointments"),
            keep=_("Keep them"),
        )


# Weekly hours, time off and slots: their own module (the schedule helpers).
from . import schedule_admin  # noqa: E402, F401

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_ratelimit.decorators import ratelimit

from accounts.admin_actions import ask_for_reason
from accounts.audit import AccessLoggedAdmin

from . import desk, services
from .forms import CancelForm
from .models import Appointment, AppointmentEvent, WaitlistRequest


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
        "time_set_at",
        "attendance_confirmed_at",
        "created_at",
        "updated_at",
    )

    def has_front_desk_permission(self, request: HttpRequest) -> bool:
        """Clinic staff's own permission: patients hold add/change_appointment
        too (for their own bookings), so those alone say nothing here."""
        return request.user.has_perm("appointments.work_front_desk")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and self.has_front_desk_permission(
            request
        )

    def get_urls(self):
        # Writes are rate limited per staff member, like every write of the site.
        def view(function, *, writes: bool = True):
            if writes:
                function = ratelimit(
                    key="user", rate="60/m", method="POST", block=True
                )(function)
            return self.admin_site.admin_view(function)

        return [
            path(
                "book/",
                view(lambda request: desk.book_for_patient(self, request)),
                name="appointments_appointment_book",
            ),
            path(
                "desk/",
                view(lambda request: desk.desk(self, request), writes=False),
                name="appointments_appointment_desk",
            ),
            *(
                path(
                    f"<path:object_id>/{action.replace('_', '-')}/",
                    view(
                        lambda request, object_id, action=action: (
                            desk.appointment_action(self, request, object_id, action)
                        )
                    ),
                    name=f"appointments_appointment_{action}",
                )
                for action in desk.ACTION_TITLES
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        """Appointments come to exist only through the booking service: "Add"
        is the front desk's booking page."""
        return HttpResponseRedirect(reverse("admin:appointments_appointment_book"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        appointment = (
            Appointment.objects.select_related("doctor__user")
            .filter(pk=desk._pk(object_id) or 0)
            .first()
        )
        actions = []
        if appointment is not None and self.has_front_desk_permission(request):
            allowed = services.allowed_actions(appointment, user=request.user)
            actions = [
                (
                    reverse(
                        f"admin:appointments_appointment_{action}",
                        args=[appointment.pk],
                    ),
                    title,
                )
                for action, title in desk.ACTION_TITLES.items()
                if action in allowed
            ]
        return super().change_view(
            request,
            object_id,
            form_url,
            {**(extra_context or {}), "desk_actions": actions},
        )

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
                    f" — {appointment.patient.full_name}"
                    f" <{appointment.patient.email or appointment.patient.phone}>"
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


@admin.register(WaitlistRequest)
class WaitlistRequestAdmin(admin.ModelAdmin):
    """Who waits for which doctor; patients join and leave on their own pages."""

    list_display = ("patient", "doctor", "until", "created_at", "ended_at")
    list_filter = (("doctor", admin.RelatedOnlyFieldListFilter), "until")
    search_fields = ("patient__email", "patient__full_name", "doctor__slug")
    list_select_related = ("patient", "doctor__user")
    raw_id_fields = ("patient", "doctor")
    readonly_fields = ("patient", "doctor", "until", "created_at", "ended_at")

    def has_add_permission(self, request) -> bool:
        return False

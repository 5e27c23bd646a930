"""Admin for schedules: weekly hours, time off and the generated slots.

Imported by `appointments/admin.py`. Saving or deleting hours or time off here
regenerates the doctor's slots, as the doctor's own pages do."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import schedule
from .models import Slot, TimeOff, WeeklyAvailability


class RegenerateOnChange(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        schedule.regenerate_slots(doctor=obj.doctor)

    def delete_model(self, request, obj):
        doctor = obj.doctor
        super().delete_model(request, obj)
        schedule.regenerate_slots(doctor=doctor)

    def delete_queryset(self, request, queryset):
        doctors = {row.doctor for row in queryset.select_related("doctor")}
        super().delete_queryset(request, queryset)
        for doctor in doctors:
            schedule.regenerate_slots(doctor=doctor)


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(RegenerateOnChange):
    list_display = ("doctor", "weekday", "start_time", "end_time")
    list_filter = ("weekday", ("doctor", admin.RelatedOnlyFieldListFilter))
    search_fields = ("doctor__user__full_name", "doctor__slug")
    list_select_related = ("doctor__user",)
    raw_id_fields = ("doctor",)
    ordering = ("doctor", "weekday", "start_time")


@admin.register(TimeOff)
class TimeOffAdmin(RegenerateOnChange):
    list_display = ("doctor", "starts_at", "ends_at", "reason")
    list_filter = (("doctor", admin.RelatedOnlyFieldListFilter), "starts_at")
    search_fields = ("doctor__user__full_name", "doctor__slug", "reason")
    list_select_related = ("doctor__user",)
    raw_id_fields = ("doctor",)
    date_hierarchy = "starts_at"


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    """Slots are generated from the hours, and booked or held only by the booking
    services: here they are read, and regenerated with the action."""

    list_display = (
        "starts_at",
        "ends_at",
        "doctor",
        "is_booked",
        "held_until",
        "outside_schedule",
    )
    list_filter = (
        "is_booked",
        "outside_schedule",
        ("doctor", admin.RelatedOnlyFieldListFilter),
        "starts_at",
    )
    search_fields = ("doctor__user__full_name", "doctor__slug")
    list_select_related = ("doctor__user",)
    date_hierarchy = "starts_at"
    ordering = ("-starts_at",)
    readonly_fields = (
        "doctor",
        "starts_at",
        "ends_at",
        "is_booked",
        "held_by",
        "held_until",
        "outside_schedule",
    )
    actions = ["regenerate_doctors"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Regenerate the slots of the selected slots' doctors"))
    def regenerate_doctors(self, request, queryset) -> None:
        doctors = {slot.doctor for slot in queryset.select_related("doctor")}
        total = schedule.RegenerationResult()
        for doctor in doctors:
            total += schedule.regenerate_slots(doctor=doctor)
        self.message_user(
            request,
            ngettext(
                "Regenerated %(n)d doctor: %(created)d created, %(removed)d removed.",
                "Regenerated %(n)d doctors: %(created)d created, %(removed)d removed.",
                len(doctors),
            )
            % {"n": len(doctors), "created": total.created, "removed": total.removed},
        )

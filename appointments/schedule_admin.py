"""Admin for schedules: weekly hours, time off and the generated slots.

Imported by `appointments/admin.py`. Saving or deleting hours or time off here
regenerates the doctor's slots, as the doctor's own pages do."""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_site import LabelledDateTimesAdmin, clock_widget
from accounts.errors import Refusal

from . import rules, schedule, selectors, services
from .models import (
    DateOverride,
    DateOverrideWindow,
    Slot,
    TimeOff,
    WeeklyAvailability,
)
from .schedule_forms import TimeOffForm, date_overlap_error, overlap_error


class RegenerateOnChange(LabelledDateTimesAdmin):
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


class WeeklyAvailabilityForm(forms.ModelForm):
    """One window, refused where it overlaps another of the doctor's on its day,
    by the rule and with the words of the doctor's own page."""

    class Meta:
        model = WeeklyAvailability
        fields = ["doctor", "weekday", "start_time", "end_time"]

    def clean(self):
        cleaned = super().clean()
        fields = ("doctor", "weekday", "start_time", "end_time")
        if any(cleaned.get(name) is None for name in fields):
            return cleaned
        others = WeeklyAvailability.objects.filter(
            doctor=cleaned["doctor"], weekday=cleaned["weekday"]
        ).exclude(pk=self.instance.pk)
        windows = [schedule.Window(w.weekday, w.start_time, w.end_time) for w in others]
        windows.append(
            schedule.Window(
                cleaned["weekday"], cleaned["start_time"], cleaned["end_time"]
            )
        )
        clash = schedule.overlapping(windows).get(len(windows) - 1)
        if clash is not None:
            self.add_error("start_time", overlap_error(windows[clash]))
        return cleaned


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(RegenerateOnChange):
    form = WeeklyAvailabilityForm
    list_display = ("doctor", "weekday", "start_time", "end_time")
    list_filter = ("weekday", ("doctor", admin.RelatedOnlyFieldListFilter))
    search_fields = ("doctor__user__full_name", "doctor__slug")
    list_select_related = ("doctor__user",)
    raw_id_fields = ("doctor",)
    ordering = ("doctor", "weekday", "start_time")


class TimeOffAdminForm(forms.ModelForm):
    """New time off for a doctor, asked (as the doctor's page asks) what becomes
    of the booked visits it covers; the save goes through services.add_time_off."""

    on_booked = TimeOffForm.base_fields["on_booked"]
    message = TimeOffForm.base_fields["message"]

    class Meta:
        model = TimeOff
        fields = ["doctor", "starts_at", "ends_at", "reason"]

    def clean(self):
        cleaned = super().clean()
        doctor, start, end = (
            cleaned.get(k) for k in ("doctor", "starts_at", "ends_at")
        )
        if self.instance.pk or not (doctor and start and end) or end <= start:
            return cleaned
        affected = selectors.booked_during(
            doctor, starts_at=start, ends_at=end, now=timezone.now()
        )
        refusal = rules.time_off_refusal(
            affected,
            on_booked=cleaned.get("on_booked") or None,
            message=cleaned.get("message", ""),
        )
        if refusal:
            listed = "; ".join(
                f"{a.starts_at:%Y-%m-%d %H:%M} UTC {a.patient.full_name}"
                for a in affected
            )
            self.add_error(refusal.field, f"{refusal.message} ({listed})")
        return cleaned


@admin.register(TimeOff)
class TimeOffAdmin(RegenerateOnChange):
    form = TimeOffAdminForm
    list_display = ("doctor", "starts_at", "ends_at", "reason")
    list_filter = (("doctor", admin.RelatedOnlyFieldListFilter), "starts_at")
    search_fields = ("doctor__user__full_name", "doctor__slug", "reason")
    list_select_related = ("doctor__user",)
    raw_id_fields = ("doctor",)
    date_hierarchy = "starts_at"

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except Refusal as error:
            # A booking landed between the form's check and the save (the service
            # decides under the doctor's lock): nothing was saved; ask again.
            messages.error(request, error.message)
            return HttpResponseRedirect(request.get_full_path())

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["doctor", "starts_at", "ends_at", "reason", "on_booked", "message"]
        return ["doctor", "starts_at", "ends_at", "reason"]

    def get_readonly_fields(self, request, obj=None):
        # Moving existing time off could cover visits unasked: remove and add.
        return ("doctor", "starts_at", "ends_at") if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        taken = services.add_time_off(
            user=request.user,
            doctor=obj.doctor,
            starts_at=obj.starts_at,
            ends_at=obj.ends_at,
            reason=obj.reason,
            on_booked=form.cleaned_data.get("on_booked") or None,
            message=form.cleaned_data.get("message", ""),
        )
        obj.pk = taken.time_off.pk


class DateOverrideWindowFormSet(forms.BaseInlineFormSet):
    """The date's windows must not overlap: the doctor's page's rule and words."""

    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("start_time")
            and form.cleaned_data.get("end_time")
        ]
        windows = [
            schedule.Window(0, f.cleaned_data["start_time"], f.cleaned_data["end_time"])
            for f in kept
        ]
        for index, other in schedule.overlapping(windows).items():
            kept[index].add_error("start_time", date_overlap_error(windows[other]))


class DateOverrideWindowInline(admin.TabularInline):
    model = DateOverrideWindow
    formset = DateOverrideWindowFormSet
    extra = 1

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.TimeField):
            kwargs.setdefault("widget", clock_widget())
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(DateOverride)
class DateOverrideAdmin(RegenerateOnChange):
    """A date's own hours (no windows: closed that day); saving regenerates."""

    inlines = [DateOverrideWindowInline]
    list_display = ("doctor", "date", "note")
    list_filter = (("doctor", admin.RelatedOnlyFieldListFilter), "date")
    search_fields = ("doctor__user__full_name", "doctor__slug", "note")
    list_select_related = ("doctor__user",)
    raw_id_fields = ("doctor",)
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        admin.ModelAdmin.save_model(self, request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # The windows are saved with the inlines: regenerate once they are.
        super().save_related(request, form, formsets, change)
        schedule.regenerate_slots(doctor=form.instance.doctor)


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
        "freed_at",
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

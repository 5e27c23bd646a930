from django.urls import path

from . import schedule_views

app_name = "appointments"

urlpatterns: list = [
    # Availability (a doctor's own schedule) and the public slot picker.
    path(
        "doctors/me/availability/",
        schedule_views.availability,
        name="availability",
    ),
    path(
        "doctors/me/availability/time-off/add/",
        schedule_views.time_off_add,
        name="time_off_add",
    ),
    path(
        "doctors/me/availability/time-off/<int:pk>/remove/",
        schedule_views.time_off_delete,
        name="time_off_delete",
    ),
    path("doctors/me/schedule/", schedule_views.schedule_week, name="schedule_week"),
    path(
        "doctors/<slug:slug>/slots/",
        schedule_views.doctor_slots,
        name="doctor_slots",
    ),
]

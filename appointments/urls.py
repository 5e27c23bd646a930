from django.urls import path

from . import feed_views, reminder_views, schedule_views, views, waitlist_views

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
    path(
        "doctors/me/availability/dates/add/",
        schedule_views.date_override_edit,
        name="date_override_add",
    ),
    path(
        "doctors/me/availability/dates/<str:day>/",
        schedule_views.date_override_edit,
        name="date_override_edit",
    ),
    path(
        "doctors/me/availability/dates/<str:day>/remove/",
        schedule_views.date_override_delete,
        name="date_override_delete",
    ),
    path("doctors/me/schedule/", schedule_views.schedule_week, name="schedule_week"),
    path("doctors/me/sick-day/", schedule_views.sick_day, name="sick_day"),
    path(
        "doctors/<slug:slug>/slots/",
        schedule_views.doctor_slots,
        name="doctor_slots",
    ),
    # Booking and the appointment lifecycle.
    path("slots/<int:slot_id>/pick/", views.pick, name="pick"),
    path("slots/resume/", views.resume, name="resume"),
    path("slots/<int:slot_id>/hold/", views.hold, name="hold"),
    path("slots/<int:slot_id>/book/", views.confirm, name="confirm"),
    path("slots/<int:slot_id>/release/", views.release, name="release"),
    path("appointments/", views.appointment_list, name="list"),
    path("appointments/<int:pk>/", views.appointment_detail, name="detail"),
    path("appointments/<int:pk>/calendar.ics", views.calendar_file, name="ics"),
    path("appointments/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("appointments/<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("appointments/<int:pk>/accept/", views.accept, name="accept"),
    path("appointments/<int:pk>/complete/", views.complete, name="complete"),
    path("appointments/<int:pk>/no-show/", views.no_show, name="no_show"),
    path(
        "appointments/reminder/<str:token>/",
        reminder_views.reminder_action,
        name="reminder_action",
    ),
    # The waitlist: told when an earlier time with a doctor frees up.
    path("waitlist/", waitlist_views.waitlist_list, name="waitlist"),
    path(
        "doctors/<slug:slug>/waitlist/",
        waitlist_views.join,
        name="waitlist_join",
    ),
    path(
        "waitlist/<int:pk>/leave/",
        waitlist_views.leave,
        name="waitlist_leave",
    ),
    # The private calendar feed: the token is the credential (feeds.py).
    path("calendar/<str:token>.ics", feed_views.feed, name="feed"),
    path("account/calendar/renew/", feed_views.renew, name="feed_renew"),
    path(
        "doctors/me/appointments/",
        views.doctor_appointment_list,
        name="doctor_list",
    ),
]

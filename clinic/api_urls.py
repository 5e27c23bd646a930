"""/api/: the JSON API v1, its OpenAPI schema and docs. Each app's views live in
its own `api.py`; this module only maps URLs to them."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace, csp_update
from django.conf import settings
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from accounts import api as accounts_api
from appointments import api as appointments_api
from appointments import feed_api, schedule_api, waitlist_api
from doctors import api as doctors_api
from notifications import api as notifications_api
from privacy import api as privacy_api
from reviews import api as reviews_api

from . import api

app_name = "api"

v1 = [
    path("me/", accounts_api.MeView.as_view(), name="me"),
    path("me/avatar/", accounts_api.AvatarView.as_view(), name="me-avatar"),
    path("me/export/", privacy_api.ExportView.as_view(), name="me-export"),
    path("me/close/", privacy_api.CloseAccountView.as_view(), name="me-close"),
    path(
        "me/doctor-application/",
        doctors_api.ApplicationView.as_view(),
        name="me-doctor-application",
    ),
    path(
        "me/email-preferences/",
        notifications_api.EmailPreferencesView.as_view(),
        name="me-email-preferences",
    ),
    path(
        "me/notifications-on/",
        notifications_api.NotificationsOnView.as_view(),
        name="me-notifications-on",
    ),
    path(
        "me/calendar-feed/",
        feed_api.CalendarFeedView.as_view(),
        name="me-calendar-feed",
    ),
    path(
        "me/calendar-feed/rotate/",
        feed_api.RotateCalendarFeedView.as_view(),
        name="me-calendar-feed-rotate",
    ),
    # A doctor's own schedule.
    path(
        "me/availability/",
        schedule_api.AvailabilityView.as_view(),
        name="me-availability",
    ),
    path("me/time-off/", schedule_api.TimeOffListView.as_view(), name="me-time-off"),
    path(
        "me/time-off/<int:pk>/",
        schedule_api.TimeOffDetailView.as_view(),
        name="me-time-off-detail",
    ),
    path(
        "me/date-overrides/",
        schedule_api.DateOverrideListView.as_view(),
        name="me-date-overrides",
    ),
    path(
        "me/date-overrides/<str:day>/",
        schedule_api.DateOverrideDetailView.as_view(),
        name="me-date-override",
    ),
    path("me/waitlist/", waitlist_api.WaitlistView.as_view(), name="me-waitlist"),
    path(
        "me/waitlist/<int:pk>/",
        waitlist_api.WaitlistDetailView.as_view(),
        name="me-waitlist-detail",
    ),
    path("me/day/", appointments_api.DoctorDayView.as_view(), name="me-day"),
    # Doctors.
    path("doctors/", doctors_api.DoctorListView.as_view(), name="doctors"),
    path("doctors/<slug:slug>/", doctors_api.DoctorDetailView.as_view(), name="doctor"),
    path(
        "doctors/<slug:slug>/follow/",
        doctors_api.FollowView.as_view(),
        name="doctor-follow",
    ),
    path(
        "doctors/<slug:slug>/slots/",
        appointments_api.FreeSlotsView.as_view(),
        name="doctor-slots",
    ),
    path(
        "doctors/<slug:slug>/reviews/",
        reviews_api.DoctorReviewsView.as_view(),
        name="doctor-reviews",
    ),
    # Booking and appointments.
    path("slots/<int:pk>/hold/", appointments_api.HoldView.as_view(), name="slot-hold"),
    path(
        "appointments/",
        appointments_api.AppointmentListView.as_view(),
        name="appointments",
    ),
    path(
        "appointments/<int:pk>/",
        appointments_api.AppointmentDetailView.as_view(),
        name="appointment",
    ),
    *(
        path(
            f"appointments/<int:pk>/{name}/",
            view.as_view(),
            name=f"appointment-{name}",
        )
        for name, view in [
            ("confirm", appointments_api.ConfirmView),
            ("decline", appointments_api.DeclineView),
            ("cancel", appointments_api.CancelView),
            ("complete", appointments_api.CompleteView),
            ("no-show", appointments_api.NoShowView),
            ("reschedule", appointments_api.RescheduleView),
            ("ics", appointments_api.CalendarFileView),
        ]
    ),
]

v1 += [
    path(
        "appointments/<int:pk>/review/",
        reviews_api.AppointmentReviewView.as_view(),
        name="appointment-review",
    ),
    path("reviews/<int:pk>/", reviews_api.ReviewView.as_view(), name="review"),
    path(
        "reviews/<int:pk>/reply/", reviews_api.ReplyView.as_view(), name="review-reply"
    ),
    path(
        "notifications/",
        notifications_api.NotificationListView.as_view(),
        name="notifications",
    ),
    path(
        "notifications/unread-count/",
        notifications_api.UnreadCountView.as_view(),
        name="notifications-unread-count",
    ),
    path(
        "notifications/read-all/",
        notifications_api.MarkAllReadView.as_view(),
        name="notifications-read-all",
    ),
    path(
        "notifications/<int:pk>/read/",
        notifications_api.MarkReadView.as_view(),
        name="notification-read",
    ),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI fetches its start-up script from its own URL (?script): no
    # inline script, so it needs nothing beyond the site's policy.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema"),
        name="docs",
    ),
    # ReDoc styles itself with <style> elements it writes at run time and renders
    # in a worker started from a blob: URL; this page alone allows both.
    path(
        "redoc/",
        csp_update({"worker-src": ["blob:"]})(
            # Replaced, not added to: a hash in the list would void 'unsafe-inline'.
            csp_replace({"style-src": [SELF, UNSAFE_INLINE]})(
                SpectacularRedocView.as_view(url_name="api:schema")
            )
        ),
        name="redoc",
    ),
    # allauth's own specification (sign-up, login, tokens) in the same offline UI.
    path(
        "docs/auth/",
        SpectacularSwaggerSplitView.as_view(
            url_name="auth-schema", title="Clinic account API"
        ),
        name="docs-auth",
    ),
]

if settings.BENCH_API_PING:
    urlpatterns.append(path("bench/ping/", api.PingView.as_view(), name="ping"))

# Last: any other /api/ URL is the API's JSON 404, never the HTML page.
urlpatterns.append(re_path(r"", api.NotFoundView.as_view(), name="not-found"))

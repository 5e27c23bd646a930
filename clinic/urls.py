from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from . import api, headless, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("start/", views.landing, name="landing"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("", include("privacy.urls")),
    path("api/", include("clinic.api_urls")),
    # allauth's headless JSON API: sign-up, login, JWT tokens (app client).
    path("_allauth/openapi.json", api.auth_specification, name="auth-schema"),
    *headless.unused_urlpatterns(),  # phone numbers, login by code: 404
    path("_allauth/", include("allauth.headless.urls")),
    # Before doctors: their /doctors/me/... pages must win over /doctors/<slug>/.
    path("", include("appointments.urls")),
    path("", include("reviews.urls")),
    path("", include("notifications.urls")),
    path("", include("doctors.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "clinic.views.bad_request"
handler403 = "clinic.views.permission_denied"
handler404 = "clinic.views.page_not_found"
handler500 = "clinic.views.server_error"

"""/api/: the JSON API v1, its OpenAPI schema and docs. Each app's views live in
its own `api.py`; this module only maps URLs to them."""

from django.conf import settings
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from accounts import api as accounts_api

from . import api

app_name = "api"

v1 = [
    path("me/", accounts_api.MeView.as_view(), name="me"),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    # allauth's own specification (sign-up, login, tokens) in the same offline UI.
    path(
        "docs/auth/",
        SpectacularSwaggerView.as_view(
            url_name="auth-schema", title="Clinic account API"
        ),
        name="docs-auth",
    ),
]

if settings.BENCH_API_PING:
    urlpatterns.append(path("bench/ping/", api.PingView.as_view(), name="ping"))

# Last: any other /api/ URL is the API's JSON 404, never the HTML page.
urlpatterns.append(re_path(r"", api.NotFoundView.as_view(), name="not-found"))

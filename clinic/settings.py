"""Clinic settings: one module, every difference between machines an environment
variable (listed with a comment in .env.example)."""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from clinic import jwt_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env")  # a missing file is fine; real env vars win

DEBUG = env.bool("DEBUG", default=False)

# Without DEBUG, serving refuses to start without a strong SECRET_KEY and a JWT
# key (clinic/production.py); commands that only read the models run without them.
if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-only")
else:
    SECRET_KEY = env("SECRET_KEY", default="")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "accounts.apps.AdminConfig",  # Django's admin behind allauth's login and MFA
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_ratelimit",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "corsheaders",
    "clinic",
    "accounts",
    "doctors",
    "appointments",
    "reviews",
    "notifications",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "clinic.middleware.PrivacyHeadersMiddleware",
    # Before anything that can answer (whitenoise, CommonMiddleware's redirects).
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, the signed-in user's row kept in the cache (accounts.signed_in).
    "accounts.middleware.CachedAuthenticationMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    # RateLimit-* headers on the API's throttled answers (clinic/throttling.py).
    "clinic.throttling.RateLimitHeadersMiddleware",
    # allauth's headless answers kept inside its published spec (clinic/headless.py).
    "clinic.headless.HeadlessSpecMiddleware",
]

ROOT_URLCONF = "clinic.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.context_processors.clinic",
                "accounts.context_processors.roles",
                "notifications.context_processors.notification_bell",
            ],
        },
    },
]

WSGI_APPLICATION = "clinic.wsgi.application"

# Database: SQLite file by default, PostgreSQL via DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR}/db.sqlite3")
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Seconds. A database that does not answer fails the request fast (a styled 503,
# the API a JSON 503) instead of holding a worker: connecting, any one statement,
# and waiting for a row lock each give up after these. PostgreSQL only; SQLite
# waits up to 20 s for its write lock (below).
DATABASE_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=3)
DATABASE_STATEMENT_TIMEOUT = env.float("DATABASE_STATEMENT_TIMEOUT", default=15)
DATABASE_LOCK_TIMEOUT = env.float("DATABASE_LOCK_TIMEOUT", default=5)
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "connect_timeout": DATABASE_CONNECT_TIMEOUT,
        # Parameters bound by the server, so psycopg can prepare a statement a
        # connection has run `prepare_threshold` times and PostgreSQL stops
        # planning it anew: a third of its CPU per booking. Off behind a pooler
        # that cannot keep prepared statements (PgBouncer in transaction mode
        # before 1.21).
        **(
            {"server_side_binding": True, "prepare_threshold": 5}
            if DATABASE_PREPARED_STATEMENTS
            else {}
        ),
        "options": (
            f"-c statement_timeout={int(DATABASE_STATEMENT_TIMEOUT * 1000)} "
            f"-c lock_timeout={int(DATABASE_LOCK_TIMEOUT * 1000)}"
        ),
    }
# How long clients are told to wait (Retry-After) when the database is down.
DATABASE_RETRY_AFTER = env.int("DATABASE_RETRY_AFTER", default=30)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers queue on the write lock instead of failing with
    # "database is locked"; WAL lets readers go on while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, for the test database: Django hands the live server's
    # threads one shared connection to an in-memory database, and two requests at
    # once (a page loading two panels) deadlock on it.
    sqlite_test_name = env("SQLITE_TEST_NAME", default="")
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / sqlite_test_name) if sqlite_test_name else None
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Cache: Redis when REDIS_URL is set, else this process's memory.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis that falls back to this process's memory, with a
            # logged warning, while Redis is unreachable (clinic/cache.py).
            "BACKEND": "clinic.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # A hung Redis must not hang the request: give up fast, fall back.
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_TIMEOUT", default=0.5),
                "SOCKET_TIMEOUT": env.float("REDIS_TIMEOUT", default=0.5),
                "RETRY_AFTER": env.float("REDIS_RETRY_AFTER", default=5),
            },
        }
    }
    # django-ratelimit knows django-redis by its class path; ours is a subclass
    # that keeps counting (per process) when Redis is away.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
    # Sessions read from Redis (written through to the database): one query
    # less on every signed-in page. Not on the per-process memory cache below,
    # where another process's change to a session would go unseen.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Without Redis, rate limits are counted per process: fine for one local
    # process, not for several gunicorn workers (set REDIS_URL there).
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
# Rendered fragments and visitors' pages kept in the cache (doctors.cache): on with
# Redis, shared by every process (a version bumped in one process's memory would
# go unseen by the others). The test suite turns it off (pytest.ini) so tests read
# each response's context; the tests of the cache itself turn it on.
FRAGMENT_CACHE = env.bool("FRAGMENT_CACHE", default=bool(REDIS_URL))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]
# 24-hour times where Django formats without an explicit format (the admin).
FORMAT_MODULE_PATH = ["clinic.formats"]

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads above this go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

# The clinic's name: the navbar, page titles, email greetings and subjects.
CLINIC_NAME = env("CLINIC_NAME", default="Clinic")

# Email: printed on the console unless EMAIL_URL says otherwise.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    # One line per email (subject, recipient, first link); all of it with
    # EMAIL_CONSOLE_FULL=true.
    EMAIL_CONFIG["EMAIL_BACKEND"] = "clinic.email.EmailBackend"
vars().update(EMAIL_CONFIG)
EMAIL_CONSOLE_FULL = env.bool("EMAIL_CONSOLE_FULL", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Clinic <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the site is reached from outside: links in emails start with it.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Background work: run at once in the request by default (and in tests); the
# database queue with `manage.py db_worker` in production (TASKS_BACKEND=database).
TASKS_BACKEND = env("TASKS_BACKEND", default="immediate")
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "database": "django_tasks_db.DatabaseBackend",
        }[TASKS_BACKEND]
    }
}

# Accounts (django-allauth): email is the login, verified before first use.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# Signing up or resetting the password claims an account the front desk opened.
ACCOUNT_FORMS = {
    "login": "accounts.claiming.LoginForm",
    "signup": "accounts.claiming.ClaimingSignupForm",
    "reset_password_from_key": "accounts.claiming.ClaimingResetPasswordKeyForm",
}
ACCOUNT_UNIQUE_EMAIL = True
# No page or API call tells whether an address has an account here: having one at
# a clinic says someone is a patient. Password reset answers the same for any
# address (mail goes only to a real account); signing up with a taken address shows
# the usual "check your email" and mails its owner that they already have an
# account.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Confirming the address in the browser that signed up logs the person in and goes
# on where sign-up was heading (a picked time, held). allauth does so only for the
# sign-up's own pending log-in in that session: a link opened elsewhere confirms
# the address and asks for the password.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{CLINIC_NAME}] "
ACCOUNT_RATE_LIMITS = {
    # Wrong passwords: 5 in 5 minutes per account *and* client address (the key is
    # both, accounts.adapter), then even the right one is refused from there. A
    # brute force on one account stops; a storm of wrong passwords locks nobody else
    # out, and not the account's owner logging in from their own address.
    "login_failed": "5/5m/key",
    # Every login attempt, right or wrong, per address: a spray across many
    # accounts stops here, well above what a household or a front desk sharing
    # one address needs.
    "login": "30/m/ip",
    # allauth's defaults, spelled out so they are visible and tunable here.
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
# Two-factor sign-in (allauth.mfa): an authenticator app (TOTP) with recovery codes.
# Clinic staff must use it to open the admin (accounts.admin_site); patients and
# doctors may turn it on from their account menu.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = CLINIC_NAME
LOGIN_URL = reverse_lazy("account_login")
# Each role starts where its work is (clinic.views.landing_url); `next` wins.
LOGIN_REDIRECT_URL = reverse_lazy("landing")
ACCOUNT_LOGOUT_REDIRECT_URL = reverse_lazy("home")

# JSON API: tokens from allauth's headless API (app client, JWT strategy), read by
# DRF through allauth's JWTTokenAuthentication. The HTML pages stay (not headless-only).
HEADLESS_ONLY = False
HEADLESS_CLIENTS = ["app"]
# allauth's JWT strategy; sessions as long as refresh tokens, and reuse of a
# rotated refresh token revokes its session (clinic/tokens.py).
HEADLESS_TOKEN_STRATEGY = "clinic.tokens.JWTTokenStrategy"
HEADLESS_JWT_ALGORITHM = "RS256"
# A PEM on one line (newlines written as \n) is accepted too.
HEADLESS_JWT_PRIVATE_KEY = env("JWT_PRIVATE_KEY", default="").replace("\\n", "\n")
if not HEADLESS_JWT_PRIVATE_KEY and env("JWT_PRIVATE_KEY_FILE", default=""):
    HEADLESS_JWT_PRIVATE_KEY = (BASE_DIR / env("JWT_PRIVATE_KEY_FILE")).read_text()
if not HEADLESS_JWT_PRIVATE_KEY and DEBUG:
    HEADLESS_JWT_PRIVATE_KEY = jwt_key.read_or_create(BASE_DIR / "jwt_private_key.pem")
if HEADLESS_JWT_PRIVATE_KEY:
    jwt_key.check(HEADLESS_JWT_PRIVATE_KEY)  # fail at start, not at the first login
HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN = env.int("JWT_ACCESS_TOKEN_LIFETIME", default=300)
# 30 days: a phone app opened once a month stays signed in. Each refresh
# rotates the refresh token and restarts its 30 days.
HEADLESS_JWT_REFRESH_TOKEN_EXPIRES_IN = env.int(
    "JWT_REFRESH_TOKEN_LIFETIME", default=30 * 24 * 60 * 60
)
HEADLESS_JWT_ROTATE_REFRESH_TOKEN = True
# Tokens die with their session: logging out revokes them.
HEADLESS_JWT_STATEFUL_VALIDATION_ENABLED = True
# allauth's own OpenAPI specification at /_allauth/openapi.json (the JSON one
# through clinic.api.auth_specification: allauth's view cannot serialize our sign-up
# form's translated help text), shown by the offline Swagger UI at /api/docs/auth/.
HEADLESS_SERVE_SPECIFICATION = True
HEADLESS_SPECIFICATION_TEMPLATE_NAME = None  # allauth's page loads from a CDN

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "clinic.authentication.JWTAuthentication",  # allauth's, + the user's zone
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only: a view that takes a file (the avatar) names its own parser, so
    # generated clients send JSON everywhere else.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    # Writes are throttled per user on the shared cache: all of them together
    # (WriteThrottle), and each action in the budget it shares with its page
    # (ActionThrottle, the view's `rate_action`; accounts/limits.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "clinic.throttling.WriteThrottle",
        "accounts.limits.ActionThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api_write": env("API_WRITE_RATE", default="60/min"),
    },
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "clinic.api.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
DRF_STANDARDIZED_ERRORS = {
    "ALLOWED_ERROR_STATUS_CODES": [
        str(code) for code in (400, 401, 403, 404, 405, 406, 409, 415, 422, 429, 500)
    ],
    "ERROR_SCHEMAS": {
        "409": "clinic.api.ErrorResponse409Serializer",
        "422": "clinic.api.ErrorResponse422Serializer",
    },
    # Also turns the services' refusals into the error body.
    "EXCEPTION_HANDLER_CLASS": "clinic.api.ExceptionHandler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Clinic API",
    "DESCRIPTION": (
        "Find doctors, book and manage appointments, read notifications and post "
        "reviews. Send `Authorization: Bearer <access token>`; get tokens from the "
        "account API (sign up, verify, log in, refresh, log out): "
        "[its specification](/api/docs/auth/), "
        "[raw OpenAPI](/_allauth/openapi.json). Errors always have one shape: "
        "`{type, errors: [{code, detail, attr}]}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        **{
            name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
            for name in (
                "ValidationErrorEnum",
                "ClientErrorEnum",
                "ServerErrorEnum",
                *(f"ErrorCode{code}Enum" for code in (401, 403, 404, 405, 406, 415)),
                "ErrorCode429Enum",
                "ErrorCode500Enum",
            )
        },
        "ErrorCode409Enum": "clinic.api.ErrorCode409Enum.choices",
        "ErrorCode422Enum": "clinic.api.ErrorCode422Enum.choices",
        "AppointmentStatusEnum": "appointments.api.Status",
        "DoctorStatusEnum": "doctors.api.DoctorStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums"
    ],
}

# Other sites' browsers may call the API only from these origins (none by default:
# same origin only). Bearer tokens travel in a header, so no cookies cross over.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = r"^/(api|_allauth)/.*$"
# Mounts /api/bench/ping/ ({"ok": true}), the baseline bench/api.py compares with.
BENCH_API_PING = env.bool("BENCH_API_PING", default=False)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The client address every limit counts by (allauth's, django-ratelimit's, the API
# throttles'): REMOTE_ADDR with 0; behind n proxies of ours, the n-th
# X-Forwarded-For entry from the right (accounts.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
RATELIMIT_IP_META_KEY = "accounts.client_ip.client_ip"
RATELIMIT_VIEW = "clinic.views.ratelimited"
RATELIMIT_USE_CACHE = "default"
# Holding and booking slots, per user (django-ratelimit rate). The booking
# benchmark raises it: its patients book hundreds of times a minute.
BOOKING_RATE_LIMIT = env("BOOKING_RATE_LIMIT", default="10/m")
# Online booking stops for a patient with this many no-shows in the last 90 days
# (they are asked to call; the front desk can still book for them). 0: off.
NO_SHOW_LIMIT = env.int("NO_SHOW_LIMIT", default=0)

# Reminders before a confirmed visit: how long before it, comma-separated
# durations (d, h, m). Empty: no reminders. Sent by `manage.py send_reminders`.
REMINDER_OFFSETS = env("REMINDER_OFFSETS", default="7d,24h")
# A booking still pending this long after it was made (or moved) tells its
# patient, once, that it waits for the doctor. 0: never.
PENDING_NOTICE_AFTER = env("PENDING_NOTICE_AFTER", default="24h")
# How many waiting patients `manage.py notify_waitlist` tells about one freed
# slot per run, in the order they joined.
WAITLIST_BATCH_SIZE = env.int("WAITLIST_BATCH_SIZE", default=3)

# Messages ride in a signed cookie (the session only when they would not fit):
# an action that says "done" writes no session row.
MESSAGE_STORAGE = "django.contrib.messages.storage.fallback.FallbackStorage"

# What the clinic charges in; fees are shown with it.
CLINIC_CURRENCY = env("CLINIC_CURRENCY", default="EUR")

# HTTPS. On by default when DEBUG is off; SECURE_SSL_REDIRECT=false serves
# production settings over plain HTTP on a local machine.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy (django-csp): scripts, styles, fonts and images from
# this site only; no inline script or style anywhere (static/js/clinic.js, htmx
# configured by its <meta>, static/css/clinic.css). Bootstrap draws its form
# icons as data: SVGs. The API docs pages widen it for themselves only
# (clinic/api_urls.py).
CSP_MEDIA_ORIGIN = env("CSP_MEDIA_ORIGIN", default="")  # avatars on another host
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [
            SELF,
            # The one inline <style> of Django's admin (a change list without
            # actions), allowed by its hash, not by 'unsafe-inline'.
            "'sha256-blvLUW3UscWqsXGByNOqdBboM+ShWAuugp2mC/wbafU='",
        ],
        "img-src": [SELF, "data:", *([CSP_MEDIA_ORIGIN] if CSP_MEDIA_ORIGIN else [])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Powerful browser features no page here uses, switched off for every page.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Calendar feed and unsubscribe URLs carry secret tokens: the request loggers
    # (404s, errors, runserver's request lines) print them redacted.
    "filters": {"redact_secret_paths": {"()": "clinic.log_filters.RedactSecretPaths"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-tasks logs each task's state changes at INFO; `make run` sets
        # WARNING so the console shows the emails, not "state=RUNNING" lines.
        "django_tasks": {"level": env("TASKS_LOG_LEVEL", default="INFO")},
        "django.request": {"filters": ["redact_secret_paths"]},
        "django.server": {"filters": ["redact_secret_paths"]},
    },
}

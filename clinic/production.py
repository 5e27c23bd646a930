"""What production needs before it serves: a strong SECRET_KEY and the API's JWT
signing key. Checked where it matters, when the WSGI or ASGI application loads
(gunicorn, runserver) and by `check --deploy`, so commands that only read the
models (makemigrations, migrate) run without them."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def missing_secrets() -> dict[str, str]:
    """What is missing for serving without DEBUG, by check id; empty when nothing
    is."""
    if settings.DEBUG:
        return {}
    missing = {}
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django's own refusal of an empty key
        key = ""
    if len(key) < 50 or key.startswith("django-insecure"):
        missing["clinic.E001"] = (
            "Set SECRET_KEY to a random string of at least 50 characters "
            "(or DEBUG=true for local development)."
        )
    if not settings.HEADLESS_JWT_PRIVATE_KEY:
        missing["clinic.E002"] = (
            "Set JWT_PRIVATE_KEY to an RSA private key in PEM format (it signs the "
            "API's tokens), or JWT_PRIVATE_KEY_FILE to a file holding one."
        )
    return missing


def refuse_to_serve_without_secrets() -> None:
    if missing := missing_secrets():
        raise ImproperlyConfigured(" ".join(missing.values()))


@checks.register(checks.Tags.security, deploy=True)
def check_secrets(app_configs, **kwargs) -> list[checks.Error]:
    return [
        checks.Error(message, id=check_id)
        for check_id, message in missing_secrets().items()
    ]

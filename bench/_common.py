"""What the benchmarks share: production settings on a PostgreSQL database of their
own, and (for the HTTP ones) gunicorn on the loopback. Import it before Django."""

import http.client
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def configure(*, database: str, redis_db: int | None = None, host: str) -> None:
    """Environment defaults: production settings (DEBUG off, so no query log) over
    plain HTTP, no outgoing mail, a throwaway signing key. Real env vars win."""
    os.environ.setdefault(
        "DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{database}"
    )
    if redis_db is not None:
        os.environ.setdefault("REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + secrets.token_urlsafe(48))
    os.environ.setdefault("ALLOWED_HOSTS", host)
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        os.environ[name] = "false"
    os.environ.setdefault("TASKS_BACKEND", "immediate")
    os.environ.setdefault("EMAIL_URL", "dummymail://")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault(
        "STATIC_ROOT", str(Path(tempfile.gettempdir()) / "clinic-bench-static")
    )
    if not (
        os.environ.get("JWT_PRIVATE_KEY") or os.environ.get("JWT_PRIVATE_KEY_FILE")
    ):
        from clinic.jwt_key import generate_private_key_pem

        os.environ["JWT_PRIVATE_KEY"] = generate_private_key_pem()


def setup_django(*, collectstatic: bool) -> None:
    """django.setup(), create the PostgreSQL database on first use, migrate.

    Without collectstatic (test-client benchmarks) static URLs need no manifest."""
    import django
    import psycopg
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        sys.exit("This benchmark needs PostgreSQL (DATABASE_URL=postgres://...).")
    conninfo = f"host={db['HOST']} port={db['PORT'] or 5432} user={db['USER']}"
    with psycopg.connect(conninfo + " dbname=postgres", autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
    # The generators' bulk statements run far longer than a request may; the
    # served app (gunicorn, its own processes) keeps the timeout.
    db["OPTIONS"]["options"] = (
        db["OPTIONS"]
        .get("options", "")
        .replace(
            f"statement_timeout={int(settings.DATABASE_STATEMENT_TIMEOUT * 1000)}",
            "statement_timeout=0",
        )
    )
    connections.close_all()
    call_command("migrate", verbosity=0, skip_checks=True)
    if collectstatic:
        call_command("collectstatic", verbosity=0, interactive=False)
    else:
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
            },
        }


def port_in_use(host: str, port: int) -> bool:
    try:
        http.client.HTTPConnection(host, port, timeout=1).connect()
    except OSError:
        return False
    return True


def start_gunicorn(
    *,
    host: str,
    port: int,
    workers: int,
    log_path: Path,
    extra: tuple = (),
    app: str = "clinic.wsgi",
    cwd: Path = BASE_DIR,
) -> subprocess.Popen:
    """`gunicorn <app>` in its own process group; returns once /healthz is 200."""
    if port_in_use(host, port):
        sys.exit(f"Something already listens on {host}:{port}; stop it first.")
    process = subprocess.Popen(
        [
            str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
            app,
            "--workers",
            str(workers),
            "--bind",
            f"{host}:{port}",
            *extra,
        ],
        cwd=cwd,
        env=os.environ.copy(),
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited early; see {log_path}")
        try:
            connection = http.client.HTTPConnection(host, port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.3)
    stop_gunicorn(process)
    sys.exit(f"gunicorn did not answer /healthz in 30 s; see {log_path}")


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def session_key(user) -> str:
    """A signed-in session for `user`, as logging in would store it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def bench_doctor(user, n: int, *, prefix: str, **fields):
    """An unsaved approved DoctorProfile for bench data; `fields` override."""
    from doctors.models import DoctorProfile

    return DoctorProfile(
        **{
            "user": user,
            "slug": f"{prefix}-{n}",
            "status": DoctorProfile.Status.APPROVED,
            "license_number": f"{prefix.upper()}-{n:06d}",
            "bio": "Bench doctor.",
            "qualifications": "MD",
            "years_of_experience": 10,
            "clinic_name": "Bench Clinic",
            "address": f"{n} Main Street",
            "city": "Bench",
            "consultation_fee": 60,
            **fields,
        }
    )

"""Development conveniences: the console prints one line per email, and `make run`
mails links to the port it serves on."""

import io
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives

from clinic.email import EmailBackend

ROOT = Path(__file__).resolve().parents[2]


def printed(messages, **options) -> str:
    stream = io.StringIO()
    EmailBackend(stream=stream, **options).send_messages(messages)
    return stream.getvalue()


def message(
    body="Hello,\n\nConfirm: http://127.0.0.1:8123/accounts/confirm-email/k/\n",
):
    email = EmailMultiAlternatives(
        subject="[Clinic] Confirm your email address",
        body=body,
        to=["grace@example.com"],
    )
    email.attach_alternative('<a href="https://x.example/html">x</a>', "text/html")
    return email


def test_one_line_per_email_with_subject_recipient_and_first_link():
    out = printed([message(), message()])
    assert out.splitlines() == 2 * [
        "Email to grace@example.com: [Clinic] Confirm your email address — "
        "http://127.0.0.1:8123/accounts/confirm-email/k/"
    ]


def test_the_html_parts_link_when_the_text_has_none():
    out = printed([message(body="No link here.")])
    assert (
        out
        == "Email to grace@example.com: [Clinic] Confirm your email address — https://x.example/html\n"
    )


def test_an_email_without_links():
    email = EmailMultiAlternatives(subject="Hi", body="Plain.", to=["a@example.com"])
    assert printed([email]) == "Email to a@example.com: Hi\n"


def test_the_whole_email_when_asked(settings):
    settings.EMAIL_CONSOLE_FULL = True
    out = printed([message()])
    assert "Content-Type: multipart/alternative" in out
    assert "To: grace@example.com" in out
    assert len(out.splitlines()) > 10


def test_the_default_console_backend_is_the_one_line_one(settings):
    from django.conf import settings as django_settings

    if os.environ.get("EMAIL_URL", "consolemail://") == "consolemail://":
        # Tests use locmem; the settings module chose ours for the console.
        from clinic import settings as module

        assert module.EMAIL_CONFIG["EMAIL_BACKEND"] == "clinic.email.EmailBackend"
    assert django_settings.EMAIL_CONSOLE_FULL is False


@pytest.fixture
def fake_venv(tmp_path):
    """A virtualenv whose `python` prints SITE_URL and its arguments: `make run`
    without installing, migrating or serving anything."""
    if not shutil.which("make"):
        pytest.skip("needs make")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = bin_dir / "python"
    python.write_text(
        '#!/bin/sh\necho "SITE_URL=$SITE_URL DEBUG=$DEBUG '
        'TASKS_LOG_LEVEL=$TASKS_LOG_LEVEL $*"\n'
    )
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    (tmp_path / ".installed").touch()
    return tmp_path


def make_run(venv: Path, *args: str, **env: str) -> list[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SITE_URL", "DEBUG", "TASKS_LOG_LEVEL", "PORT"}
    }
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "run", f"VENV={venv}", *args],
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.splitlines()


def test_make_run_links_follow_the_port(fake_venv):
    lines = make_run(fake_venv, "PORT=8123")
    assert lines[-1] == (
        "SITE_URL=http://127.0.0.1:8123 DEBUG=true TASKS_LOG_LEVEL=WARNING "
        "manage.py runserver 127.0.0.1:8123"
    )
    assert all(line.startswith("SITE_URL=http://127.0.0.1:8123 ") for line in lines)


def test_make_run_default_port_and_an_explicit_site_url(fake_venv):
    assert make_run(fake_venv)[-1].startswith("SITE_URL=http://127.0.0.1:8000 ")
    explicit = make_run(fake_venv, "PORT=8123", SITE_URL="https://clinic.example")
    assert explicit[-1].startswith("SITE_URL=https://clinic.example ")

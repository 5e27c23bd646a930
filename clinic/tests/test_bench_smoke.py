"""`make bench` still works: bench/pages.py --smoke (tiny data, about a second per
page) end to end. Proves the harness, never the speed: nothing here reads a figure."""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


@pytest.mark.postgres
def test_bench_http_smoke():
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (Debian: apt-get install wrk)")
    db = urlsplit(os.environ["DATABASE_URL"])
    name = db.path.lstrip("/") or "clinic"
    env = {
        **os.environ,
        # A database of its own beside the app's (kept between runs), never the
        # app's or the test database.
        "BENCH_DATABASE_URL": urlunsplit(db._replace(path=f"/{name}_bench_smoke")),
    }
    if os.environ.get("REDIS_URL"):
        env["BENCH_REDIS_URL"] = os.environ["REDIS_URL"]
    for name in ("SECRET_KEY", "JWT_PRIVATE_KEY_FILE", "ALLOWED_HOSTS"):
        env.pop(name, None)  # the bench's own throwaway keys, as in production
    done = subprocess.run(
        [sys.executable, str(BASE_DIR / "bench" / "pages.py"), "--smoke"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for row in ("| bare /select |", "| home |", "| booking (hold + confirm"):
        assert row in done.stdout
    assert "gunicorn workers' RSS after the run" in done.stdout
    assert "all processes stopped" in done.stdout

"""LangOps served by gunicorn in a subprocess against the test database: real HTTP for tests that
drive official clients (chunked bodies, keep-alive, threads) exactly as production serves them."""

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.processes import free_port, stop

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def live_langops(workers: int = 2, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start gunicorn on a free port (with extra environment); yield its base URL; stop it."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "langops.settings.test",
        "LANGOPS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **(env or {}),
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    # A file, not a pipe: an unread pipe fills up and blocks the server in the middle of a log line.
    log_path = Path(settings.DATA_DIR) / f"gunicorn-{port}.log"
    log = open(log_path, "ab")  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(
        [
            gunicorn,
            "langops.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/public/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    stop(process)
                    raise RuntimeError(f"gunicorn did not start: {log_path.read_bytes().decode()[-2000:]}") from None
                time.sleep(0.2)
        yield base
    finally:
        stop(process)
        log.close()

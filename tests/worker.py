"""A real Celery worker process for tests whose behaviour depends on one."""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings

from tests.live import database_url
from tests.processes import stop


@contextmanager
def celery_worker(
    queues: str = "default,ingestion,evals,exports", *, beat: bool = False, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """Start `celery worker` (optionally with beat) against the test database and broker; stop it afterwards."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DJANGO_SETTINGS_MODULE": "langops.settings.test",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "langops",
        "worker",
        "--pool",
        "solo",
        "--queues",
        queues,
        "--loglevel",
        "WARNING",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        command += ["--beat", "--schedule", os.path.join(settings.DATA_DIR, f"beat-{os.getpid()}")]
    # A file, not a pipe: an unread pipe fills up and blocks the worker in the middle of a log line.
    log_path = os.path.join(settings.DATA_DIR, f"worker-{os.getpid()}.log")
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=log, cwd=settings.BASE_DIR
        )
        try:
            yield process
        finally:
            stop(process)


def wait_until(condition: Callable[[], bool], *, timeout: float = 30.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


DEAD_REDIS = "redis://127.0.0.1:1/0"  # a port nothing listens on


@contextmanager
def broker_unreachable() -> Iterator[None]:
    """Tasks sent from this process meanwhile go to a broker that does not answer."""
    from langops.celery import app

    saved = app.conf.broker_url
    app.conf.broker_url = DEAD_REDIS
    app._pool = app.amqp._producer_pool = None  # connections made from now on
    try:
        yield
    finally:
        app.conf.broker_url = saved
        app._pool = app.amqp._producer_pool = None

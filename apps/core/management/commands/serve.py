"""Run the web server (gunicorn) and the background worker with its scheduler, supervised.

One command for the embedded mode and for a single machine: if any process dies, the others
are stopped and the command exits non-zero, so a supervisor (or the user) sees it.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def default_web_workers() -> int:
    """Web processes when --web-workers is not given.

    Embedded mode keeps caches in process memory: one process (with threads). With Redis: one
    process per usable core, at least two. The web path is CPU-bound Python; threads (8 per
    process) cover database and network waits. A process more than cores only adds context
    switches: on 2 cores, 2 x 8 ingested OTLP about 5% faster than 3 x 8 (the old cores + 1), with a
    lower saturated p99 and a quarter less memory (tests/benchmarks/ingestion.py).
    """
    if not settings.REDIS_URL:
        return 1
    return max(2, len(os.sched_getaffinity(0)))


def web_threads(given: int | None) -> int:
    """Threads per web process: --web-threads, else LANGOPS_WEB_THREADS, else 8 (see web_command)."""
    value = given if given is not None else os.environ.get("LANGOPS_WEB_THREADS", "8")
    try:
        threads = int(value)
    except ValueError:
        threads = 0
    if threads < 1:
        raise CommandError(f"web threads must be a whole number, at least 1 (got {value!r})")
    return threads


def web_command(host: str, port: str, workers: int, threads: int) -> list[str]:
    """The gunicorn command line.

    Threads are request slots: a slow client's upload or a slow console page holds one, so the
    default (8 per process) leaves room for those. Fewer slots may run CPU-bound ingestion faster on
    a small machine, with less switching between them: on 2 cores, 2 processes x 2 threads ingested
    OTLP about 10% faster than 2 x 8 in five interleaved rounds of a one-minute load test
    (2026-11-29), while two rounds each of tests/benchmarks/ingestion.py stayed within its noise
    (0.58x and 0.45x of the floor against 0.53x and 0.47x). Only worth trying behind a proxy that
    buffers requests (nginx does by default), on an ingestion-heavy server.
    """
    return [
        os.path.join(os.path.dirname(sys.executable), "gunicorn"),
        "langops.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--access-logfile",
        "-",
        "--timeout",
        "60",
    ]


class Command(BaseCommand):
    help = "Serve the console, public API and background jobs (gunicorn + Celery worker with beat)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "3000"))
        parser.add_argument("--web-workers", type=int, default=None)
        parser.add_argument(
            "--web-threads", type=int, default=None, help="threads per web process (LANGOPS_WEB_THREADS, else 8)"
        )
        parser.add_argument("--worker-concurrency", type=int, default=2)

    def handle(self, *args, **options) -> None:
        web_workers = options["web_workers"] or default_web_workers()
        bin_dir = os.path.dirname(sys.executable)
        commands = {
            "web": web_command(options["host"], options["port"], web_workers, web_threads(options["web_threads"])),
            "worker": [
                os.path.join(bin_dir, "celery"),
                "-A",
                "langops",
                "worker",
                "--beat",
                "--queues",
                "default,ingestion,evals,exports",
                "--concurrency",
                str(options["worker_concurrency"]),
                "--loglevel",
                "INFO",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
        }
        # The children's settings derive the public URL (media links, snippets) from these.
        env = {**os.environ, "HOST": str(options["host"]), "PORT": str(options["port"])}
        processes = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
        stopping = False

        def stop(*_args) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    self.stderr.write(f"{name} exited with code {process.returncode}; stopping LangOps")
                    exit_code = process.returncode or 1
                    stopping = True
            time.sleep(0.5)
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        sys.exit(exit_code)

"""`manage.py serve`: how many web processes it starts when not told."""

import os
import subprocess
import sys

import pytest
from django.core.management.base import CommandError

from apps.core.management.commands.serve import default_web_workers, web_command, web_threads

pytestmark = pytest.mark.core


def test_embedded_mode_serves_from_one_process(settings):
    settings.REDIS_URL = ""
    assert default_web_workers() == 1


def test_with_redis_one_process_per_usable_core_at_least_two(settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3})
    assert default_web_workers() == 4
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0})
    assert default_web_workers() == 2


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"HOST": "0.0.0.0", "PORT": "3300"}, "http://127.0.0.1:3300"),  # a wildcard is not an address
        ({"HOST": "langops.internal", "PORT": "8080"}, "http://langops.internal:8080"),
        ({"PORT": "3300", "LANGOPS_PUBLIC_URL": "https://langops.example.com/"}, "https://langops.example.com"),
    ],
)
def test_the_public_url_defaults_to_where_serve_listens(env, expected):
    """Media upload URLs use it: serve sets HOST and PORT for its children, so `serve --port`
    alone gives links that work."""
    clean = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "LANGOPS_PUBLIC_URL")}
    code = "import django; django.setup(); from django.conf import settings; print(settings.LANGOPS_PUBLIC_URL)"
    result = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == expected


def test_web_threads_come_from_the_option_then_the_environment_then_eight(monkeypatch):
    monkeypatch.delenv("LANGOPS_WEB_THREADS", raising=False)
    assert web_threads(None) == 8
    monkeypatch.setenv("LANGOPS_WEB_THREADS", "2")
    assert web_threads(None) == 2
    assert web_threads(4) == 4
    command = web_command("127.0.0.1", "3000", 2, web_threads(None))
    assert command[command.index("--threads") + 1] == "2" and command[command.index("--workers") + 1] == "2"


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_web_threads_refuse_what_is_not_a_count(monkeypatch, value):
    monkeypatch.setenv("LANGOPS_WEB_THREADS", value)
    with pytest.raises(CommandError, match="at least 1"):
        web_threads(None)
    with pytest.raises(CommandError):
        web_threads(0)

"""`manage.py serve`: how many web processes it starts when not told."""

import os

import pytest

from apps.core.management.commands.serve import default_web_workers

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

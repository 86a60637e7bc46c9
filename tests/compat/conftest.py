"""Compatibility tests: official clients, each in its own environment, against a live LangOps."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from tests.live import ROOT, live_langops

CLIENTS = Path(__file__).resolve().parent / "clients"
JS = Path(__file__).resolve().parent / "js"


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("the live server shares the test database, which needs PostgreSQL")
    with live_langops() as base:
        yield base


def _run(command: list[str], env: dict[str, str], cwd: Path) -> dict:
    result = subprocess.run(command, env={**os.environ, **env}, cwd=cwd, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"{command[-1]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def _credentials(base: str, key) -> dict[str, str]:
    return {
        "LANGFUSE_HOST": base,
        "LANGFUSE_BASE_URL": base,
        "LANGFUSE_PUBLIC_KEY": key.public_key,
        "LANGFUSE_SECRET_KEY": key.secret_key,
    }


def run_python_client(venv: str, script: str, base: str, key, **env: str) -> dict:
    python = ROOT / ".venvs" / venv / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: scripts/compat_clients.sh installs the official clients")
    return _run([str(python), str(CLIENTS / script)], {**_credentials(base, key), **env}, CLIENTS)


def run_node_client(script: str, base: str, key, **env: str) -> dict:
    if not (JS / "node_modules").exists():
        pytest.fail("tests/compat/js/node_modules is missing: scripts/compat_clients.sh installs it")
    return _run(["node", str(JS / script)], {**_credentials(base, key), **env}, JS)

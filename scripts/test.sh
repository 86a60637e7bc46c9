#!/usr/bin/env bash
# Run the whole suite: everything on PostgreSQL + Redis, then the core subset on SQLite.
# Installs what it needs (virtualenv, npm packages, Debian's Chromium for browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's Chromium for the browser tests..."
  sudo_cmd=""; [ "$(id -u)" = "0" ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi

# The official Langfuse clients the compatibility tests drive, each in its own environment.
scripts/compat_clients.sh

export DJANGO_SETTINGS_MODULE=langops.settings.test
if [ -n "${LANGOPS_TEST_DATA_DIR:-}" ]; then
  export LANGOPS_DATA_DIR="$LANGOPS_TEST_DATA_DIR"
else
  LANGOPS_DATA_DIR="$(mktemp -d)"
  export LANGOPS_DATA_DIR
  trap 'rm -rf "$LANGOPS_DATA_DIR"' EXIT  # blobs, exports, broker and worker logs of this run
fi
# A database name of its own per run: concurrent runs (and leftovers of killed ones) never collide.
pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/langops_run$$}"
redis_url="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
workers="${PYTEST_WORKERS:-2}"

echo "== Lint"
.venv/bin/ruff check apps langops tests

echo "== PostgreSQL + Redis: whole suite"
DATABASE_URL="$pg_url" REDIS_URL="$redis_url" \
  .venv/bin/python -m pytest -n "$workers" "$@"

echo "== SQLite (embedded mode): core subset"
env -u DATABASE_URL -u REDIS_URL \
  .venv/bin/python -m pytest -n "$workers" -m core "$@"

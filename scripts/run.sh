#!/usr/bin/env bash
# Start LangOps: install, migrate, create the demo data once, serve web + worker + scheduler.
# Embedded by default (SQLite and folders under ./data); set DATABASE_URL / REDIS_URL for
# PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh runtime
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-langops.settings.base}"
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py seed_demo
exec .venv/bin/python manage.py serve

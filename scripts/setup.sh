#!/usr/bin/env bash
# Install what LangOps needs into ./.venv and ./node_modules; cheap when nothing changed.
# Usage: scripts/setup.sh [runtime|dev]
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-runtime}"
requirements="requirements.txt"
[ "$profile" = "dev" ] && requirements="requirements-dev.txt"

python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python_bin="$candidate"; break
    fi
  done
fi
[ -n "$python_bin" ] || { echo "LangOps needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

[ -x .venv/bin/python ] || "$python_bin" -m venv .venv
stamp=".venv/.installed-$profile"
digest=$(cat requirements.txt "$requirements" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$digest" > "$stamp"
fi

npm_digest=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ "$(cat node_modules/.langops-installed 2>/dev/null)" != "$npm_digest" ]; then
  command -v npm >/dev/null || { echo "LangOps needs Node.js and npm for its front-end packages" >&2; exit 1; }
  npm ci --no-audit --no-fund --loglevel=error
  echo "$npm_digest" > node_modules/.langops-installed
fi

# Translations: compile the .po files (the .mo files are build output, not committed).
.venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

# The ingestion hot path compiled by mypyc (langops/compiled.py): skipped while the build matches
# the sources; without a C compiler it reports why, and the same code runs as plain Python.
.venv/bin/python -c "from langops.compiled import main; main()"

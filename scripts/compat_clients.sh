#!/usr/bin/env bash
# Install the official clients the compatibility tests drive, each in its own environment:
#   .venvs/langfuse2  langfuse 2.51.x (the line Dify <= 1.13 pins)
#   .venvs/langfuse4  langfuse 4.x    (Dify 1.14+; OTLP tracing)
#   .venvs/langfuse5  langfuse 5.x    (newest) + the plain OpenTelemetry SDK exporter
#   tests/compat/js/node_modules      npm langfuse 3.x (LangfuseWeb), @langfuse/otel 5.x and the Vercel AI SDK 5 (ai)
set -euo pipefail
cd "$(dirname "$0")/.."
base_python="$(.venv/bin/python -c 'import sys; print(sys._base_executable)')"

install() {  # name, requirement...
  local name="$1"; shift
  local stamp=".venvs/$name/.installed"
  local want="$*"
  [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
  rm -rf ".venvs/$name"
  "$base_python" -m venv ".venvs/$name"
  ".venvs/$name/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
  echo "$want" > "$stamp"
}

install langfuse2 "langfuse==2.51.5"
install langfuse4 "langfuse==4.18.0"
install langfuse5 "langfuse==5.0.4" "opentelemetry-sdk~=1.45" "opentelemetry-exporter-otlp-proto-http~=1.45"

js_digest=$(sha256sum tests/compat/js/package.json tests/compat/js/package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ "$(cat tests/compat/js/node_modules/.langops-installed 2>/dev/null)" != "$js_digest" ]; then
  (cd tests/compat/js && npm ci --no-audit --no-fund --loglevel=error)
  echo "$js_digest" > tests/compat/js/node_modules/.langops-installed
fi

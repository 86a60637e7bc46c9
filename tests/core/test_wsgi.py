"""The WSGI application: ingestion write paths go to the lean handler, everything else to the
console's, and the lean handler still applies what the public API needs (CORS, body limits,
security headers)."""

import io
import json

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http.response import ResponseHeaders
from django.test import RequestFactory, override_settings

from apps.core.wsgi import IngestionHandler, application_for, ingestion_paths
from apps.traces.models import Trace

pytestmark = pytest.mark.core


@pytest.fixture
def call():
    """Call a WSGI application as gunicorn would; (status, headers, body). The request signals'
    connection closing is held off, as Django's test client does, to keep the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    application = application_for(WSGIHandler())

    def send(method: str, path: str, body: bytes = b"", environ: dict | None = None, **headers: str):
        environ = {
            **RequestFactory().generic(method, path, body, **headers).environ,
            "wsgi.input": io.BytesIO(body),  # unread (the factory's own request wrapped the first)
            **(environ or {}),
        }
        seen = {}

        def start_response(status, response_headers, exc_info=None):
            seen.update(status=int(status.split()[0]), headers=ResponseHeaders(dict(response_headers)))

        chunks = application(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            chunks.close()
        return seen["status"], seen["headers"], content

    yield send
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_ingestion_paths_are_the_ingestion_apps_views():
    assert ingestion_paths() == {
        "/api/public/ingestion",
        "/api/public/scores",
        "/api/public/otel/v1/traces",
        "/api/public/otel/v1/metrics",
        "/api/public/generations",
        "/api/public/spans",
        "/api/public/events",
    }


def test_ingestion_is_served_without_the_console_middleware(call, tenant):
    batch = {"batch": [{"id": "e1", "type": "trace-create", "timestamp": "2026-11-28T12:00:00Z", "body": {"id": "t1"}}]}
    status, headers, body = call(
        "POST",
        "/api/public/ingestion",
        json.dumps(batch).encode(),
        content_type="application/json",
        HTTP_AUTHORIZATION=tenant.project_key.header,
        HTTP_ORIGIN="https://app.example.com",
    )
    assert status == 207, body
    assert json.loads(body)["successes"] == [{"id": "e1", "status": 201}]
    assert Trace.objects.filter(project_id=tenant.project.id, id="t1").exists()
    assert headers["X-Content-Type-Options"] == "nosniff"  # security headers still
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"  # CORS still
    # The console's middleware did not run: no clickjacking header, no session cookie, no Vary on it.
    assert "X-Frame-Options" not in headers and "Set-Cookie" not in headers
    assert "Cookie" not in headers.get("Vary", "")


def test_the_console_keeps_its_middleware(call, db):
    status, headers, _ = call("GET", "/api/public/health")
    assert status == 200
    assert headers["X-Frame-Options"] == "DENY"
    status, headers, _ = call("GET", "/accounts/login/")
    assert status == 200 and "csrftoken" in headers.get("Set-Cookie", "")


def test_ingestion_keeps_the_body_limit_and_the_preflight(call, tenant):
    status, _, body = call(
        "POST",
        "/api/public/ingestion",
        b"{}",
        content_type="application/json",
        environ={"CONTENT_LENGTH": "4500001"},  # over Langfuse's 4.5 MB
        HTTP_AUTHORIZATION=tenant.project_key.header,
    )
    assert status == 413 and json.loads(body)["error"] == "PayloadTooLargeError"
    status, headers, _ = call(
        "OPTIONS",
        "/api/public/ingestion",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://app.example.com"


def test_a_bad_key_is_refused_on_the_lean_path(call, tenant):
    status, _, body = call(
        "POST",
        "/api/public/otel/v1/traces",
        b"",
        content_type="application/x-protobuf",
        HTTP_AUTHORIZATION="Basic bm9wZTpub3Bl",
    )
    assert status == 401, body


def test_the_lean_handler_needs_its_middleware_in_the_settings():
    with override_settings(MIDDLEWARE=["django.middleware.security.SecurityMiddleware"]):
        with pytest.raises(RuntimeError, match="lacks"):
            IngestionHandler()

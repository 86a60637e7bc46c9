"""The WSGI application: the console's handler, and a lean one for the ingestion write paths.

SDKs and exporters post to a handful of write paths many times a second, with an API key. The
console's middleware (sessions, CSRF, locale, messages, user authentication, the audit log's
actor, static files) does nothing for those requests, yet it cost about a third of an empty
request's CPU. They are served by a handler built with only the middleware that applies to them:
security headers, CORS (the browser client posts scores) and the public API's body limits.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.urls import URLPattern

# In the order of settings.MIDDLEWARE, which must hold each of them.
INGESTION_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "apps.core.middleware.PublicApiBodyLimitMiddleware",
)


class IngestionHandler(WSGIHandler):
    """A WSGIHandler with the middleware of INGESTION_MIDDLEWARE only."""

    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds the chain from settings.MIDDLEWARE alone; the setting is narrowed while
        # this handler is made (once, as the process boots) and restored at once.
        full = settings.MIDDLEWARE
        lean = [name for name in full if name in INGESTION_MIDDLEWARE]
        if len(lean) != len(INGESTION_MIDDLEWARE):
            raise RuntimeError(f"settings.MIDDLEWARE lacks some of {INGESTION_MIDDLEWARE}")
        settings.MIDDLEWARE = lean
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


def ingestion_paths() -> frozenset[str]:
    """The paths of the ingestion app's views (/api/public/ingestion, /api/public/otel/v1/traces, ...)."""
    from apps.ingestion.urls import urlpatterns

    return frozenset(f"/api/public/{p.pattern}" for p in urlpatterns if isinstance(p, URLPattern))


def application_for(console: WSGIHandler) -> Callable[[dict[str, Any], Callable], Iterable[bytes]]:
    """The WSGI callable: ingestion write paths to the lean handler, every other path to `console`."""
    ingestion, paths = IngestionHandler(), ingestion_paths()

    def application(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        handler = ingestion if environ.get("PATH_INFO") in paths else console
        return handler(environ, start_response)

    return application

"""API key authentication shared by the ninja and DRF bases.

`Authorization: Basic base64(pk:sk)` resolves a key by its secret; `Authorization: Bearer pk`
(public key alone) is accepted only where an endpoint allows it (score creation).
"""

import base64
import binascii
import logging

from django.db import DatabaseError
from django.http import HttpRequest

from apps.core.access import Access, api_key_access
from apps.core.errors import ServiceUnavailable, Unauthorized

logger = logging.getLogger("langops.auth")
_HINT = "Confirm that you've configured the correct host."


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def parse_authorization(header: str) -> tuple[str, str, str]:
    """Split an Authorization header into (scheme, public key, secret key); raise on anything malformed."""
    if not header:
        raise Unauthorized(f"No authorization header. {_HINT}")
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer":
        if not value:
            raise Unauthorized(f"Invalid authorization header. {_HINT}")
        return "bearer", value, ""
    if scheme != "basic":
        raise Unauthorized(f"Invalid authorization header: use Basic or Bearer. {_HINT}")
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Unauthorized(f"Invalid authorization header. {_HINT}") from None
    # Split on the first colon only: a colon inside the secret must not truncate it.
    public, sep, secret = decoded.partition(":")
    if not sep or not public or not secret:
        raise Unauthorized(f"Invalid authorization header. {_HINT}")
    return "basic", public, secret


def authenticate_api_key(request: HttpRequest, *, allow_bearer: bool = False) -> Access:
    """Access of the API key in the request's Authorization header; Unauthorized otherwise.

    A key that cannot be looked up because the database is down is ServiceUnavailable (503 with
    Retry-After), not a server error: the SDKs retry a 503, and the request did nothing yet."""
    scheme, public, secret = parse_authorization(request.headers.get("Authorization", ""))
    try:
        return _key_access(request, scheme, public, secret, allow_bearer=allow_bearer)
    except DatabaseError:
        logger.warning("API key lookup failed: database unavailable", exc_info=True)
        raise ServiceUnavailable() from None


def _key_access(request: HttpRequest, scheme: str, public: str, secret: str, *, allow_bearer: bool) -> Access:
    from apps.apikeys.services import api_key_authenticate, api_key_find_public

    if scheme == "bearer":
        if not allow_bearer:
            raise Unauthorized(
                f"Invalid authorization header: this endpoint needs Basic auth with the secret key. {_HINT}"
            )
        key = api_key_find_public(public)
        if key is None:
            raise Unauthorized(f"Invalid public key. {_HINT}")
        return api_key_access(key, bearer_only=True, ip=client_ip(request))
    key = api_key_authenticate(secret)
    if key is None:
        _note_refused(public, request.path)
        raise Unauthorized(f"Invalid credentials. {_HINT}")
    return api_key_access(key, ip=client_ip(request))


def _note_refused(public_key: str, path: str) -> None:
    """Ingestion health: a known public key with a wrong secret, or a revoked key, is worth telling."""
    from apps.ingestion.health import record_for_public_key

    reason = "secret key does not match"
    record_for_public_key(public_key=public_key, outcome="auth_failed", reason=reason, path=path, status=401)

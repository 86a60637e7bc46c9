"""API key lifecycle and authentication.

Secrets are random (about 122 bits), so a keyed HMAC-SHA256 is both a safe storage form and a
fast, indexed lookup; the comparison after lookup is constant-time. Resolved keys are cached
briefly in the shared cache and dropped from it on revoke.
"""

import hashlib
import hmac
import time
import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from apps.apikeys.models import ApiKey
from apps.audit.services import audit_record
from apps.core.access import Access
from apps.core.errors import Conflict, InvalidRequest, NotFound
from apps.projects.models import Project

PUBLIC_PREFIX = "pk-lf-"
SECRET_PREFIX = "sk-lf-"
_CACHE_PREFIX = "apikey:"
_PUBLIC_PREFIX = "apikey-public:"
_MISS = "-"  # cached negative result, so a flood of wrong keys does not reach the database


def secret_hash(secret: str) -> str:
    return hmac.new(settings.API_KEY_HASH_SALT.encode(), secret.encode(), hashlib.sha256).hexdigest()


def _display(secret: str) -> str:
    return f"{secret[:8]}...{secret[-4:]}"


def _key_state(key: ApiKey) -> dict:
    return {"publicKey": key.public_key, "displaySecretKey": key.display_secret_key, "note": key.note}


def api_key_create(
    *,
    access: Access,
    project: Project | None,
    note: str | None = "",
    public_key: str | None = None,
    secret_key: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key pair (a project key, or an organization key when project is None).

    Returns the key and its secret, which is never retrievable again.
    """
    access.require("apikeys:write")
    note = (note or "").strip()
    if len(note) > 200:
        raise InvalidRequest("note must be at most 200 characters")
    if (public_key is None) != (secret_key is None):
        raise InvalidRequest("publicKey and secretKey must be provided together")
    if public_key is not None:
        if not (isinstance(public_key, str) and public_key.startswith(PUBLIC_PREFIX) and len(public_key) <= 100):
            raise InvalidRequest(f"publicKey must start with '{PUBLIC_PREFIX}'")
        if not (isinstance(secret_key, str) and secret_key.startswith(SECRET_PREFIX) and 20 <= len(secret_key) <= 200):
            raise InvalidRequest(f"secretKey must start with '{SECRET_PREFIX}' and be at least 20 characters")
    public_key = public_key or f"{PUBLIC_PREFIX}{uuid.uuid4()}"
    secret_key = secret_key or f"{SECRET_PREFIX}{uuid.uuid4()}"
    hashed = secret_hash(secret_key)
    if ApiKey.objects.filter(public_key=public_key).exists() or ApiKey.objects.filter(secret_hash=hashed).exists():
        raise Conflict("An API key with this public or secret key already exists")
    with transaction.atomic():
        key = ApiKey.objects.create(
            organization=access.organization,
            project=project,
            public_key=public_key,
            secret_hash=hashed,
            display_secret_key=_display(secret_key),
            note=note,
            created_by=access.user,
        )
        audit_record(
            access=access,
            action="apikey.create",
            target_type="api_key",
            target_id=key.id,
            project_id=project.id if project else None,
            after=_key_state(key),
        )
        # A cached "unknown secret" answer must not outlive the key's creation.
        api_key_forget_cached([hashed])
    return key, secret_key


def api_key_list(*, access: Access, project: Project | None) -> list[ApiKey]:
    """Live keys of a project (or the organization keys when project is None), newest first."""
    access.require("apikeys:read")
    keys = ApiKey.objects.filter(organization=access.organization, revoked_at__isnull=True)
    keys = keys.filter(project=project) if project is not None else keys.filter(project__isnull=True)
    return list(keys.order_by("-created_at"))


def api_key_revoke(*, access: Access, key_id: str, project: Project | None) -> ApiKey:
    """Revoke a key of the given project (or organization key); it stops working at once."""
    access.require("apikeys:write")
    with transaction.atomic():
        keys = ApiKey.objects.select_for_update().filter(
            organization=access.organization, id=key_id, revoked_at__isnull=True
        )
        keys = keys.filter(project=project) if project is not None else keys.filter(project__isnull=True)
        key = keys.first()
        if key is None:
            raise NotFound("API key not found")
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(
            access=access,
            action="apikey.revoke",
            target_type="api_key",
            target_id=key.id,
            project_id=key.project_id,
            before=_key_state(key),
        )
        api_key_forget_cached([key.secret_hash], public_keys=[key.public_key])
    return key


def api_keys_revoke_for_project(*, project: Project) -> None:
    """Revoke every key of a project that is being deleted (inside the caller's transaction)."""
    keys = ApiKey.objects.filter(project=project, revoked_at__isnull=True)
    pairs = list(keys.values_list("secret_hash", "public_key"))
    keys.update(revoked_at=timezone.now())
    api_key_forget_cached([h for h, _ in pairs], public_keys=[p for _, p in pairs])


def api_keys_forget_cached_for(*, organization_id: str) -> None:
    """Drop the cached keys of an organization whose names changed (keys carry them)."""
    api_key_forget_cached(ApiKey.objects.filter(organization_id=organization_id).values_list("secret_hash", flat=True))


def public_key_owner(public_key: str) -> tuple[str, str, bool] | None:
    """(project id, key id, revoked) of a project key's public key, or None; cached, because
    requests refused before authentication may name any public key as often as they like."""

    def lookup() -> tuple[str, str, bool] | str:
        key = (
            ApiKey.objects.filter(public_key=public_key[:100], project__isnull=False)
            .only("id", "project_id", "revoked_at")
            .first()
        )
        return (key.project_id, key.id, key.revoked_at is not None) if key else "unknown"

    found = cache.get_or_set(_PUBLIC_PREFIX + public_key[:100], lookup, timeout=settings.API_KEY_CACHE_SECONDS)
    return None if found == "unknown" else tuple(found)


def api_key_forget_cached(hashes: Iterable[str], *, public_keys: Iterable[str] = ()) -> None:
    """Drop cached lookups now and again after commit: a request racing the revoking
    transaction could otherwise re-cache the key before the revocation is visible."""
    keys = [_CACHE_PREFIX + h for h in hashes] + [_PUBLIC_PREFIX + p[:100] for p in public_keys]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def api_key_authenticate(secret: str) -> ApiKey | None:
    """The live key whose secret this is, with organization and project loaded, or None."""
    if not secret or len(secret) > 200:
        return None
    hashed = secret_hash(secret)
    cached = cache.get(_CACHE_PREFIX + hashed)
    if cached == _MISS:
        return None
    key = cached
    if key is None:
        # The project join is an outer join, so organization keys (no project) match too.
        key = (
            ApiKey.objects.select_related("organization", "project")
            .filter(secret_hash=hashed, revoked_at__isnull=True, project__deleted_at__isnull=True)
            .first()
        )
        cache.set(_CACHE_PREFIX + hashed, key or _MISS, settings.API_KEY_CACHE_SECONDS)
    if key is None or not hmac.compare_digest(key.secret_hash, hashed):
        return None
    if key.expires_at is not None and key.expires_at <= timezone.now():
        return None
    _touch(key)
    return key


def api_key_find_public(public_key: str) -> ApiKey | None:
    """A live project key by its public half (Bearer auth of the browser SDK)."""
    if not public_key or len(public_key) > 100:
        return None
    return (
        ApiKey.objects.select_related("organization", "project")
        .filter(public_key=public_key, revoked_at__isnull=True, project__isnull=False, project__deleted_at__isnull=True)
        .first()
    )


# When this process last asked the shared cache about a key's use (monotonic seconds): within
# the resolution it does not ask again, which saves a cache round trip on most requests.
_asked: dict[str, float] = {}


def _touch(key: ApiKey) -> None:
    """Record last use at most once a minute per key, without loading the row again."""
    seconds = settings.API_KEY_LAST_USED_RESOLUTION_SECONDS
    moment = time.monotonic()
    if moment - _asked.get(key.id, -seconds) < seconds:
        return
    if len(_asked) >= 10_000:
        _asked.clear()
    _asked[key.id] = moment
    now = timezone.now()
    resolution = timedelta(seconds=seconds)
    if cache.add(f"apikey-used:{key.id}", 1, settings.API_KEY_LAST_USED_RESOLUTION_SECONDS):
        if key.last_used_at is None or now - key.last_used_at >= resolution:
            ApiKey.objects.filter(id=key.id).update(last_used_at=now)
            key.last_used_at = now

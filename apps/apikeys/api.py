"""Public API (organization key): project API keys, and the organization's own keys."""

from django.http import HttpRequest
from ninja import Schema
from pydantic import ConfigDict

from apps.apikeys.models import ApiKey
from apps.apikeys.services import api_key_create, api_key_list, api_key_revoke
from apps.core.api import TenantRouter
from apps.core.schemas import IsoDateTime
from apps.projects.selectors import project_get

router = TenantRouter(tags=["API keys"])


class ApiKeySummaryOut(Schema):
    id: str
    createdAt: IsoDateTime
    expiresAt: IsoDateTime | None
    lastUsedAt: IsoDateTime | None
    note: str | None
    publicKey: str
    displaySecretKey: str


class ApiKeyListOut(Schema):
    apiKeys: list[ApiKeySummaryOut]


class ApiKeyCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")
    note: str | None = None
    publicKey: str | None = None
    secretKey: str | None = None


class ApiKeyCreatedOut(Schema):
    id: str
    createdAt: IsoDateTime
    publicKey: str
    secretKey: str
    displaySecretKey: str
    note: str | None


class ApiKeyDeletionOut(Schema):
    success: bool


def _summary(key: ApiKey) -> dict:
    return {
        "id": key.id,
        "createdAt": key.created_at,
        "expiresAt": key.expires_at,
        "lastUsedAt": key.last_used_at,
        "note": key.note or None,
        "publicKey": key.public_key,
        "displaySecretKey": key.display_secret_key,
    }


@router.get("/projects/{project_id}/apiKeys", scope="apikeys:read", response=ApiKeyListOut)
def project_api_key_list(request: HttpRequest, project_id: str):
    project = project_get(access=request.auth, project_id=project_id)
    return {"apiKeys": [_summary(k) for k in api_key_list(access=request.auth, project=project)]}


@router.post("/projects/{project_id}/apiKeys", scope="apikeys:write", response=ApiKeyCreatedOut)
def project_api_key_create(request: HttpRequest, project_id: str, body: ApiKeyCreateIn):
    project = project_get(access=request.auth, project_id=project_id)
    key, secret = api_key_create(
        access=request.auth, project=project, note=body.note, public_key=body.publicKey, secret_key=body.secretKey
    )
    return {
        "id": key.id,
        "createdAt": key.created_at,
        "publicKey": key.public_key,
        "secretKey": secret,
        "displaySecretKey": key.display_secret_key,
        "note": key.note or None,
    }


@router.delete("/projects/{project_id}/apiKeys/{key_id}", scope="apikeys:write", response=ApiKeyDeletionOut)
def project_api_key_delete(request: HttpRequest, project_id: str, key_id: str):
    project = project_get(access=request.auth, project_id=project_id)
    api_key_revoke(access=request.auth, key_id=key_id, project=project)
    return {"success": True}


@router.get("/organizations/apiKeys", scope="apikeys:read", response=ApiKeyListOut)
def organization_api_key_list(request: HttpRequest):
    """The organization's own (organization-level) keys."""
    return {"apiKeys": [_summary(k) for k in api_key_list(access=request.auth, project=None)]}

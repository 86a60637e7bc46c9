"""Public API: POST /media (upload URL), PATCH /media/{id} (upload result), GET /media/{id}."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Schema, Status
from pydantic import ConfigDict, Field

from apps.core.api import TenantRouter
from apps.core.schemas import IsoDateTime
from apps.media import services

router = TenantRouter(tags=["Media"])

ContentType = Literal[
    "image/png",
    "image/jpeg",
    "image/jpg",
    "image/webp",
    "image/gif",
    "image/svg+xml",
    "image/tiff",
    "image/bmp",
    "image/avif",
    "image/heic",
    "audio/mpeg",
    "audio/mp3",
    "audio/wav",
    "audio/ogg",
    "audio/oga",
    "audio/aac",
    "audio/mp4",
    "audio/flac",
    "audio/opus",
    "audio/webm",
    "video/mp4",
    "video/webm",
    "video/ogg",
    "video/mpeg",
    "video/quicktime",
    "video/x-msvideo",
    "video/x-matroska",
    "text/plain",
    "text/html",
    "text/css",
    "text/csv",
    "text/markdown",
    "text/x-python",
    "application/javascript",
    "text/x-typescript",
    "application/x-yaml",
    "application/pdf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/zip",
    "application/json",
    "application/xml",
    "application/octet-stream",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/rtf",
    "application/x-ndjson",
    "application/vnd.apache.parquet",
    "application/gzip",
    "application/x-tar",
    "application/x-7z-compressed",
]


class UploadUrlIn(Schema):
    model_config = ConfigDict(extra="forbid")
    traceId: str | None = None
    observationId: str | None = None
    datasetId: str | None = None
    datasetItemId: str | None = None
    contentType: ContentType
    contentLength: int
    sha256Hash: str = Field(max_length=64)
    field: str


class UploadUrlOut(Schema):
    uploadUrl: str | None
    mediaId: str


class PatchIn(Schema):
    uploadedAt: datetime
    uploadHttpStatus: int
    uploadHttpError: str | None = None
    uploadTimeMs: int | None = None


class MediaOut(Schema):
    mediaId: str
    contentType: str
    contentLength: int
    uploadedAt: IsoDateTime
    url: str
    urlExpiry: IsoDateTime


@router.post("/media", scope="traces:write", response=UploadUrlOut)
def media_upload_url(request: HttpRequest, body: UploadUrlIn):
    media_id, url = services.media_upload_url(
        access=request.auth,
        content_type=body.contentType,
        content_length=body.contentLength,
        sha256_hash=body.sha256Hash,
        field=body.field,
        trace_id=body.traceId,
        observation_id=body.observationId,
        dataset_id=body.datasetId,
        dataset_item_id=body.datasetItemId,
    )
    return {"mediaId": media_id, "uploadUrl": url.url if url else None}


@router.patch("/media/{media_id}", scope="traces:write", response={204: None})
def media_patch(request: HttpRequest, media_id: str, body: PatchIn):
    services.media_record_upload(
        access=request.auth,
        media_id=media_id,
        uploaded_at=body.uploadedAt,
        status=body.uploadHttpStatus,
        error=body.uploadHttpError,
        time_ms=body.uploadTimeMs,
    )
    return Status(204, None)


@router.get("/media/{media_id}", scope="traces:read", response=MediaOut)
def media_get(request: HttpRequest, media_id: str):
    media, url = services.media_get(access=request.auth, media_id=media_id)
    return {
        "mediaId": media.id,
        "contentType": media.content_type,
        "contentLength": media.content_length,
        "uploadedAt": media.uploaded_at,
        "url": url.url,
        "urlExpiry": timezone.now() + url.expires_in,
    }

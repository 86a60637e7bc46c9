"""Media upload registration (POST /media), upload results (PATCH) and signed downloads (GET)."""

import base64
import binascii
import hashlib
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.access import Access
from apps.core.blobs import PresignedUrl, blob_store
from apps.core.errors import InvalidRequest, NotFound
from apps.media.models import Media, MediaReference


def media_id_for(sha256_b64: str) -> str:
    """The id the SDKs compute themselves: the URL-safe base64 SHA-256, first 22 characters."""
    try:
        digest = base64.b64decode(sha256_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest("sha256Hash must be the base64 SHA-256 of the content") from None
    if len(digest) != 32:
        raise InvalidRequest("sha256Hash must be the base64 SHA-256 of the content")
    return base64.urlsafe_b64encode(digest).decode()[:22]


def _ttl() -> timedelta:
    return timedelta(seconds=settings.MEDIA_URL_TTL_SECONDS)


def media_upload_url(
    *,
    access: Access,
    content_type: str,
    content_length: int,
    sha256_hash: str,
    field: str,
    trace_id: str | None = None,
    observation_id: str | None = None,
    dataset_id: str | None = None,
    dataset_item_id: str | None = None,
) -> tuple[str, PresignedUrl | None]:
    """Register media for a trace/observation or a dataset item; returns (mediaId, upload URL or None).

    The URL is None when the same content was already uploaded to this project.
    """
    access.require("traces:write")
    if (trace_id is None) == (dataset_item_id is None) or (observation_id and not trace_id):
        raise InvalidRequest("give either traceId (optionally with observationId) or datasetItemId")
    if not 0 < content_length <= settings.MEDIA_MAX_BYTES:
        raise InvalidRequest(f"contentLength must be between 1 and {settings.MEDIA_MAX_BYTES} bytes")
    if not field or len(field) > 100:
        raise InvalidRequest("field must be 1-100 characters")
    media_id = media_id_for(sha256_hash)
    project_id = access.project.id
    with transaction.atomic():
        media, _ = Media.objects.select_for_update().get_or_create(
            project_id=project_id,
            id=media_id,
            defaults={
                "sha256_hash": sha256_hash,
                "content_type": content_type,
                "content_length": content_length,
                "storage_key": f"media/{project_id}/{media_id}",
            },
        )
        try:
            MediaReference.objects.get_or_create(
                project_id=project_id,
                media_id=media_id,
                trace_id=trace_id,
                observation_id=observation_id,
                dataset_id=dataset_id,
                dataset_item_id=dataset_item_id,
                field=field,
            )
        except IntegrityError:
            pass  # a concurrent request recorded the same reference
        if media.is_uploaded:
            return media_id, None
        if (media.content_type, media.content_length) != (content_type, content_length):
            media.content_type, media.content_length = content_type, content_length
            media.save(update_fields=["content_type", "content_length", "updated_at"])
    url = blob_store().presign_put(
        media.storage_key,
        content_type=content_type,
        content_length=content_length,
        sha256_b64=sha256_hash,
        expires_in=_ttl(),
    )
    return media_id, url


def media_record_upload(
    *, access: Access, media_id: str, uploaded_at: datetime, status: int, error: str | None, time_ms: int | None
) -> None:
    """Store what the SDK reports about its upload; a success makes the media downloadable."""
    access.require("traces:write")
    updated = Media.objects.filter(project_id=access.project.id, id=media_id).update(
        uploaded_at=uploaded_at,
        upload_http_status=status,
        upload_http_error=error,
        upload_time_ms=time_ms,
        updated_at=timezone.now(),
    )
    if not updated:
        raise NotFound(f"Media {media_id} not found within authorized project")


def media_get(*, access: Access, media_id: str) -> tuple[Media, PresignedUrl]:
    """The uploaded media and a signed, expiring download URL; NotFound until an upload succeeded."""
    access.require("traces:read")
    media = Media.objects.filter(project_id=access.project.id, id=media_id).first()
    if media is None or not media.is_uploaded:
        raise NotFound(f"Media {media_id} not found or not uploaded yet")
    return media, blob_store().presign_get(media.storage_key, content_type=media.content_type, expires_in=_ttl())


class UploadRejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def media_store_local_upload(
    *, payload: dict, content_type: str, stream: BinaryIO, checksum_header: str | None
) -> None:
    """Receive the bytes of a local presigned PUT, enforcing type, length and SHA-256 while streaming."""
    if content_type.split(";")[0].strip() != payload["ct"]:
        raise UploadRejected(400, "Content-Type does not match the registered media type")
    if checksum_header and checksum_header != payload["sha"]:
        raise UploadRejected(400, "x-amz-checksum-sha256 does not match the registered hash")
    store = blob_store()
    digest, size = hashlib.sha256(), 0
    with store.staging_file() as staged:
        try:
            while chunk := stream.read(64 * 1024):
                size += len(chunk)
                if size > payload["len"]:
                    raise UploadRejected(413, "More bytes than the registered contentLength")
                digest.update(chunk)
                staged.write(chunk)
            if size != payload["len"]:
                raise UploadRejected(400, "Fewer bytes than the registered contentLength")
            if base64.b64encode(digest.digest()).decode() != payload["sha"]:
                raise UploadRejected(400, "Content does not match the registered SHA-256")
        except UploadRejected:
            os.unlink(staged.name)
            raise
    store.adopt(payload["k"], Path(staged.name))

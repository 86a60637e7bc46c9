"""Storing real media through the media services, as an SDK upload would."""

import base64
import hashlib
import io
import struct
import zlib

from django.utils import timezone

from apps.core.access import system_access
from apps.media.services import media_record_upload, media_store_local_upload, media_upload_url


def tiny_png(size: int = 2) -> bytes:
    """A valid red PNG of size x size pixels, built here so the tests need no image files."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\xff\x00\x00" * size for _ in range(size)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def store_media(project, content: bytes, content_type: str, *, trace_id: str, field: str = "output") -> str:
    """Register, upload and confirm media for a trace of `project`; returns the media id."""
    access = system_access(project.organization, project)
    sha = base64.b64encode(hashlib.sha256(content).digest()).decode()
    media_id, url = media_upload_url(
        access=access,
        content_type=content_type,
        content_length=len(content),
        sha256_hash=sha,
        field=field,
        trace_id=trace_id,
    )
    if url is not None:
        payload = {"k": f"media/{project.id}/{media_id}", "ct": content_type, "len": len(content), "sha": sha}
        media_store_local_upload(
            payload=payload, content_type=content_type, stream=io.BytesIO(content), checksum_header=sha
        )
        media_record_upload(
            access=access, media_id=media_id, uploaded_at=timezone.now(), status=200, error=None, time_ms=1
        )
    return media_id


def reference(media_id: str, content_type: str) -> str:
    """The string a Langfuse SDK writes in place of the bytes."""
    return f"@@@langfuseMedia:type={content_type}|id={media_id}|source=bytes@@@"

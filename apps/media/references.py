"""Media reference strings that the Langfuse SDKs put in place of base64 media.

`@@@langfuseMedia:type=image/png|id=<mediaId>|source=bytes@@@` replaces the bytes in a trace's
or an observation's input, output or metadata. The console renders only the types listed here:
images and audio inline, a few inert document types as downloads, nothing that a browser would
run (HTML, SVG, scripts) since the bytes are served from our own origin.
"""

import re
import typing
from dataclasses import dataclass
from typing import Any

from apps.media.api import ContentType

REFERENCE = re.compile(r"@@@langfuseMedia:([^@]{1,300}?)@@@")
MAX_REFERENCES = 50  # per rendered value: a trace with thousands of images shows the first ones

_UPLOADABLE = typing.get_args(ContentType)  # what the SDKs may upload (Langfuse's content types)
# Shown inline: every uploadable image and audio type a browser plays safely (SVG can carry
# script; TIFF and HEIC do not display in most browsers and are offered as downloads instead).
IMAGE_TYPES = frozenset(t for t in _UPLOADABLE if t.startswith("image/")) - {
    "image/svg+xml",
    "image/tiff",
    "image/heic",
}
AUDIO_TYPES = frozenset(t for t in _UPLOADABLE if t.startswith("audio/"))
FILE_TYPES = frozenset(
    {"application/pdf", "text/plain", "text/csv", "application/json", "application/x-ndjson", "video/mp4", "video/webm"}
)


@dataclass(frozen=True)
class MediaMention:
    """One reference found in a stored value: the id and the type the SDK declared."""

    media_id: str
    declared_type: str


def mentions_in(value: Any, *, limit: int = MAX_REFERENCES) -> list[MediaMention]:
    """Every distinct reference in a JSON value (strings anywhere in it), in document order."""
    found: dict[str, MediaMention] = {}
    stack = [value]
    while stack and len(found) < limit:
        item = stack.pop()
        if isinstance(item, str):
            for match in REFERENCE.finditer(item):
                mention = _mention(match.group(1))
                if mention and mention.media_id not in found and len(found) < limit:
                    found[mention.media_id] = mention
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return list(found.values())


def media_kind(content_type: str) -> str | None:
    """How the console shows a stored type: "image", "audio", "file" (download), or None (not at all)."""
    if content_type in IMAGE_TYPES:
        return "image"
    if content_type in AUDIO_TYPES:
        return "audio"
    if content_type in FILE_TYPES:
        return "file"
    return None


def _mention(body: str) -> MediaMention | None:
    fields = dict(part.split("=", 1) for part in body.split("|") if "=" in part)
    media_id = fields.get("id", "")
    if not media_id or len(media_id) > 22:
        return None
    return MediaMention(media_id=media_id, declared_type=fields.get("type", ""))

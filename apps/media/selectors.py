"""Reads of media for the console."""

from dataclasses import dataclass
from typing import Any

from apps.media.models import Media
from apps.media.references import MediaMention, media_kind, mentions_in


@dataclass(frozen=True)
class MediaItem:
    """A reference as the console shows it; `kind` is None when it must not be shown or served."""

    media_id: str
    content_type: str
    kind: str | None
    available: bool


def media_items(*, project_id: str, values: dict[str, Any]) -> dict[str, list[MediaItem]]:
    """The media referenced in each named value, resolved against this project's uploaded media (one query).

    A reference to an id that this project does not hold (another project's, or never uploaded)
    comes back unavailable, so nothing of another tenant is ever linked.
    """
    mentions: dict[str, list[MediaMention]] = {name: mentions_in(value) for name, value in values.items()}
    ids = {m.media_id for found in mentions.values() for m in found}
    stored = (
        {media.id: media for media in Media.objects.filter(project_id=project_id, id__in=ids) if media.is_uploaded}
        if ids
        else {}
    )
    items: dict[str, list[MediaItem]] = {}
    for name, found in mentions.items():
        items[name] = []
        for mention in found:
            media = stored.get(mention.media_id)
            content_type = media.content_type if media else mention.declared_type
            kind = media_kind(media.content_type) if media else None
            items[name].append(MediaItem(mention.media_id, content_type, kind, media is not None))
    return items

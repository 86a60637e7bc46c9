"""Writes to comments."""

from django.db import transaction

from apps.core.access import Access
from apps.core.errors import InvalidRequest
from apps.scores.models import Comment

MAX_COMMENT_CHARS = 5000


def comment_create(
    *, access: Access, object_type: str, object_id: str, content: str, author_user_id: str | None = None
) -> Comment:
    """A comment on an object of the access's project (1-5000 characters)."""
    access.require("scores:write")
    object_type = (object_type or "").upper()
    if object_type not in Comment.OBJECT_TYPES:
        raise InvalidRequest(f"objectType must be one of {', '.join(Comment.OBJECT_TYPES)}")
    if not object_id or len(object_id) > 800:
        raise InvalidRequest("objectId must be 1-800 characters")
    content = (content or "").strip()
    if not 1 <= len(content) <= MAX_COMMENT_CHARS:
        raise InvalidRequest(f"content must be 1-{MAX_COMMENT_CHARS} characters")
    if author_user_id is not None and not 1 <= len(author_user_id) <= 30:
        raise InvalidRequest("authorUserId must be 1-30 characters")
    author = author_user_id or (access.user.id if access.user else None)
    with transaction.atomic():
        return Comment.objects.create(
            project_id=access.project.id,
            object_type=object_type,
            object_id=object_id,
            content=content,
            author_user_id=author,
        )

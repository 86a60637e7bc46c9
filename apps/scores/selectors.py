"""Reads of comments for the console."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model

from apps.scores.models import Comment

MAX_COMMENTS_SHOWN = 200


@dataclass(frozen=True)
class CommentView:
    id: str
    object_type: str
    object_id: str
    content: str
    author: str  # the author's display name, or "" for comments made with an API key
    created_at: datetime


def comment_list_for(*, project_id: str, objects: list[tuple[str, str]]) -> list[CommentView]:
    """Comments on the given (object type, object id) pairs of the project, oldest first, with authors."""
    if not objects:
        return []
    comments = Comment.objects.none()
    for object_type, object_id in objects:
        comments = comments | Comment.objects.filter(
            project_id=project_id, object_type=object_type, object_id=object_id
        )
    rows = list(comments.order_by("-created_at", "-id")[:MAX_COMMENTS_SHOWN])[::-1]
    author_ids = {c.author_user_id for c in rows if c.author_user_id}
    # authorUserId comes from API clients: name only members of this project's organization.
    members = get_user_model().objects.filter(pk__in=author_ids, memberships__organization__projects__id=project_id)
    authors = {str(u.pk): u.display_name for u in members}
    return [
        CommentView(c.id, c.object_type, c.object_id, c.content, authors.get(c.author_user_id or "", ""), c.created_at)
        for c in rows
    ]

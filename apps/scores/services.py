"""Writes to comments and scores."""

from django.db import transaction

from apps.audit.services import audit_record
from apps.core.access import Access
from apps.core.errors import InvalidRequest, NotFound
from apps.scores.models import Comment, Score

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


def score_delete(*, access: Access, score_id: str) -> None:
    """Delete a score of the access's project (any kind: trace, observation, session, dataset run); audited."""
    access.require("scores:write")
    project_id = access.project.id
    with transaction.atomic():
        score = Score.objects.select_for_update().filter(project_id=project_id, id=score_id).first()
        if score is None:
            raise NotFound(f"Score {score_id} not found within authorized project")
        Score.objects.filter(project_id=project_id, id=score_id).delete()
        audit_record(
            access=access,
            action="score.delete",
            target_type="score",
            target_id=score_id,
            before={
                "name": score.name,
                "dataType": score.data_type,
                "value": score.value,
                "stringValue": score.string_value,
                "traceId": score.trace_id,
                "observationId": score.observation_id,
                "sessionId": score.session_id,
                "datasetRunId": score.dataset_run_id,
            },
        )

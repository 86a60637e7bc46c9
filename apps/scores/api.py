"""Public API: /comments (list, create, get)."""

from django.http import HttpRequest
from ninja import Query, Schema
from pydantic import ConfigDict

from apps.core.api import TenantRouter
from apps.core.errors import InvalidRequest, NotFound
from apps.core.pagination import PageMeta, PageParams, paginate
from apps.core.schemas import IsoDateTime
from apps.scores import services
from apps.scores.models import Comment

router = TenantRouter(tags=["Comments"])


class CommentOut(Schema):
    id: str
    projectId: str
    createdAt: IsoDateTime
    updatedAt: IsoDateTime
    objectType: str
    objectId: str
    content: str
    authorUserId: str | None


class CommentsOut(Schema):
    data: list[CommentOut]
    meta: PageMeta


class CommentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    projectId: str
    objectType: str
    objectId: str
    content: str
    authorUserId: str | None = None


class CommentFilters(PageParams):
    objectType: str | None = None
    objectId: str | None = None
    authorUserId: str | None = None


class CommentCreatedOut(Schema):
    id: str


def _out(comment: Comment) -> dict:
    return {
        "id": comment.id,
        "projectId": comment.project_id,
        "createdAt": comment.created_at,
        "updatedAt": comment.updated_at,
        "objectType": comment.object_type,
        "objectId": comment.object_id,
        "content": comment.content,
        "authorUserId": comment.author_user_id,
    }


@router.get("/comments", scope="scores:read", response=CommentsOut)
def comment_list(request: HttpRequest, params: Query[CommentFilters]):
    comments = Comment.objects.filter(project_id=request.auth.project.id)
    if params.objectType:
        comments = comments.filter(object_type=params.objectType.upper())
    if params.objectId:
        comments = comments.filter(object_id=params.objectId)
    if params.authorUserId:
        comments = comments.filter(author_user_id=params.authorUserId)
    items, meta = paginate(comments.order_by("-created_at", "-id"), params)
    return {"data": [_out(c) for c in items], "meta": meta}


@router.post("/comments", scope="scores:write", response=CommentCreatedOut)
def comment_create(request: HttpRequest, body: CommentIn):
    if body.projectId != request.auth.project.id:
        raise InvalidRequest("projectId must be the project of the API key")
    comment = services.comment_create(
        access=request.auth,
        object_type=body.objectType,
        object_id=body.objectId,
        content=body.content,
        author_user_id=body.authorUserId,
    )
    return {"id": comment.id}


@router.get("/comments/{comment_id}", scope="scores:read", response=CommentOut)
def comment_get(request: HttpRequest, comment_id: str):
    comment = Comment.objects.filter(project_id=request.auth.project.id, id=comment_id).first()
    if comment is None:
        raise NotFound(f"Comment {comment_id} not found within authorized project")
    return _out(comment)

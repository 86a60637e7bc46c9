"""Public API: /comments (list, create, get) and scores (v2 list and get, v3 list, delete)."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Schema, Status
from pydantic import BaseModel, ConfigDict, Field

from apps.core.api import TenantRouter
from apps.core.errors import InvalidRequest, NotFound
from apps.core.pagination import PageMeta, PageParams, paginate
from apps.core.schemas import IsoDateTime
from apps.scores import queries, scores_v3, services
from apps.scores.models import Comment
from apps.traces.api import ScoreOut
from apps.traces.serializers import score_dict

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


# --- Scores ------------------------------------------------------------------------------------

ScoreSource = Literal["ANNOTATION", "API", "EVAL"]
ScoreDataType = Literal["NUMERIC", "BOOLEAN", "CATEGORICAL", "CORRECTION", "TEXT"]


class ScoreTraceOut(BaseModel):
    userId: str | None
    tags: list[str] | None
    environment: str | None
    sessionId: str | None


class ScoreWithTraceOut(ScoreOut):
    trace: ScoreTraceOut | None = None


class ScoresOut(Schema):
    data: list[ScoreWithTraceOut]
    meta: PageMeta


class ScoreFilters(PageParams):
    userId: str | None = None
    name: str | None = None
    fromTimestamp: datetime | None = None
    toTimestamp: datetime | None = None
    environment: list[str] = Field(default_factory=list)
    source: ScoreSource | None = None
    operator: str | None = None
    value: float | None = None
    scoreIds: str | None = None
    configId: str | None = None
    sessionId: str | None = None
    datasetRunId: str | None = None
    traceId: str | None = None
    observationId: str | None = None
    queueId: str | None = None
    dataType: ScoreDataType | None = None
    traceTags: list[str] = Field(default_factory=list)
    fields: str | None = None
    filter: str | None = None


@router.get("/v2/scores", scope="scores:read", response=ScoresOut, exclude_unset=True, tags=["Scores"])
def score_list(request: HttpRequest, params: Query[ScoreFilters]):
    return _scores_page(request, params)


@router.get(
    "/scores",
    scope="scores:read",
    response=ScoresOut,
    exclude_unset=True,
    tags=["Scores"],
    summary="List a project's trace scores (legacy v1 route of the Python SDK 2.x; not in Langfuse's OpenAPI document)",
)
def score_list_v1(request: HttpRequest, params: Query[ScoreFilters]):
    # Reached through apps.ingestion.views.scores_route, which owns the path (its POST creates).
    # Only scores SDK 2.x can parse (queries.V1_DATA_TYPES, of a trace), as Langfuse's v1 route.
    return _scores_page(request, params, v1=True)


def _scores_page(request: HttpRequest, params: ScoreFilters, *, v1: bool = False) -> dict:
    groups = queries.v2_groups(params.fields)
    if "trace" not in groups and (params.userId is not None or params.traceTags):
        raise InvalidRequest("filtering by userId or traceTags needs the 'trace' field group")
    project_id = request.auth.project.id
    scores = queries.score_list(
        project_id=project_id,
        user_id=params.userId,
        name=params.name,
        from_timestamp=params.fromTimestamp,
        to_timestamp=params.toTimestamp,
        environments=params.environment,
        source=params.source,
        operator=params.operator,
        value=params.value,
        score_ids=queries.csv(params.scoreIds),
        config_id=params.configId,
        session_id=params.sessionId,
        dataset_run_id=params.datasetRunId,
        trace_id=params.traceId,
        observation_ids=queries.csv(params.observationId),
        queue_id=params.queueId,
        data_type=params.dataType,
        trace_tags=params.traceTags,
        filter_json=params.filter,
        v1=v1,
    )
    rows, meta = paginate(scores, params)
    data = [score_dict(s) for s in rows]
    if "trace" in groups:
        traces = queries.trace_data(project_id=project_id, trace_ids={s.trace_id for s in rows if s.trace_id})
        for item in data:
            item["trace"] = traces.get(item["traceId"]) if item["traceId"] else None
    return {"data": data, "meta": meta}


@router.get("/v2/scores/{score_id}", scope="scores:read", response=ScoreOut, tags=["Scores"])
def score_get(request: HttpRequest, score_id: str):
    return score_dict(queries.score_get(project_id=request.auth.project.id, score_id=score_id))


@router.get(
    "/scores/{score_id}",
    scope="scores:read",
    response=ScoreOut,
    tags=["Scores"],
    summary="Get a trace's score (legacy v1 route of the Python SDK 2.x; not in Langfuse's OpenAPI document)",
)
def score_get_v1(request: HttpRequest, score_id: str):
    # Only a score SDK 2.x can parse (queries.V1_DATA_TYPES, of a trace), as Langfuse's v1 route.
    return score_dict(queries.score_get(project_id=request.auth.project.id, score_id=score_id, v1=True))


@router.delete("/scores/{score_id}", scope="scores:write", response={204: None}, tags=["Scores"])
def score_delete(request: HttpRequest, score_id: str):
    services.score_delete(access=request.auth, score_id=score_id)
    return Status(204, None)


class ScoresV3Meta(Schema):
    limit: int
    cursor: str | None = None


class ScoresV3Out(Schema):
    data: list[dict[str, Any]]
    meta: ScoresV3Meta


@router.get("/v3/scores", scope="scores:read", response=ScoresV3Out, exclude_unset=True, tags=["Scores"])
def score_list_v3(request: HttpRequest, params: Query[scores_v3.Filters]):
    groups = scores_v3.parse_groups(params.fields)
    limit = params.limit or 50
    rows, cursor = scores_v3.score_page(project_id=request.auth.project.id, limit=limit, cursor=params.cursor, f=params)
    meta = {"limit": limit, "cursor": cursor} if cursor else {"limit": limit}
    return {"data": [scores_v3.score_v3_dict(s, groups) for s in rows], "meta": meta}

"""Public read API: /traces, /observations (v1), /sessions, with Langfuse's shapes."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Schema
from pydantic import BaseModel, ConfigDict, Field

from apps.core.api import TenantRouter
from apps.core.errors import InvalidRequest
from apps.core.pagination import PageMeta, PageParams, paginate
from apps.core.schemas import IsoDateTime, iso_ms
from apps.ingestion.api import legacy_trace_create
from apps.traces import serializers, services
from apps.traces.queries import filters, metrics, observations_v2
from apps.traces.queries import traces as queries

router = TenantRouter(tags=["Traces"])

Level = Literal["DEBUG", "DEFAULT", "WARNING", "ERROR"]


class _Open(BaseModel):
    # Plain pydantic models for rows: validating a dict natively is many times faster than
    # ninja's attribute-getter path, which matters for a trace with thousands of observations.
    model_config = ConfigDict(extra="allow")


class TraceOut(_Open):
    id: str
    timestamp: IsoDateTime
    name: str | None
    input: Any
    output: Any
    sessionId: str | None
    release: str | None
    version: str | None
    userId: str | None
    metadata: Any
    tags: list[str]
    public: bool
    environment: str


class TraceWithDetailsOut(TraceOut):
    htmlPath: str
    latency: float | None
    totalCost: float | None
    observations: list[str]
    scores: list[str]


class UsageOut(BaseModel):
    input: int
    output: int
    total: int
    unit: str | None
    inputCost: float | None = None
    outputCost: float | None = None
    totalCost: float | None = None


class ObservationOut(_Open):
    id: str
    traceId: str | None
    type: str
    name: str | None
    startTime: IsoDateTime
    endTime: IsoDateTime | None
    completionStartTime: IsoDateTime | None
    model: str | None
    modelParameters: Any
    input: Any
    version: str | None
    metadata: Any
    output: Any
    usage: UsageOut
    level: Level
    statusMessage: str | None
    parentObservationId: str | None
    promptId: str | None
    usageDetails: dict[str, int]
    costDetails: dict[str, float | None]
    environment: str
    promptName: str | None
    promptVersion: int | None
    modelId: str | None
    inputPrice: float | None
    outputPrice: float | None
    totalPrice: float | None
    calculatedInputCost: float | None
    calculatedOutputCost: float | None
    calculatedTotalCost: float | None
    latency: float | None
    timeToFirstToken: float | None
    createdAt: IsoDateTime
    updatedAt: IsoDateTime
    # LangOps extension: provided | computed | pending | unknown (no price) | none (no model)
    costStatus: str


class ScoreOut(_Open):
    id: str
    traceId: str | None
    name: str
    source: str
    observationId: str | None
    timestamp: IsoDateTime
    createdAt: IsoDateTime
    updatedAt: IsoDateTime
    authorUserId: str | None
    comment: str | None
    metadata: Any
    configId: str | None
    queueId: str | None
    environment: str
    dataType: str
    value: float
    stringValue: str | None = None


class TraceFullOut(TraceOut):
    htmlPath: str
    latency: float | None
    totalCost: float | None
    observations: list[ObservationOut]
    scores: list[ScoreOut]


class TracesOut(Schema):
    data: list[TraceWithDetailsOut]
    meta: PageMeta


class ObservationsOut(Schema):
    data: list[ObservationOut]
    meta: PageMeta


class SessionOut(_Open):
    id: str
    createdAt: IsoDateTime
    projectId: str
    environment: str


class SessionsOut(Schema):
    data: list[SessionOut]
    meta: PageMeta


class SessionWithTracesOut(SessionOut):
    traces: list[TraceOut]


class TraceFilters(PageParams):
    userId: str | None = None
    name: str | None = None
    sessionId: str | None = None
    fromTimestamp: datetime | None = None
    toTimestamp: datetime | None = None
    orderBy: str | None = None
    tags: list[str] = Field(default_factory=list)
    version: str | None = None
    release: str | None = None
    environment: list[str] = Field(default_factory=list)
    fields: str | None = None
    filter: str | None = None


class ObservationFilters(PageParams):
    name: str | None = None
    userId: str | None = None
    type: str | None = None
    traceId: str | None = None
    level: Level | None = None
    parentObservationId: str | None = None
    environment: list[str] = Field(default_factory=list)
    fromStartTime: datetime | None = None
    toStartTime: datetime | None = None
    version: str | None = None
    filter: str | None = None


class SessionFilters(PageParams):
    fromTimestamp: datetime | None = None
    toTimestamp: datetime | None = None
    environment: list[str] = Field(default_factory=list)


class DeleteTracesIn(Schema):
    model_config = ConfigDict(extra="forbid")
    traceIds: list[str]


class DeleteOut(Schema):
    message: str


def _filtered(queryset, text: str | None, columns):
    """The simple parameters' queryset narrowed by the JSON `filter` grammar."""
    return filters.apply(queryset, filters.parse(text), columns)


def _observations(project_id: str, rows) -> list[dict[str, Any]]:
    prices = queries.model_prices(model_ids={o.model_id for o in rows if o.model_id})
    return [serializers.observation_dict(o, prices) for o in rows]


@router.get("/traces", scope="traces:read", response=TracesOut)
def trace_list(request: HttpRequest, params: Query[TraceFilters]):
    project_id = request.auth.project.id
    rows, meta = paginate(
        _filtered(
            queries.trace_list(
                project_id=project_id,
                user_id=params.userId,
                name=params.name,
                session_id=params.sessionId,
                from_timestamp=params.fromTimestamp,
                to_timestamp=params.toTimestamp,
                order_by=params.orderBy,
                tags=params.tags,
                version=params.version,
                release=params.release,
                environments=params.environment,
            ),
            params.filter,
            filters.TRACE_COLUMNS,
        ),
        params,
    )
    observations, scores = queries.ids_by_trace(project_id=project_id, trace_ids=[t.id for t in rows])
    groups = _trace_groups(params.fields)
    data = []
    for t in rows:
        item = {
            **serializers.trace_dict(t),
            **serializers.trace_details(t),
            "observations": observations.get(t.id, []) if "observations" in groups else [],
            "scores": scores.get(t.id, []) if "scores" in groups else [],
        }
        if "io" not in groups:
            item.update(input=None, output=None, metadata=None)
        if "metrics" not in groups:
            item.update(latency=-1, totalCost=-1)
        data.append(item)
    return {"data": data, "meta": meta}


TRACE_GROUPS = {"core", "io", "scores", "observations", "metrics"}


def _trace_groups(value: str | None) -> set[str]:
    """Langfuse's `fields` on /traces: excluded arrays come back empty, excluded metrics as -1."""
    if not value:
        return set(TRACE_GROUPS)
    groups = {g.strip() for g in value.split(",") if g.strip()}
    if groups - TRACE_GROUPS:
        raise InvalidRequest(f"unknown field groups: {', '.join(sorted(groups - TRACE_GROUPS))}")
    return groups | {"core"}


router.post(
    "/traces",
    scope="traces:write",
    response={200: dict[str, str], 400: dict[str, Any]},
    summary="Create a trace (legacy single-object route of old SDKs)",
)(legacy_trace_create)


@router.get("/traces/{trace_id}", scope="traces:read", response=TraceFullOut)
def trace_get(request: HttpRequest, trace_id: str):
    project_id = request.auth.project.id
    trace = queries.trace_get(project_id=project_id, trace_id=trace_id)
    return {
        **serializers.trace_dict(trace),
        **serializers.trace_details(trace),
        "observations": _observations(project_id, queries.trace_observations(project_id=project_id, trace_id=trace.id)),
        "scores": [serializers.score_dict(s) for s in queries.trace_scores(project_id=project_id, trace_id=trace.id)],
    }


@router.delete("/traces/{trace_id}", scope="traces:delete", response=DeleteOut)
def trace_delete(request: HttpRequest, trace_id: str):
    services.traces_delete(access=request.auth, trace_ids=[trace_id])
    return {"message": "Trace deleted successfully"}


@router.delete("/traces", scope="traces:delete", response=DeleteOut)
def traces_delete(request: HttpRequest, body: DeleteTracesIn):
    services.traces_delete(access=request.auth, trace_ids=body.traceIds)
    return {"message": "Traces deleted successfully"}


@router.get("/observations", scope="traces:read", response=ObservationsOut)
def observation_list(request: HttpRequest, params: Query[ObservationFilters]):
    project_id = request.auth.project.id
    rows, meta = paginate(
        _filtered(
            queries.observation_list(
                project_id=project_id,
                name=params.name,
                user_id=params.userId,
                type=params.type,
                trace_id=params.traceId,
                level=params.level,
                parent_observation_id=params.parentObservationId,
                environments=params.environment,
                from_start_time=params.fromStartTime,
                to_start_time=params.toStartTime,
                version=params.version,
            ),
            params.filter,
            filters.OBSERVATION_COLUMNS,
        ),
        params,
    )
    return {"data": _observations(project_id, rows), "meta": meta}


@router.get("/observations/{observation_id}", scope="traces:read", response=ObservationOut)
def observation_get(request: HttpRequest, observation_id: str):
    project_id = request.auth.project.id
    return _observations(project_id, [queries.observation_get(project_id=project_id, observation_id=observation_id)])[0]


class ObservationV2Filters(Schema):
    fields: str | None = None
    expandMetadata: str | None = None
    limit: int = Field(50, ge=1, le=1000)
    cursor: str | None = None
    parseIoAsJson: bool | None = None
    name: str | None = None
    userId: str | None = None
    sessionId: str | None = None
    type: str | None = None
    traceId: str | None = None
    level: Level | None = None
    parentObservationId: str | None = None
    isRootObservation: bool | None = None
    environment: list[str] = Field(default_factory=list)
    fromStartTime: datetime | None = None
    toStartTime: datetime | None = None
    version: str | None = None
    filter: str | None = None


class ObservationsV2Meta(Schema):
    cursor: str | None = None


class ObservationsV2Out(Schema):
    data: list[dict[str, Any]]
    meta: ObservationsV2Meta


@router.get("/v2/observations", scope="traces:read", response=ObservationsV2Out, exclude_unset=True)
def observation_list_v2(request: HttpRequest, params: Query[ObservationV2Filters]):
    if params.parseIoAsJson:
        raise InvalidRequest("parseIoAsJson is not supported: input and output are returned as raw strings")
    groups = observations_v2.parse_fields(params.fields)
    project_id = request.auth.project.id
    rows, cursor = observations_v2.observation_page(
        project_id=project_id,
        limit=params.limit,
        cursor=params.cursor,
        filters_json=params.filter,
        filters={
            "name": params.name,
            "type": params.type,
            "trace_id": params.traceId,
            "level": params.level,
            "parent_observation_id": params.parentObservationId,
            "version": params.version,
            "user_id": params.userId,
            "session_id": params.sessionId,
            "is_root": params.isRootObservation,
            "environments": params.environment,
            "from_start_time": params.fromStartTime,
            "to_start_time": params.toStartTime,
        },
    )
    meta = {"cursor": cursor} if cursor else {}
    return {"data": jsonable(observations_v2.observation_v2_dicts(project_id, rows, groups)), "meta": meta}


def jsonable(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Datetimes as Langfuse prints them (data is a free-form list in the response schema)."""
    return [{k: iso_ms(v) if isinstance(v, datetime) else v for k, v in item.items()} for item in items]


class DailyFilters(PageParams):
    traceName: str | None = None
    userId: str | None = None
    tags: list[str] = Field(default_factory=list)
    environment: list[str] = Field(default_factory=list)
    fromTimestamp: datetime | None = None
    toTimestamp: datetime | None = None


class UsageByModelOut(Schema):
    model: str
    inputUsage: int
    outputUsage: int
    totalUsage: int
    countObservations: int
    countTraces: int
    totalCost: float


class DailyMetricsItemOut(Schema):
    date: str
    countTraces: int
    countObservations: int
    totalCost: float
    usage: list[UsageByModelOut]


class DailyMetricsOut(Schema):
    data: list[DailyMetricsItemOut]
    meta: PageMeta


@router.get("/metrics/daily", scope="traces:read", response=DailyMetricsOut)
def metrics_daily(request: HttpRequest, params: Query[DailyFilters]):
    project_id = request.auth.project.id
    traces = queries.trace_list(
        project_id=project_id,
        name=params.traceName,
        user_id=params.userId,
        tags=params.tags,
        environments=params.environment,
        from_timestamp=params.fromTimestamp,
        to_timestamp=params.toTimestamp,
    )
    days = metrics.daily_metrics(traces=traces, project_id=project_id)
    start = (params.page - 1) * params.limit
    total_pages = (len(days) + params.limit - 1) // params.limit
    return {
        "data": days[start : start + params.limit],
        "meta": {"page": params.page, "limit": params.limit, "totalItems": len(days), "totalPages": total_pages},
    }


@router.get("/sessions", scope="traces:read", response=SessionsOut)
def session_list(request: HttpRequest, params: Query[SessionFilters]):
    rows, meta = paginate(
        queries.session_list(
            project_id=request.auth.project.id,
            from_timestamp=params.fromTimestamp,
            to_timestamp=params.toTimestamp,
            environments=params.environment,
        ),
        params,
    )
    return {"data": [serializers.session_dict(s) for s in rows], "meta": meta}


@router.get("/sessions/{session_id}", scope="traces:read", response=SessionWithTracesOut)
def session_get(request: HttpRequest, session_id: str):
    session, traces = queries.session_get(project_id=request.auth.project.id, session_id=session_id)
    return {**serializers.session_dict(session), "traces": [serializers.trace_dict(t) for t in traces]}

"""Reads of scores for the public API: GET /v2/scores (page/limit) and single scores.

Every function takes the project explicitly and filters on it first. Filters that concern the
score's trace (userId, traceTags) go through the trace of the same project.
"""

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from apps.core.errors import InvalidRequest, NotFound
from apps.scores.models import Score
from apps.traces.models import Trace
from apps.traces.queries import filters as grammar
from apps.traces.queries.traces import trace_list

V2_GROUPS = {"score", "trace"}
_VALUE_OPS = {"<": "lt", ">": "gt", "<=": "lte", ">=": "gte", "=": "exact"}


def _column(field: str, kinds: str) -> grammar.Column:
    return grammar.Column(field, frozenset(kinds.split()))


# Columns of the JSON `filter` parameter on /v2/scores.
SCORE_COLUMNS = {
    "id": _column("id", "string stringOptions"),
    "name": _column("name", "string stringOptions"),
    "timestamp": _column("timestamp", "datetime"),
    "source": _column("source", "string stringOptions"),
    "dataType": _column("data_type", "string stringOptions"),
    "value": _column("value", "number null"),
    "stringValue": _column("string_value", "string stringOptions null"),
    "comment": _column("comment", "string null"),
    "environment": _column("environment", "string stringOptions"),
    "traceId": _column("trace_id", "string stringOptions null"),
    "observationId": _column("observation_id", "string stringOptions null"),
    "sessionId": _column("session_id", "string stringOptions null"),
    "datasetRunId": _column("dataset_run_id", "string stringOptions null"),
    "configId": _column("config_id", "string stringOptions null"),
    "queueId": _column("queue_id", "string stringOptions null"),
    "metadata": _column("metadata", "stringObject numberObject"),
}


def csv(value: str | None) -> list[str]:
    """A comma-separated parameter as its non-empty items."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def v2_groups(fields: str | None) -> set[str]:
    """`fields` of /v2/scores: `score` and `trace`, both by default; the score itself always comes back."""
    if not fields or not fields.strip():
        return set(V2_GROUPS)
    groups = set(csv(fields))
    if groups - V2_GROUPS:
        raise InvalidRequest(f"unknown field groups: {', '.join(sorted(groups - V2_GROUPS))}; allowed: score, trace")
    return groups | {"score"}


# What Langfuse's v1 score routes (the Python SDK 2.x's) serve: a score of a trace, of a data type
# its ScoreV1 models know. SDK 2.x fails to parse anything else, a whole page for one such score.
V1_DATA_TYPES = ("NUMERIC", "CATEGORICAL", "BOOLEAN")


def _v1_only(scores: QuerySet[Score]) -> QuerySet[Score]:
    return scores.filter(trace_id__isnull=False, data_type__in=V1_DATA_TYPES)


def score_get(*, project_id: str, score_id: str, v1: bool = False) -> Score:
    """One score of the project (`v1`: only one the v1 routes serve); NotFound otherwise."""
    scores = Score.objects.filter(project_id=project_id, id=score_id)
    if v1:
        scores = _v1_only(scores)
    score = scores.first()
    if score is None:
        raise NotFound(f"Score {score_id} not found within authorized project")
    return score


def score_list(
    *,
    project_id: str,
    user_id: str | None = None,
    name: str | None = None,
    from_timestamp: datetime | None = None,
    to_timestamp: datetime | None = None,
    environments: Sequence[str] = (),
    source: str | None = None,
    operator: str | None = None,
    value: float | None = None,
    score_ids: Sequence[str] = (),
    config_id: str | None = None,
    session_id: str | None = None,
    dataset_run_id: str | None = None,
    trace_id: str | None = None,
    observation_ids: Sequence[str] = (),
    queue_id: str | None = None,
    data_type: str | None = None,
    trace_tags: Sequence[str] = (),
    filter_json: str | None = None,
    v1: bool = False,
) -> QuerySet[Score]:
    """Scores of one project with Langfuse's /v2/scores filters (all must hold), newest first;
    `v1`: only those the v1 routes serve."""
    scores = Score.objects.filter(project_id=project_id)
    if v1:
        scores = _v1_only(scores)
    for field, wanted in (
        ("name", name),
        ("source", source),
        ("config_id", config_id),
        ("session_id", session_id),
        ("dataset_run_id", dataset_run_id),
        ("trace_id", trace_id),
        ("queue_id", queue_id),
        ("data_type", data_type),
    ):
        if wanted is not None:
            scores = scores.filter(**{field: wanted})
    if from_timestamp is not None:
        scores = scores.filter(timestamp__gte=from_timestamp)
    if to_timestamp is not None:
        scores = scores.filter(timestamp__lt=to_timestamp)
    if environments:
        scores = scores.filter(environment__in=list(environments))
    if score_ids:
        scores = scores.filter(id__in=list(score_ids))
    if observation_ids:
        scores = scores.filter(observation_id__in=list(observation_ids))
    scores = _value_filter(scores, operator, value)
    if user_id is not None or trace_tags:
        traces = trace_list(project_id=project_id, user_id=user_id, tags=list(trace_tags))
        scores = scores.filter(trace_id__in=traces.order_by().values("id"))
    scores = _json_filter(scores, filter_json)
    return scores.order_by("-timestamp", "-id")


def _value_filter(scores: QuerySet[Score], operator: str | None, value: float | None) -> QuerySet[Score]:
    if operator is None and value is None:
        return scores
    if operator is None or value is None:
        raise InvalidRequest("operator and value filter together: give both or neither")
    if not math.isfinite(value):
        raise InvalidRequest("value must be a finite number")
    if operator == "!=":
        return scores.filter(value__isnull=False).exclude(value=value)
    if operator not in _VALUE_OPS:
        raise InvalidRequest("operator must be one of <, >, <=, >=, !=, =")
    return scores.filter(**{f"value__{_VALUE_OPS[operator]}": value})


def _json_filter(scores: QuerySet[Score], text: str | None) -> QuerySet[Score]:
    """The JSON `filter` grammar; metadata key presence ('is set', 'is not set', or an empty
    contains / starts with / ends with) is handled here, everything else by the shared grammar."""
    rest = []
    for condition in grammar.parse(text):
        presence = _metadata_presence(condition)
        if presence is None:
            rest.append(condition)
        else:
            scores = scores.filter(presence)
    return grammar.apply(scores, rest, SCORE_COLUMNS)


def _metadata_presence(c: dict[str, Any]) -> Q | None:
    if c.get("type") != "stringObject" or c.get("column") != "metadata":
        return None
    operator, value, key = c.get("operator"), c.get("value"), c.get("key")
    is_set = operator == "is set" or (operator in ("contains", "starts with", "ends with") and value == "")
    if not is_set and operator != "is not set":
        return None
    if not isinstance(key, str) or not key:
        raise InvalidRequest("metadata filters need a key")
    return Q(metadata__has_key=key) if is_set else ~Q(metadata__has_key=key)


def trace_data(*, project_id: str, trace_ids: set[str]) -> dict[str, dict[str, Any]]:
    """GetScoresResponseTraceData of the given traces of the project (one query)."""
    rows = Trace.objects.filter(project_id=project_id, id__in=trace_ids).values_list(
        "id", "user_id", "tags", "environment", "session_id"
    )
    return {
        trace_id: {"userId": user_id, "tags": tags or [], "environment": environment, "sessionId": session_id}
        for trace_id, user_id, tags, environment, session_id in rows
    }

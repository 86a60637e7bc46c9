"""GET /v3/scores: cursor pagination, comma-separated filters, field groups and the polymorphic
`value` (number for NUMERIC, boolean for BOOLEAN, string for CATEGORICAL, TEXT and CORRECTION)."""

import base64
import json
import math
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from ninja import Field, Schema

from apps.core.errors import InvalidRequest
from apps.core.schemas import iso_ms
from apps.scores.models import Score
from apps.scores.queries import csv

GROUPS = {"details", "subject", "annotation"}
_VALUE_TYPES = {"NUMERIC", "BOOLEAN", "CATEGORICAL"}


class Filters(Schema):
    """The parameters of /v3/scores as sent (filters comma-separated, None when absent)."""

    limit: int | None = Field(None, ge=1, le=100)
    cursor: str | None = None
    fields: str | None = None
    id: str | None = None
    name: str | None = None
    source: str | None = None
    dataType: str | None = None
    environment: str | None = None
    configId: str | None = None
    queueId: str | None = None
    authorUserId: str | None = None
    value: str | None = None
    valueMin: float | None = None
    valueMax: float | None = None
    traceId: str | None = None
    sessionId: str | None = None
    observationId: str | None = None
    experimentId: str | None = None
    fromTimestamp: datetime | None = None
    toTimestamp: datetime | None = None


def parse_groups(fields: str | None) -> set[str]:
    groups = set(csv(fields))
    if groups - GROUPS:
        raise InvalidRequest(
            f"unknown field groups: {', '.join(sorted(groups - GROUPS))}; allowed: details, subject, annotation"
        )
    return groups


def encode_cursor(score: Score) -> str:
    data = {"timestamp": score.timestamp.isoformat(), "id": score.id}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        moment = parse_datetime(data["timestamp"])
        if moment is None or not isinstance(data["id"], str):
            raise ValueError
        return moment, data["id"]
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise InvalidRequest("cursor is not a cursor this API returned") from None


def _upper_csv(value: str | None, allowed: list[str], name: str) -> list[str]:
    items = [item.upper() for item in csv(value)]
    unknown = sorted(set(items) - set(allowed))
    if unknown:
        raise InvalidRequest(f"{name} must be among {', '.join(allowed)}; got {', '.join(unknown)}")
    return items


def score_page(*, project_id: str, limit: int, cursor: str | None, f: Filters) -> tuple[list[Score], str | None]:
    """One page newest first (id breaks ties), plus the cursor of the next page (None on the last)."""
    scores = _filtered(Score.objects.filter(project_id=project_id), f)
    if cursor:
        moment, last_id = decode_cursor(cursor)
        scores = scores.filter(Q(timestamp__lt=moment) | Q(timestamp=moment, id__lt=last_id))
    page = list(scores.order_by("-timestamp", "-id")[: limit + 1])
    return page[:limit], encode_cursor(page[limit - 1]) if len(page) > limit else None


# Filters naming targets no score can have at once.
_EXCLUSIVE_TARGETS = (
    ("traceId", "sessionId"),
    ("traceId", "experimentId"),
    ("sessionId", "observationId"),
    ("experimentId", "observationId"),
)


def _filtered(scores: QuerySet[Score], f: Filters) -> QuerySet[Score]:
    sources = _upper_csv(f.source, Score.SOURCES, "source")
    data_types = _upper_csv(f.dataType, Score.DATA_TYPES, "dataType")
    targets = {k for k in ("traceId", "sessionId", "observationId", "experimentId") if csv(getattr(f, k))}
    for a, b in _EXCLUSIVE_TARGETS:
        if {a, b} <= targets:
            raise InvalidRequest(f"{a} and {b} cannot be combined")
    if "observationId" in targets and "traceId" not in targets:
        raise InvalidRequest("observationId requires traceId: observation ids are scoped to a trace")
    for field, items in (
        ("id", csv(f.id)),
        ("name", csv(f.name)),
        ("source", sources),
        ("data_type", data_types),
        ("environment", csv(f.environment)),
        ("config_id", csv(f.configId)),
        ("queue_id", csv(f.queueId)),
        ("trace_id", csv(f.traceId)),
        ("session_id", csv(f.sessionId)),
        ("observation_id", csv(f.observationId)),
        ("dataset_run_id", csv(f.experimentId)),
    ):
        if items:
            scores = scores.filter(**{f"{field}__in": items})
    if csv(f.authorUserId):
        scores = scores.none()  # LangOps records no score authors: no score matches an author
    scores = _value_filters(scores, f, data_types)
    if f.fromTimestamp is not None:
        scores = scores.filter(timestamp__gte=f.fromTimestamp)
    if f.toTimestamp is not None:
        scores = scores.filter(timestamp__lt=f.toTimestamp)
    return scores


def _value_filters(scores: QuerySet[Score], f: Filters, data_types: list[str]) -> QuerySet[Score]:
    single = data_types[0] if len(set(data_types)) == 1 else None
    if f.valueMin is not None or f.valueMax is not None:
        if single != "NUMERIC":
            raise InvalidRequest("valueMin and valueMax need dataType=NUMERIC (a single data type)")
        for name, bound, lookup in (("valueMin", f.valueMin, "gte"), ("valueMax", f.valueMax, "lte")):
            if bound is not None:
                if not math.isfinite(bound):
                    raise InvalidRequest(f"{name} must be a finite number")
                scores = scores.filter(**{f"value__{lookup}": bound})
    values = csv(f.value)
    if f.value is None:
        return scores
    if single not in _VALUE_TYPES or not values:
        raise InvalidRequest("value needs one dataType among NUMERIC, BOOLEAN, CATEGORICAL, and at least one value")
    if single == "CATEGORICAL":
        return scores.filter(string_value__in=values)
    if single == "BOOLEAN":
        if any(v.lower() not in ("true", "false") for v in values):
            raise InvalidRequest('BOOLEAN values must be "true" or "false"')
        return scores.filter(value__in=[1.0 if v.lower() == "true" else 0.0 for v in values])
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        raise InvalidRequest("NUMERIC values must be finite numbers") from None
    if not all(math.isfinite(n) for n in numbers):
        raise InvalidRequest("NUMERIC values must be finite numbers")
    return scores.filter(value__in=numbers)


def _value(score: Score) -> float | bool | str:
    if score.data_type == "NUMERIC":
        return score.value if score.value is not None else 0.0
    if score.data_type == "BOOLEAN":
        return score.value == 1
    return score.string_value or ""


def _subject(score: Score) -> dict[str, Any] | None:
    if score.observation_id:
        return {"kind": "observation", "id": score.observation_id, "traceId": score.trace_id}
    if score.trace_id:
        return {"kind": "trace", "id": score.trace_id}
    if score.session_id:
        return {"kind": "session", "id": score.session_id}
    if score.dataset_run_id:
        return {"kind": "experiment", "id": score.dataset_run_id}
    return None


def score_v3_dict(score: Score, groups: set[str]) -> dict[str, Any]:
    """ScoreV3: the core fields always, each requested group's fields besides."""
    out: dict[str, Any] = {
        "id": score.id,
        "projectId": score.project_id,
        "name": score.name,
        "dataType": score.data_type,
        "value": _value(score),
        "source": score.source,
        "timestamp": iso_ms(score.timestamp),
        "environment": score.environment,
        "createdAt": iso_ms(score.created_at),
        "updatedAt": iso_ms(score.updated_at),
    }
    if "details" in groups:
        out.update(comment=score.comment, configId=score.config_id, metadata=score.metadata)
    if "annotation" in groups:
        out.update(authorUserId=None, queueId=score.queue_id)
    if "subject" in groups:
        out["subject"] = _subject(score)
    return out

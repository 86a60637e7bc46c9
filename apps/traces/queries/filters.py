"""Langfuse's JSON filter grammar (langfuse-api.md 2.3), compiled to Django ORM filters.

`[{type, column, operator, value, key?}, ...]`: every condition must hold. Unknown columns,
types or operators are refused with a clear message rather than ignored.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec
from django.db import connection
from django.db.models import (
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.dateparse import parse_datetime

from apps.core.errors import InvalidRequest
from apps.scores.models import Score
from apps.traces.models import LEVEL_RANK


@dataclass(frozen=True)
class Column:
    field: str
    kinds: frozenset[str]


def _columns(**spec: tuple[str, str]) -> dict[str, Column]:
    return {name: Column(field, frozenset(kinds.split())) for name, (field, kinds) in spec.items()}


TRACE_COLUMNS = _columns(
    id=("id", "string stringOptions null"),
    name=("name", "string stringOptions null"),
    timestamp=("timestamp", "datetime"),
    userId=("user_id", "string stringOptions null"),
    sessionId=("session_id", "string stringOptions null"),
    release=("release", "string stringOptions null"),
    version=("version", "string stringOptions null"),
    environment=("environment", "string stringOptions"),
    tags=("tags", "arrayOptions"),
    metadata=("metadata", "stringObject numberObject"),
    bookmarked=("bookmarked", "boolean"),
    public=("public", "boolean"),
    totalCost=("total_cost", "number null"),
    totalTokens=("total_tokens", "number"),
    inputTokens=("input_tokens", "number"),
    outputTokens=("output_tokens", "number"),
    errorCount=("error_count", "number"),
    observationCount=("observation_count", "number"),
    # The most severe level among the trace's observations.
    level=("level_max", "stringOptions"),
    # Seconds from the first observation's start to the last one's end.
    latency=("latency", "number"),
    # A score of the trace, by name (key): numeric value or categorical string value.
    scores=("scores", "numberObject stringObject"),
)
OBSERVATION_COLUMNS = _columns(
    id=("id", "string stringOptions"),
    traceId=("trace_id", "string stringOptions"),
    name=("name", "string stringOptions null"),
    type=("type", "string stringOptions"),
    level=("level", "string stringOptions"),
    statusMessage=("status_message", "string null"),
    model=("model", "string stringOptions null"),
    environment=("environment", "string stringOptions"),
    version=("version", "string stringOptions null"),
    startTime=("start_time", "datetime"),
    endTime=("end_time", "datetime null"),
    parentObservationId=("parent_observation_id", "string null"),
    metadata=("metadata", "stringObject numberObject"),
    totalCost=("total_cost", "number null"),
    totalTokens=("total_tokens", "number"),
    promptName=("prompt_name", "string stringOptions null"),
)
MAX_CONDITIONS = 30
_ALIASES = {"categoryOptions": "stringOptions", "booleanObject": "boolean"}
_NUMBER_OPS = {"=": "exact", ">": "gt", "<": "lt", ">=": "gte", "<=": "lte"}


def parse(text: str | None) -> list[dict[str, Any]]:
    if not text:
        return []
    try:
        conditions = msgspec.json.decode(text)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise InvalidRequest(f"filter is not valid JSON: {exc}") from None
    if not isinstance(conditions, list) or not all(isinstance(c, dict) for c in conditions):
        raise InvalidRequest("filter must be a JSON array of filter objects")
    if len(conditions) > MAX_CONDITIONS:
        raise InvalidRequest(f"filter holds {len(conditions)} conditions; at most {MAX_CONDITIONS} are allowed")
    return conditions


def apply(queryset: QuerySet, conditions: list[dict[str, Any]], columns: dict[str, Column]) -> QuerySet:
    """Narrow `queryset` by every condition (AND)."""
    for index, condition in enumerate(conditions):
        queryset = _apply_one(queryset, condition, columns, index)
    return queryset


def _apply_one(queryset: QuerySet, c: dict[str, Any], columns: dict[str, Column], index: int) -> QuerySet:
    kind = _ALIASES.get(str(c.get("type")), str(c.get("type")))
    name, operator, value = c.get("column"), c.get("operator"), c.get("value")
    column = columns.get(str(name))
    if column is None:
        raise InvalidRequest(f"filter column {name!r} is not one of {', '.join(sorted(columns))}")
    if kind not in column.kinds:
        raise InvalidRequest(f"filter type {c.get('type')!r} does not apply to column {name!r}")
    field = column.field
    if field in _DERIVED:
        return _DERIVED[field](queryset, kind, c, index)
    if kind == "null":
        if operator not in ("is null", "is not null"):
            raise InvalidRequest("null filters use 'is null' or 'is not null'")
        return queryset.filter(**{f"{field}__isnull": operator == "is null"})
    if kind == "datetime":
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None or operator not in _NUMBER_OPS or operator == "=":
            raise InvalidRequest("datetime filters need an ISO timestamp and one of > < >= <=")
        return queryset.filter(**{f"{field}__{_NUMBER_OPS[operator]}": moment})
    if kind == "number":
        return queryset.filter(**{f"{field}__{_number_lookup(operator, value, 'number filters need a number')}": value})
    if kind == "boolean":
        if operator not in ("=", "<>") or not isinstance(value, bool):
            raise InvalidRequest("boolean filters need true/false and = or <>")
        return queryset.filter(**{field: value if operator == "=" else not value})
    if kind == "string":
        return queryset.filter(_string_q(field, operator, value))
    if kind == "stringOptions":
        values = _strings(value)
        if operator == "any of":
            return queryset.filter(**{f"{field}__in": values})
        if operator == "none of":
            return queryset.exclude(**{f"{field}__in": values})
        raise InvalidRequest("option filters use 'any of' or 'none of'")
    if kind == "arrayOptions":
        return _array_filter(queryset, field, operator, _strings(value), index)
    return _object_filter(queryset, field, kind, c, index)


def _number_lookup(operator: Any, value: Any, refusal: str) -> str:
    """The lookup of a number comparison, or InvalidRequest("<refusal> and one of = > < >= <=")."""
    if operator not in _NUMBER_OPS or isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidRequest(f"{refusal} and one of = > < >= <=")
    return _NUMBER_OPS[operator]


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRequest("option filters need an array of strings")
    return value


def _string_q(field: str, operator: Any, value: Any) -> Q:
    if not isinstance(value, str):
        raise InvalidRequest("string filters need a string value")
    lookups = {"=": "exact", "contains": "contains", "starts with": "startswith", "ends with": "endswith"}
    if operator == "does not contain":
        return ~Q(**{f"{field}__contains": value})
    if operator not in lookups:
        raise InvalidRequest("string filters use =, contains, does not contain, starts with or ends with")
    return Q(**{f"{field}__{lookups[operator]}": value})


def _array_filter(queryset: QuerySet, field: str, operator: Any, values: list[str], index: int) -> QuerySet:
    if operator not in ("any of", "none of", "all of"):
        raise InvalidRequest("array filters use 'any of', 'none of' or 'all of'")
    conditions = []
    for n, item in enumerate(values):
        if connection.vendor == "postgresql":
            conditions.append(Q(**{f"{field}__contains": [item]}))
        else:  # SQLite: the item as a complete JSON string inside the stored array text
            alias = f"_f{index}_{n}"
            needle = msgspec.json.encode(item).decode()
            queryset = queryset.annotate(
                **{alias: Func(F(field), Value(needle), function="instr", output_field=IntegerField())}
            )
            conditions.append(Q(**{f"{alias}__gt": 0}))
    if not conditions:
        return queryset if operator != "any of" else queryset.none()
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = combined & condition if operator == "all of" else combined | condition
    return queryset.exclude(combined) if operator == "none of" else queryset.filter(combined)


def _object_filter(queryset: QuerySet, field: str, kind: str, c: dict[str, Any], index: int) -> QuerySet:
    key = c.get("key")
    if not isinstance(key, str) or not key:
        raise InvalidRequest("metadata filters need a key")
    alias = f"_k{index}"
    # Cast to plain text: compared as JSON, SQLite would try to parse the filter value itself.
    queryset = queryset.annotate(**{alias: Cast(KeyTextTransform(key, field), TextField())})
    if kind == "stringObject":
        return queryset.filter(_string_q(alias, c.get("operator"), c.get("value")))
    value, operator = c.get("value"), c.get("operator")
    lookup = _number_lookup(operator, value, "numberObject filters need a number")
    # Metadata values are text in the database; compare them as numbers.
    number = f"{alias}_n"
    queryset = queryset.annotate(**{number: Cast(alias, FloatField())})
    return queryset.filter(**{f"{number}__{lookup}": value})


def _level_filter(queryset: QuerySet, kind: str, c: dict[str, Any], index: int) -> QuerySet:
    values = _strings(c.get("value"))
    if any(v not in LEVEL_RANK for v in values):
        raise InvalidRequest(f"level filters take levels among {', '.join(LEVEL_RANK)}")
    ranks = [LEVEL_RANK[v] for v in values]
    if c.get("operator") == "any of":
        return queryset.filter(level_max__in=ranks)
    if c.get("operator") == "none of":
        return queryset.exclude(level_max__in=ranks)
    raise InvalidRequest("option filters use 'any of' or 'none of'")


def _latency_filter(queryset: QuerySet, kind: str, c: dict[str, Any], index: int) -> QuerySet:
    value, operator = c.get("value"), c.get("operator")
    lookup = _number_lookup(operator, value, "latency filters need a number of seconds")
    alias = f"_latency{index}"
    span = ExpressionWrapper(F("end_time_max") - F("start_time_min"), output_field=DurationField())
    return queryset.annotate(**{alias: span}).filter(**{f"{alias}__{lookup}": timedelta(seconds=value)})


def _score_filter(queryset: QuerySet, kind: str, c: dict[str, Any], index: int) -> QuerySet:
    name, operator, value = c.get("key"), c.get("operator"), c.get("value")
    if not isinstance(name, str) or not name:
        raise InvalidRequest("score filters need the score name as key")
    scores = Score.objects.filter(project_id=OuterRef("project_id"), trace_id=OuterRef("id"), name=name)
    if kind == "stringObject":
        scores = scores.filter(_string_q("string_value", operator, value))
    else:
        scores = scores.filter(
            **{f"value__{_number_lookup(operator, value, 'numeric score filters need a number')}": value}
        )
    return queryset.filter(Exists(scores))


_DERIVED = {"level_max": _level_filter, "latency": _latency_filter, "scores": _score_filter}

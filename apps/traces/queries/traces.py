"""Reads of traces, observations and sessions for the public API (and, later, the console).

Every function takes the project explicitly and filters on it first; lists are paginated in the
database and their related ids are fetched in one query per page, never per row.
"""

from collections import defaultdict
from datetime import datetime
from typing import Any

import msgspec
from django.db import connection
from django.db.models import Count, F, Func, IntegerField, Max, Min, Q, QuerySet, Sum, Value

from apps.core.errors import InvalidRequest, NotFound
from apps.scores.models import Score
from apps.traces.models import Observation, Session, Trace

TRACE_ORDER_FIELDS = {
    "id": "id",
    "timestamp": "timestamp",
    "name": "name",
    "userId": "user_id",
    "release": "release",
    "version": "version",
    "public": "public",
    "bookmarked": "bookmarked",
    "sessionId": "session_id",
}


def _with_tag(traces: QuerySet[Trace], tag: str, index: int) -> QuerySet[Trace]:
    if connection.vendor == "postgresql":
        return traces.filter(tags__contains=[tag])
    # SQLite has no JSON containment: find the tag as a complete JSON string (as the writer encodes it).
    needle = msgspec.json.encode(tag).decode()
    return traces.annotate(
        **{f"_tag{index}": Func(F("tags"), Value(needle), function="instr", output_field=IntegerField())}
    ).filter(**{f"_tag{index}__gt": 0})


def trace_list(
    *,
    project_id: str,
    user_id: str | None = None,
    name: str | None = None,
    session_id: str | None = None,
    from_timestamp: datetime | None = None,
    to_timestamp: datetime | None = None,
    order_by: str | None = None,
    tags: list[str] | None = None,
    version: str | None = None,
    release: str | None = None,
    environments: list[str] | None = None,
) -> QuerySet[Trace]:
    """Traces of one project with Langfuse's simple filters; newest first unless ordered otherwise."""
    traces = Trace.objects.filter(project_id=project_id)
    for field, value in (
        ("user_id", user_id),
        ("name", name),
        ("session_id", session_id),
        ("version", version),
        ("release", release),
    ):
        if value is not None:
            traces = traces.filter(**{field: value})
    if from_timestamp is not None:
        traces = traces.filter(timestamp__gte=from_timestamp)
    if to_timestamp is not None:
        traces = traces.filter(timestamp__lt=to_timestamp)
    for index, tag in enumerate(tags or []):
        traces = _with_tag(traces, tag, index)
    if environments:
        traces = traces.filter(environment__in=environments)
    return traces.order_by(*_ordering(order_by))


def _ordering(order_by: str | None) -> list[str]:
    if not order_by:
        return ["-timestamp", "-id"]
    field, _, direction = order_by.partition(".")
    if field not in TRACE_ORDER_FIELDS or direction not in ("asc", "desc"):
        raise InvalidRequest(
            "orderBy must be <field>.asc or <field>.desc, with field one of " + ", ".join(TRACE_ORDER_FIELDS)
        )
    column = TRACE_ORDER_FIELDS[field]
    # Ties break by id in the same direction, so the (project, timestamp, id) index serves both ways.
    return [column, "id"] if direction == "asc" else [f"-{column}", "-id"]


def trace_get(*, project_id: str, trace_id: str) -> Trace:
    trace = Trace.objects.filter(project_id=project_id, id=trace_id).first()
    if trace is None:
        raise NotFound(f"Trace {trace_id} not found within authorized project")
    return trace


def trace_exists(*, project_id: str, trace_id: str) -> bool:
    return Trace.objects.filter(project_id=project_id, id=trace_id).exists()


def ids_by_trace(*, project_id: str, trace_ids: list[str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Observation ids and score ids of a page of traces (two queries for the whole page)."""
    observations: dict[str, list[str]] = defaultdict(list)
    for trace_id, obs_id in (
        Observation.objects.filter(project_id=project_id, trace_id__in=trace_ids)
        .order_by("start_time", "id")
        .values_list("trace_id", "id")
    ):
        observations[trace_id].append(obs_id)
    scores: dict[str, list[str]] = defaultdict(list)
    for trace_id, score_id in (
        Score.objects.filter(project_id=project_id, trace_id__in=trace_ids)
        .order_by("timestamp", "id")
        .values_list("trace_id", "id")
    ):
        scores[trace_id].append(score_id)
    return observations, scores


# What console tables never show: large values they leave in the database.
IO_FIELDS = ("input", "output", "metadata")
OUTLINE_FIELDS = (
    "project_id",
    "id",
    "trace_id",
    "parent_observation_id",
    "type",
    "name",
    "level",
    "start_time",
    "end_time",
    "total_tokens",
    "total_cost",
)


def trace_outline(*, project_id: str, trace_id: str) -> list[Observation]:
    """A trace's observations with only what a tree or a graph draws (no input, output or metadata)."""
    return list(
        Observation.objects.filter(project_id=project_id, trace_id=trace_id)
        .only(*OUTLINE_FIELDS)
        .order_by("start_time", "id")
    )


def trace_observations(*, project_id: str, trace_id: str) -> list[Observation]:
    return list(Observation.objects.filter(project_id=project_id, trace_id=trace_id).order_by("start_time", "id"))


def trace_scores(*, project_id: str, trace_id: str) -> list[Score]:
    return list(Score.objects.filter(project_id=project_id, trace_id=trace_id).order_by("timestamp", "id"))


def observation_list(
    *,
    project_id: str,
    name: str | None = None,
    user_id: str | None = None,
    type: str | None = None,
    trace_id: str | None = None,
    level: str | None = None,
    parent_observation_id: str | None = None,
    environments: list[str] | None = None,
    from_start_time: datetime | None = None,
    to_start_time: datetime | None = None,
    version: str | None = None,
) -> QuerySet[Observation]:
    observations = Observation.objects.filter(project_id=project_id)
    for field, value in (
        ("name", name),
        ("type", type),
        ("trace_id", trace_id),
        ("level", level),
        ("parent_observation_id", parent_observation_id),
        ("version", version),
    ):
        if value is not None:
            observations = observations.filter(**{field: value})
    if user_id is not None:
        trace_ids = Trace.objects.filter(project_id=project_id, user_id=user_id).values("id")
        observations = observations.filter(trace_id__in=trace_ids)
    if environments:
        observations = observations.filter(environment__in=environments)
    if from_start_time is not None:
        observations = observations.filter(start_time__gte=from_start_time)
    if to_start_time is not None:
        observations = observations.filter(start_time__lt=to_start_time)
    return observations.order_by("-start_time", "-id")


def observation_get(*, project_id: str, observation_id: str) -> Observation:
    observation = Observation.objects.filter(project_id=project_id, id=observation_id).first()
    if observation is None:
        raise NotFound(f"Observation {observation_id} not found within authorized project")
    return observation


def session_list(
    *,
    project_id: str,
    from_timestamp: datetime | None = None,
    to_timestamp: datetime | None = None,
    environments: list[str] | None = None,
) -> QuerySet[Session]:
    sessions = Session.objects.filter(project_id=project_id)
    if from_timestamp is not None:
        sessions = sessions.filter(created_at__gte=from_timestamp)
    if to_timestamp is not None:
        sessions = sessions.filter(created_at__lt=to_timestamp)
    if environments:
        sessions = sessions.filter(environment__in=environments)
    return sessions.order_by("-created_at", "id")


def session_get(*, project_id: str, session_id: str) -> tuple[Session, list[Trace]]:
    session = Session.objects.filter(project_id=project_id, id=session_id).first()
    if session is None:
        raise NotFound(f"Session {session_id} not found within authorized project")
    traces = list(Trace.objects.filter(project_id=project_id, session_id=session_id).order_by("timestamp", "id"))
    return session, traces


def model_prices(*, model_ids: set[str]) -> dict[str, dict[str, Any]]:
    """Default-tier prices of the models used by some observations (one query)."""
    from apps.costs.models import PricingTier

    prices: dict[str, dict[str, Any]] = {}
    for tier in PricingTier.objects.filter(model_id__in=model_ids, is_default=True):
        prices[tier.model_id] = tier.prices
    return prices


_ENVIRONMENTS_SKIP_SCAN = """
WITH RECURSIVE env(name) AS (
    SELECT MIN(environment) FROM {trace} WHERE project_id = %s
    UNION ALL
    SELECT (SELECT MIN(environment) FROM {trace} WHERE project_id = %s AND environment > env.name)
    FROM env WHERE env.name IS NOT NULL
)
SELECT name FROM env WHERE name IS NOT NULL LIMIT 50
"""


def environment_names(*, project_id: str) -> list[str]:
    """Environments seen in the project (for the filter menu).

    PostgreSQL walks the (project, environment) index from one distinct value to the next: a
    handful of index probes instead of reading every trace of a large project."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_ENVIRONMENTS_SKIP_SCAN.format(trace=Trace._meta.db_table), [project_id, project_id])
            return [row[0] for row in cursor.fetchall()]
    return list(
        Trace.objects.filter(project_id=project_id)
        .order_by("environment")
        .values_list("environment", flat=True)
        .distinct()[:50]
    )


def _activity_by(project_id: str, field: str, search: str, where: dict | None = None, **extra) -> QuerySet:
    """Traces grouped by one of their columns: count, time span, tokens, cost, errors; latest first."""
    from django.db.models import Count, Max, Min, Sum

    traces = Trace.objects.filter(project_id=project_id, **{f"{field}__isnull": False}, **(where or {}))
    if search:
        traces = traces.filter(**{f"{field}__icontains": search})
    return (
        traces.values(field)
        .annotate(
            traces=Count("id"),
            first=Min("timestamp"),
            last=Max("timestamp"),
            cost=Sum("total_cost"),
            tokens=Sum("total_tokens"),
            errors=Sum("error_count"),
            **extra,
        )
        .order_by("-last", field)
    )


_WALK_CHUNK = 2000
_WALK_CHUNKS = 5  # then fall back to grouping


class RecentActivity:
    """Traces grouped by session or by user, most recently active first, sliced like a list.

    Grouping every trace of a large project for one page of 50 costs seconds. A slice instead
    walks the traces newest first (the (project, timestamp) index) until it has seen enough
    distinct values, then aggregates only those groups (the (project, session|user) index).
    The order is the same: by each group's latest trace."""

    def __init__(self, project_id: str, field: str, **extra) -> None:
        self.project_id, self.field, self.extra = project_id, field, extra

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        traces = Trace.objects.filter(project_id=self.project_id, **{f"{self.field}__isnull": False})
        keys: list[str] = []
        seen: set[str] = set()
        chunk = traces.order_by("-timestamp", "-id").values_list(self.field, "timestamp", "id")
        rows = list(chunk[:_WALK_CHUNK])
        for _round in range(_WALK_CHUNKS):
            if not rows or len(keys) >= window.stop:
                break
            for value, _moment, _id in rows:
                if value not in seen:
                    seen.add(value)
                    keys.append(value)
            # The next chunk continues after the last row (keyset: the (project, timestamp, id) index).
            _value, moment, last_id = rows[-1]
            after = Q(timestamp__lt=moment) | Q(timestamp=moment, id__lt=last_id)
            rows = list(chunk.filter(after)[:_WALK_CHUNK]) if len(rows) == _WALK_CHUNK else []
        if rows and len(keys) < window.stop:
            # Few groups for many traces, or a deep page: grouping everything is the cheaper way.
            return list(_activity_by(self.project_id, self.field, "", None, **self.extra)[window])
        keys = keys[window.start or 0 : window.stop]
        groups = _activity_by(self.project_id, self.field, "", None, **self.extra).filter(**{f"{self.field}__in": keys})
        by_key = {row[self.field]: row for row in groups}
        return [by_key[key] for key in keys if key in by_key]


def recent_sessions(*, project_id: str, search: str = "") -> RecentActivity | QuerySet:
    """Sessions for a console page; a search for part of an id matches few traces, so it groups instead."""
    from django.db.models import Max

    if search:
        return session_overview(project_id=project_id, search=search)
    return RecentActivity(project_id, "session_id", user=Max("user_id"))


def recent_users(*, project_id: str, search: str = "") -> RecentActivity | QuerySet:
    """Users for a console page (see recent_sessions)."""
    return user_overview(project_id=project_id, search=search) if search else RecentActivity(project_id, "user_id")


def session_overview(*, project_id: str, search: str = "", user_id: str | None = None) -> QuerySet:
    """Sessions with their trace count, time span, cost and user, most recently active first."""
    from django.db.models import Max

    where = {"user_id": user_id} if user_id is not None else None
    return _activity_by(project_id, "session_id", search, where, user=Max("user_id"))


def user_summary(*, project_id: str, user_id: str) -> dict[str, Any]:
    """One end user's figures: traces, sessions, tokens, cost, errors, first and last seen; NotFound if unseen."""
    from django.db.models import Count

    sessions = Count("session_id", distinct=True)
    summary = _activity_by(project_id, "user_id", "", {"user_id": user_id}, sessions=sessions).first()
    if summary is None:
        raise NotFound(f"User {user_id} not found within authorized project")
    return summary


def session_turns(*, project_id: str, session_id: str) -> tuple[QuerySet, dict[str, Any]]:
    """The traces of a session in conversation order (to be read a page at a time: a session can
    hold any number of them), and its totals: turns, cost, first and last timestamp. NotFound when
    it has none."""
    turns = Trace.objects.filter(project_id=project_id, session_id=session_id)
    totals = turns.aggregate(count=Count("id"), cost=Sum("total_cost"), first=Min("timestamp"), last=Max("timestamp"))
    if not totals["count"]:
        raise NotFound(f"Session {session_id} not found within authorized project")
    return turns.order_by("timestamp", "id"), totals


def scores_by_trace(*, project_id: str, trace_ids: list[str]) -> dict[str, list[Score]]:
    grouped: dict[str, list[Score]] = defaultdict(list)
    for score in Score.objects.filter(project_id=project_id, trace_id__in=trace_ids).order_by("timestamp", "id"):
        grouped[score.trace_id].append(score)
    return grouped


def session_scores(*, project_id: str, session_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Per session, its scores by name (on the session or on its traces): numeric ones averaged,
    categorical ones as their most frequent value. At most two queries for a page of sessions."""
    from collections import Counter

    session_traces = Trace.objects.filter(project_id=project_id, session_id__in=session_ids)
    scores = Score.objects.filter(project_id=project_id).filter(
        Q(session_id__in=session_ids) | Q(trace_id__in=session_traces.values("id"))
    )
    rows = list(scores.values_list("session_id", "trace_id", "name", "value", "string_value", "data_type"))
    # The session of each scored trace only (long sessions have many traces, few of them scored).
    scored = {trace_id for session_id, trace_id, *_rest in rows if session_id is None and trace_id}
    trace_session = dict(session_traces.filter(id__in=scored).values_list("id", "session_id")) if scored else {}
    numbers: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    labels: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for session_id, trace_id, name, value, string_value, data_type in rows:
        session = session_id or trace_session.get(trace_id)
        if session is None:
            continue
        if data_type in ("NUMERIC", "BOOLEAN") and value is not None:
            numbers[session][name].append(value)
        elif string_value:
            labels[session][name][string_value] += 1
    summary: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for session, by_name in numbers.items():
        for name, values in by_name.items():
            summary[session].append({"name": name, "value": sum(values) / len(values), "count": len(values)})
    for session, by_name in labels.items():
        for name, counter in by_name.items():
            label, count = counter.most_common(1)[0]
            summary[session].append({"name": name, "label": label, "count": sum(counter.values())})
    return {session: sorted(items, key=lambda i: i["name"]) for session, items in summary.items()}


def user_overview(*, project_id: str, search: str = "") -> QuerySet:
    """End users seen in traces: trace count, tokens, cost, first and last seen (most recent first)."""
    return _activity_by(project_id, "user_id", search)


def _errors(project_id: str, since: datetime | None, condition: Q | None) -> QuerySet:
    errors = Observation.objects.filter(project_id=project_id, level="ERROR")
    if since is not None:
        errors = errors.filter(start_time__gte=since)
    return errors.filter(condition) if condition is not None else errors


def error_timeline(
    *, project_id: str, since: datetime, unit: str, condition: Q | None = None
) -> list[tuple[str | None, str | None, str | None, datetime, int]]:
    """ERROR observations since a moment counted per (status message, model, name, `unit` bucket)."""
    from django.db.models import Count
    from django.db.models.functions import Trunc

    return list(
        _errors(project_id, since, condition)
        .annotate(bucket=Trunc("start_time", unit))
        .values_list("status_message", "model", "name", "bucket")
        .annotate(n=Count("id"))
        .order_by()
    )


def error_groups(*, project_id: str, since: datetime | None = None, condition: Q | None = None) -> QuerySet:
    """ERROR observations grouped by status message, model and name, with counts and first/last seen."""
    from django.db.models import Count, Max, Min

    errors = _errors(project_id, since, condition)
    return (
        errors.values("status_message", "model", "name")
        .annotate(
            count=Count("id"), traces=Count("trace_id", distinct=True), first=Min("start_time"), last=Max("start_time")
        )
        .order_by("-count", "-last")
    )

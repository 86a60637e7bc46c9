"""Console: the observations table and the errors view."""

from collections import defaultdict
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from apps.core.pagination import Window
from apps.core.views import ConsoleView
from apps.traces import error_kinds
from apps.traces.models import LEVELS
from apps.traces.queries import traces as queries
from apps.traces.views.table import PRESETS

OBSERVATION_TYPES = [
    "GENERATION",
    "SPAN",
    "EVENT",
    "AGENT",
    "TOOL",
    "CHAIN",
    "RETRIEVER",
    "EVALUATOR",
    "EMBEDDING",
    "GUARDRAIL",
]
OBSERVATION_FILTER_KEYS = ("type", "model", "name", "level", "range")
ERROR_FILTER_KEYS = ("range", "kind")
ERROR_GROUPS_SHOWN = 200
ERROR_GROUPS_CLASSIFIED = 2000


def filtered_observations(project_id: str, params) -> tuple[QuerySet, dict[str, str]]:
    """The observations table's query from its GET parameters (shared by the page and its exports)."""
    f = {k: params.get(k, "").strip() for k in OBSERVATION_FILTER_KEYS}
    f["type"] = f["type"] or "GENERATION"
    since = timezone.now() - PRESETS[f["range"]] if f["range"] in PRESETS else None
    rows = queries.observation_list(
        project_id=project_id,
        type=None if f["type"] == "ALL" else f["type"],
        level=f["level"] or None,
        from_start_time=since,
    )
    if f["model"]:
        rows = rows.filter(model__icontains=f["model"])
    if f["name"]:
        rows = rows.filter(name__icontains=f["name"])
    return rows, f


def filtered_errors(project_id: str, params) -> tuple[QuerySet, dict[str, str]]:
    """The errors view's groups from its GET parameters (last 24 hours unless another range is chosen)."""
    f = {"range": params.get("range", "").strip() or "24h", "kind": params.get("kind", "").strip()}
    since = timezone.now() - PRESETS[f["range"]] if f["range"] in PRESETS else None
    condition = error_kinds.condition(f["kind"]) if f["kind"] in dict(error_kinds.choices()) else None
    if condition is None:
        f["kind"] = ""
    return queries.error_groups(project_id=project_id, since=since, condition=condition), f


# The errors view's time axis per range: (how far back, truncation unit, buckets drawn).
TIMELINES = {
    "1h": (timedelta(hours=1), "minute", 12),
    "24h": (timedelta(hours=24), "hour", 24),
    "7d": (timedelta(days=7), "hour", 28),
    "30d": (timedelta(days=30), "day", 30),
    "all": (timedelta(days=90), "day", 30),
}


def _bucketed(rows, since: datetime, span: timedelta, buckets: int) -> tuple[list[int], dict[tuple, list[int]]]:
    """Counts per drawn bucket, overall and per (status message, model, name)."""
    step = span / buckets
    total, per_group = [0] * buckets, defaultdict(lambda: [0] * buckets)
    for message, model, name, moment, count in rows:
        index = min(max(int((moment - since) / step), 0), buckets - 1)
        total[index] += count
        per_group[(message, model, name)][index] += count
    return total, per_group


def _bars(counts: list[int], height: int = 24) -> list[dict]:
    top = max(counts, default=0) or 1
    return [{"count": c, "height": round(height * c / top, 1) if c else 0} for c in counts]


class ObservationsView(ConsoleView):
    """Every observation (generations by default) with model, latency, time to first token, tokens, cost."""

    scope = "traces"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        rows, f = filtered_observations(project_id, request.GET)
        page = Window(rows.defer(*queries.IO_FIELDS), request.GET.get("page"))  # the table shows no IO
        return render(
            request,
            "traces/observations.html",
            {
                "page": page,
                "filters": f,
                "types": OBSERVATION_TYPES,
                "presets": list(PRESETS),
                "levels": LEVELS,
                "query": urlencode({k: v for k, v in f.items() if v}),
            },
        )


class ErrorsView(ConsoleView):
    """Errors grouped by kind, status message, model and name over time: what fails, how often, since when."""

    scope = "traces"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        # The table: the chosen kind's groups, filtered in SQL exactly as its export is; the chips:
        # every kind's count over the largest groups of all kinds.
        filtered, f = filtered_errors(project_id, request.GET)
        kind = f["kind"]
        if kind:
            groups = list(filtered[:ERROR_GROUPS_SHOWN])
            every_kind = filtered_errors(project_id, {**request.GET.dict(), "kind": ""})[0]
            counted = list(every_kind[:ERROR_GROUPS_CLASSIFIED])
        else:
            counted = list(filtered[:ERROR_GROUPS_CLASSIFIED])
            groups = counted[:ERROR_GROUPS_SHOWN]
        by_kind: dict[str, int] = defaultdict(int)
        for group in counted:
            by_kind[error_kinds.classify(group["status_message"])] += group["count"]
        span, unit, buckets = TIMELINES.get(f["range"], TIMELINES["all"])
        since = timezone.now() - span
        condition = error_kinds.condition(kind) if kind else None
        rows = queries.error_timeline(project_id=project_id, since=since, unit=unit, condition=condition)
        total, per_group = _bucketed(rows, since, span, buckets)
        for group in groups:
            group["kind"] = error_kinds.classify(group["status_message"])
            group["kind_label"] = error_kinds.label(group["kind"])
            group["bars"] = _bars(per_group.get((group["status_message"], group["model"], group["name"]), []), 16)
        return render(
            request,
            "traces/errors.html",
            {
                "groups": groups,
                "range": f["range"],
                "kind": kind,
                "kinds": [(k, lbl, by_kind.get(k, 0)) for k, lbl in error_kinds.choices()],
                "timeline": _bars(total, 48),
                "timeline_since": since,
                "presets": list(PRESETS),
                "query": urlencode({k: v for k, v in f.items() if v}),
            },
        )

"""Console: the observations table and the errors view."""

from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from apps.core.pagination import Window
from apps.core.views import ConsoleView
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
ERROR_FILTER_KEYS = ("range",)
ERROR_GROUPS_SHOWN = 200


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
    f = {"range": params.get("range", "").strip() or "24h"}
    since = timezone.now() - PRESETS[f["range"]] if f["range"] in PRESETS else None
    return queries.error_groups(project_id=project_id, since=since), f


class ObservationsView(ConsoleView):
    """Every observation (generations by default) with model, latency, time to first token, tokens, cost."""

    scope = "traces"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        rows, f = filtered_observations(project_id, request.GET)
        page = Window(rows, request.GET.get("page"))
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
    """Errors grouped by status message, model and name: what fails, how often, since when."""

    scope = "traces"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        groups, f = filtered_errors(project_id, request.GET)
        return render(
            request,
            "traces/errors.html",
            {
                "groups": list(groups[:ERROR_GROUPS_SHOWN]),
                "range": f["range"],
                "presets": list(PRESETS),
                "query": urlencode(f),
            },
        )

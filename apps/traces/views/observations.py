"""Console: the observations table and the errors view."""

from urllib.parse import urlencode

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


class ObservationsView(ConsoleView):
    """Every observation (generations by default) with model, latency, time to first token, tokens, cost."""

    scope = "traces"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        f = {k: request.GET.get(k, "").strip() for k in ("type", "model", "name", "level", "range")}
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
        selected = request.GET.get("range", "24h")
        since = timezone.now() - PRESETS[selected] if selected in PRESETS else None
        groups = list(queries.error_groups(project_id=project_id, since=since)[:200])
        return render(request, "traces/errors.html", {"groups": groups, "range": selected, "presets": list(PRESETS)})

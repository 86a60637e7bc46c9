"""Console: the traces table, its filters and its exports."""

from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from apps.core.pagination import Window
from apps.core.views import ConsoleView
from apps.traces import exports, search, serializers
from apps.traces.queries import traces as queries

PRESETS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
SORTS = {"newest": "timestamp.desc", "oldest": "timestamp.asc", "name": "name.asc"}


FILTER_KEYS = ("q", "user", "session", "tag", "environment", "range", "sort", "errors", "bookmarked")


def filtered_traces(project_id: str, params) -> tuple[QuerySet, dict[str, str]]:
    """The traces table's query from its GET parameters (shared by the page and its exports)."""
    f = {k: params.get(k, "").strip() for k in FILTER_KEYS}
    since = timezone.now() - PRESETS[f["range"]] if f["range"] in PRESETS else None
    traces = queries.trace_list(
        project_id=project_id,
        user_id=f["user"] or None,
        session_id=f["session"] or None,
        from_timestamp=since,
        tags=[f["tag"]] if f["tag"] else None,
        environments=[f["environment"]] if f["environment"] else None,
        order_by=SORTS.get(f["sort"], SORTS["newest"]),
    )
    if f["q"]:
        # Full text over name, input, output and metadata; or a pasted trace, user or session id.
        q = f["q"]
        exact = Q(id=q) | Q(user_id=q) | Q(session_id=q)
        text = search.matches(q)
        traces = traces.filter(exact | text if text is not None else exact)
    if f["errors"]:
        traces = traces.filter(error_count__gt=0)
    if f["bookmarked"]:
        traces = traces.filter(bookmarked=True)
    return traces, f


class TracesView(ConsoleView):
    scope = "traces"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        traces, f = filtered_traces(project_id, request.GET)
        page = Window(traces, request.GET.get("page"))
        query = urlencode({k: v for k, v in f.items() if v})
        return render(
            request,
            "traces/list.html",
            {
                "page": page,
                "filters": f,
                "presets": list(PRESETS),
                "query": query,
                "environments": queries.environment_names(project_id=project_id),
            },
        )


class TracesExportView(ConsoleView):
    """The traces table as it is filtered, streamed as CSV, JSON or JSONL (never held in memory)."""

    scope = "traces"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        export_format = request.GET.get("format", "csv")
        if export_format not in exports.FORMATS:
            raise Http404("Unknown export format")
        traces, _ = filtered_traces(project_id, request.GET)
        rows = (serializers.trace_export_row(t) for t in traces.iterator(chunk_size=1000))
        return exports.streaming_response(rows, export_format, filename=f"traces-{project_id}")

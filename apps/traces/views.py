"""Console: the traces table and the trace detail page (tree, timeline, input and output)."""

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.pagination import Window
from apps.core.views import ConsoleView
from apps.traces import exports, serializers, services
from apps.traces.models import LEVELS
from apps.traces.queries import traces as queries
from apps.traces.serializers import score_dict

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
        q = f["q"]
        traces = traces.filter(
            Q(name__icontains=q) | Q(id__icontains=q) | Q(user_id__icontains=q) | Q(session_id__icontains=q)
        )
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


def _tree(observations: list[Any]) -> list[dict[str, Any]]:
    """Observations nested under their parents (unknown parents become roots), in start order."""
    nodes = {o.id: {"obs": o, "children": []} for o in observations}
    roots = []
    for observation in observations:
        parent = nodes.get(observation.parent_observation_id or "")
        (parent["children"] if parent and parent["obs"] is not observation else roots).append(nodes[observation.id])
    return roots


def _flatten(nodes: list[dict[str, Any]], depth: int = 0) -> list[dict[str, Any]]:
    rows = []
    for node in nodes:
        rows.append({"obs": node["obs"], "depth": depth, "has_children": bool(node["children"])})
        rows.extend(_flatten(node["children"], depth + 1))
    return rows


def _timeline(rows: list[dict[str, Any]], trace) -> None:
    """Offset and width (percent of the trace's span) of every row's bar in the waterfall."""
    starts = [r["obs"].start_time for r in rows]
    ends = [r["obs"].end_time or r["obs"].start_time for r in rows]
    if not rows:
        return
    first, last = min(starts), max(ends)
    total = max((last - first).total_seconds(), 0.001)
    for row, start, end in zip(rows, starts, ends, strict=True):
        row["offset"] = round(100 * (start - first).total_seconds() / total, 2)
        row["width"] = max(round(100 * (end - start).total_seconds() / total, 2), 0.4)
        row["seconds"] = (end - start).total_seconds()


def _as_chat(value: Any) -> list[dict] | None:
    """Messages to render as a conversation: a list of {role, ...}, or a single such message."""
    if isinstance(value, dict) and "role" in value and "content" in value:
        return [value]
    if isinstance(value, list) and value and all(isinstance(m, dict) and "role" in m for m in value):
        return value
    return None


class TraceDetailView(ConsoleView):
    scope = "traces"

    def get(self, request: HttpRequest, project_id: str, trace_id: str) -> HttpResponse:
        trace = queries.trace_get(project_id=project_id, trace_id=trace_id)  # NotFound -> 404 in the base
        observations = queries.trace_observations(project_id=project_id, trace_id=trace_id)
        rows = _flatten(_tree(observations))
        _timeline(rows, trace)
        selected_id = request.GET.get("observation")
        selected = next((o for o in observations if o.id == selected_id), None)
        subject = selected or trace
        # The slow step is the slowest leaf: a parent span is always at least as long as its children.
        slowest = max((r for r in rows if not r["has_children"]), key=lambda r: r["seconds"], default=None)
        return render(
            request,
            "traces/detail.html",
            {
                "trace": trace,
                "rows": rows,
                "selected": selected,
                "subject": subject,
                "input_chat": _as_chat(subject.input),
                "output_chat": _as_chat(subject.output),
                "scores": [score_dict(s) for s in queries.trace_scores(project_id=project_id, trace_id=trace_id)],
                "slowest_id": slowest["obs"].id if slowest and len(rows) > 1 else None,
                "levels": LEVELS,
            },
        )


class SessionsView(ConsoleView):
    scope = "traces"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        search = request.GET.get("q", "").strip()
        page = Window(queries.session_overview(project_id=project_id, search=search), request.GET.get("page"))
        return render(
            request,
            "traces/sessions.html",
            {"page": page, "search": search, "query": urlencode({"q": search}) if search else ""},
        )


class SessionReplayView(ConsoleView):
    """A session read like the conversation: every turn's input and output with its figures."""

    scope = "traces"

    def get(self, request: HttpRequest, project_id: str, session_id: str) -> HttpResponse:
        turns = queries.session_turns(project_id=project_id, session_id=session_id)
        scores = queries.scores_by_trace(project_id=project_id, trace_ids=[t.id for t in turns])
        return render(
            request,
            "traces/session.html",
            {
                "session_id": session_id,
                "turns": [
                    {
                        "trace": t,
                        "input_chat": _as_chat(t.input),
                        "output_chat": _as_chat(t.output),
                        "scores": scores.get(t.id, []),
                    }
                    for t in turns
                ],
                "total_cost": sum((t.total_cost for t in turns if t.total_cost is not None), start=0) or None,
                "duration": (turns[-1].timestamp - turns[0].timestamp).total_seconds(),
            },
        )


class UsersView(ConsoleView):
    """End users of the application (the userId of traces), with their activity and cost."""

    scope = "traces"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        search = request.GET.get("q", "").strip()
        page = Window(queries.user_overview(project_id=project_id, search=search), request.GET.get("page"))
        return render(
            request,
            "traces/users.html",
            {"page": page, "search": search, "query": urlencode({"q": search}) if search else ""},
        )


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


class TraceDeleteView(ConsoleView):
    """Delete a trace with its observations and scores (Admins and Owners; audited)."""

    scopes = {"POST": "traces:delete"}

    def post(self, request: HttpRequest, project_id: str, trace_id: str) -> HttpResponse:
        if request.POST.get("confirm") != "delete":
            messages.error(request, _("Confirm the deletion first."))
            return redirect("projects:trace", project_id=project_id, trace_id=trace_id)
        services.traces_delete(access=self.access, trace_ids=[trace_id])
        messages.success(request, _("Trace deleted."))
        return redirect("projects:traces", project_id=project_id)


class TraceBookmarkView(ConsoleView):
    scopes = {"POST": "traces:write"}

    def post(self, request: HttpRequest, project_id: str, trace_id: str) -> HttpResponse:
        services.trace_set_bookmark(access=self.access, trace_id=trace_id, bookmarked=request.POST.get("on") == "1")
        next_url = request.POST.get("next", "")
        if not next_url.startswith("/") or next_url.startswith("//"):  # only back into LangOps itself
            next_url = f"/project/{project_id}/traces/{trace_id}/"
        return redirect(next_url)

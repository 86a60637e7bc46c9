"""Console: one trace (tree, timeline, input and output) and what can be done to it."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.core.views import ConsoleView
from apps.traces import services
from apps.traces.models import LEVELS
from apps.traces.queries import traces as queries
from apps.traces.serializers import score_dict


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


def as_chat(value: Any) -> list[dict] | None:
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
                "input_chat": as_chat(subject.input),
                "output_chat": as_chat(subject.output),
                "scores": [score_dict(s) for s in queries.trace_scores(project_id=project_id, trace_id=trace_id)],
                "slowest_id": slowest["obs"].id if slowest and len(rows) > 1 else None,
                "levels": LEVELS,
            },
        )


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

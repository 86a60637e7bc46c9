"""Console: one trace (tree, timeline, agent graph, input and output, comments) and what can be done to it."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.core.errors import InvalidRequest, NotFound
from apps.core.views import ConsoleView
from apps.media.selectors import media_items
from apps.scores.selectors import comment_list_for
from apps.scores.services import MAX_COMMENT_CHARS, comment_create
from apps.traces import services, tree
from apps.traces.graph import agent_graph
from apps.traces.models import LEVELS
from apps.traces.queries import traces as queries
from apps.traces.queries.detail import observation_in_trace, observation_of_trace
from apps.traces.rendering import as_chat
from apps.traces.serializers import score_dict
from apps.traces.services import MAX_TAG_CHARS

__all__ = ["TraceBookmarkView", "TraceCommentView", "TraceDeleteView", "TraceDetailView", "TraceTagsView"]
VIEWS = ("tree", "graph")


def _trace_url(project_id: str, trace_id: str, *, observation: str = "", view: str = "") -> str:
    """The trace page, keeping the selected observation and the tree/graph choice."""
    query = {k: v for k, v in (("view", view if view in VIEWS else ""), ("observation", observation)) if v}
    url = reverse("projects:trace", kwargs={"project_id": project_id, "trace_id": trace_id})
    return f"{url}?{urlencode(query)}" if query else url


class TraceDetailView(ConsoleView):
    scope = "traces"

    def get(self, request: HttpRequest, project_id: str, trace_id: str) -> HttpResponse:
        trace = queries.trace_get(project_id=project_id, trace_id=trace_id)  # NotFound -> 404 in the base
        observations = queries.trace_outline(project_id=project_id, trace_id=trace_id)
        rows = tree.flatten(tree.tree(observations))
        tree.timeline(rows)
        view = request.GET.get("view") if request.GET.get("view") in VIEWS else "tree"
        selected_id = request.GET.get("observation")
        selected = (
            observation_of_trace(project_id=project_id, trace_id=trace_id, observation_id=selected_id)
            if selected_id
            else None
        )
        subject = selected or trace
        slowest_id = tree.slowest_leaf(rows)
        commented = [("TRACE", trace.id)] + ([("OBSERVATION", selected.id)] if selected else [])
        return render(
            request,
            "traces/detail.html",
            {
                "trace": trace,
                "rows": rows,
                "view": view,
                "graph": agent_graph(observations, trace_name=trace.name or trace.id) if view == "graph" else None,
                "selected": selected,
                "subject": subject,
                "input_chat": as_chat(subject.input),
                "output_chat": as_chat(subject.output),
                "media": media_items(
                    project_id=project_id,
                    values={"input": subject.input, "output": subject.output, "metadata": subject.metadata},
                ),
                "comments": comment_list_for(project_id=project_id, objects=commented),
                "scores": [score_dict(s) for s in queries.trace_scores(project_id=project_id, trace_id=trace_id)],
                "slowest_id": slowest_id,
                "tree_html": tree.rows_html(rows, selected_id=selected_id, slowest_id=slowest_id, view=view)
                if view == "tree"
                else "",
                "levels": LEVELS,
                "can_write": self.access.has("traces:write"),
                "max_tag_chars": MAX_TAG_CHARS,
                "max_comment_chars": MAX_COMMENT_CHARS,
            },
        )


class TraceTagsView(ConsoleView):
    """Add a tag to a trace or remove one (Members and above; audited)."""

    scopes = {"POST": "traces:write"}

    def post(self, request: HttpRequest, project_id: str, trace_id: str) -> HttpResponse:
        add, remove = request.POST.get("add"), request.POST.get("remove")
        try:
            services.trace_tags_update(
                access=self.access,
                trace_id=trace_id,
                add=[add] if add is not None else [],
                remove=[remove] if remove is not None else [],
            )
        except InvalidRequest as exc:
            messages.error(request, exc.message)
        return redirect(_trace_url(project_id, trace_id, **_selection(request)))


class TraceCommentView(ConsoleView):
    """Comment on a trace or on one of its observations (Members and above)."""

    scopes = {"POST": "traces:write"}

    def post(self, request: HttpRequest, project_id: str, trace_id: str) -> HttpResponse:
        if not queries.trace_exists(project_id=project_id, trace_id=trace_id):
            raise NotFound(f"Trace {trace_id} not found within authorized project")
        observation_id = request.POST.get("observation", "")
        if observation_id and not observation_in_trace(
            project_id=project_id, trace_id=trace_id, observation_id=observation_id
        ):
            raise NotFound(f"Observation {observation_id} not found in trace {trace_id}")
        try:
            comment_create(
                access=self.access,
                object_type="OBSERVATION" if observation_id else "TRACE",
                object_id=observation_id or trace_id,
                content=request.POST.get("content", ""),
            )
        except InvalidRequest:
            messages.error(request, _("A comment must be 1 to %(max)d characters long.") % {"max": MAX_COMMENT_CHARS})
        else:
            messages.success(request, _("Comment added."))
        return redirect(_trace_url(project_id, trace_id, **_selection(request)))


def _selection(request: HttpRequest) -> dict[str, str]:
    return {"observation": request.POST.get("observation", ""), "view": request.POST.get("view", "")}


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
        return redirect(_trace_url(project_id, trace_id, **_selection(request)))

"""Console: sessions (list and turn-by-turn replay) and the application's end users."""

from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.pagination import Window
from apps.core.views import ConsoleView
from apps.traces.queries import traces as queries
from apps.traces.rendering import as_chat

SESSION_FILTER_KEYS = ("q",)
USER_FILTER_KEYS = ("q",)


def filtered_sessions(project_id: str, params) -> tuple[QuerySet, dict[str, str]]:
    """The sessions table's query from its GET parameters (shared by the page and its exports)."""
    f = {k: params.get(k, "").strip() for k in SESSION_FILTER_KEYS}
    return queries.session_overview(project_id=project_id, search=f["q"]), f


def filtered_users(project_id: str, params) -> tuple[QuerySet, dict[str, str]]:
    """The users table's query from its GET parameters (shared by the page and its exports)."""
    f = {k: params.get(k, "").strip() for k in USER_FILTER_KEYS}
    return queries.user_overview(project_id=project_id, search=f["q"]), f


class SessionsView(ConsoleView):
    scope = "traces"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        _sessions, f = filtered_sessions(project_id, request.GET)  # the same filters as the export
        page = Window(queries.recent_sessions(project_id=project_id, search=f["q"]), request.GET.get("page"))
        scores = queries.session_scores(project_id=project_id, session_ids=[s["session_id"] for s in page.object_list])
        return render(
            request,
            "traces/sessions.html",
            {
                "page": page,
                "rows": [{"session": s, "scores": scores.get(s["session_id"], [])} for s in page.object_list],
                "search": f["q"],
                "query": urlencode({k: v for k, v in f.items() if v}),
            },
        )


class SessionReplayView(ConsoleView):
    """A session read like the conversation: every turn's input and output with its figures."""

    scope = "traces"

    turns_per_page = 50

    def get(self, request: HttpRequest, project_id: str, session_id: str) -> HttpResponse:
        turns, totals = queries.session_turns(project_id=project_id, session_id=session_id)
        page = Window(turns, request.GET.get("page"), per_page=self.turns_per_page)
        scores = queries.scores_by_trace(project_id=project_id, trace_ids=[t.id for t in page.object_list])
        first = (page.number - 1) * self.turns_per_page + 1
        return render(
            request,
            "traces/session.html",
            {
                "session_id": session_id,
                "page": page,
                "turns": [
                    {
                        "number": first + index,
                        "trace": t,
                        "input_chat": as_chat(t.input),
                        "output_chat": as_chat(t.output),
                        "scores": scores.get(t.id, []),
                    }
                    for index, t in enumerate(page.object_list)
                ],
                "turn_count": totals["count"],
                "total_cost": totals["cost"],
                "duration": (totals["last"] - totals["first"]).total_seconds(),
            },
        )


class UsersView(ConsoleView):
    """End users of the application (the userId of traces), with their activity and cost."""

    scope = "traces"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        _users, f = filtered_users(project_id, request.GET)  # the same filters as the export
        page = Window(queries.recent_users(project_id=project_id, search=f["q"]), request.GET.get("page"))
        return render(
            request,
            "traces/users.html",
            {"page": page, "search": f["q"], "query": urlencode({k: v for k, v in f.items() if v})},
        )

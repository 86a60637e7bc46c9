"""Console: one end user of the application, with their figures, sessions and latest traces."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.views import ConsoleView
from apps.traces.queries import traces as queries

LATEST_TRACES = 25
LATEST_SESSIONS = 25


class UserView(ConsoleView):
    scope = "traces"

    def get(self, request: HttpRequest, project_id: str, user_id: str) -> HttpResponse:
        summary = queries.user_summary(project_id=project_id, user_id=user_id)  # NotFound -> 404
        sessions = queries.session_overview(project_id=project_id, user_id=user_id)[:LATEST_SESSIONS]
        traces = queries.trace_list(project_id=project_id, user_id=user_id).defer(*queries.IO_FIELDS)[:LATEST_TRACES]
        return render(
            request,
            "traces/user.html",
            {
                "user_id": user_id,
                "summary": summary,
                "sessions": list(sessions),
                "traces": list(traces),
                "traces_query": urlencode({"user": user_id}),
            },
        )

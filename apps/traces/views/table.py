"""Console: the traces table, its filters and its exports."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from apps.core.errors import InvalidRequest
from apps.core.pagination import Window
from apps.core.views import ConsoleView
from apps.traces import saved_views, search, table_spec, tasks
from apps.traces.queries import filters as filter_grammar
from apps.traces.queries import traces as queries

PRESETS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
SORTS = {"newest": "timestamp.desc", "oldest": "timestamp.asc", "name": "name.asc"}


FILTER_KEYS = (
    "q",
    "user",
    "session",
    "tag",
    "environment",
    "range",
    "from",
    "to",
    "sort",
    "errors",
    "bookmarked",
    "filter",
    "cols",
)


def _moment(value: str, field: str) -> datetime | None:
    """A datetime-local input's value, in the console's time zone."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{field}: not a date and time") from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def time_window(f: dict[str, str]) -> tuple[datetime | None, datetime | None]:
    """From and to of the table's time filter: a preset back from now, or a custom window."""
    if f["range"] in PRESETS:
        return timezone.now() - PRESETS[f["range"]], None
    if f["range"] == "custom":
        return _moment(f["from"], "from"), _moment(f["to"], "to")
    return None, None


def filtered_traces(project_id: str, params) -> tuple[QuerySet, dict[str, str]]:
    """The traces table's query from its GET parameters (shared by the page and its exports).

    Raises InvalidRequest for a filter the grammar refuses (the page shows why)."""
    f = {k: params.get(k, "").strip() for k in FILTER_KEYS}
    since, until = time_window(f)
    traces = queries.trace_list(
        project_id=project_id,
        user_id=f["user"] or None,
        session_id=f["session"] or None,
        from_timestamp=since,
        to_timestamp=until,
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
    if f["filter"]:
        traces = filter_grammar.apply(traces, filter_grammar.parse(f["filter"]), filter_grammar.TRACE_COLUMNS)
    return traces, f


class TracesView(ConsoleView):
    scope = "traces"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        error = None
        try:
            traces, f = filtered_traces(project_id, request.GET)
        except InvalidRequest as exc:  # show the table unfiltered by the bad condition, and say why
            error = exc.message
            traces, f = filtered_traces(project_id, {**request.GET.dict(), "filter": "", "range": ""})
        page = Window(traces.defer(*queries.IO_FIELDS), request.GET.get("page"))  # the table shows no IO
        rows = page.object_list
        shown = table_spec.chosen_columns(f["cols"])
        scores = (
            queries.scores_by_trace(project_id=project_id, trace_ids=[t.id for t in rows]) if "scores" in shown else {}
        )
        query = urlencode({k: v for k, v in f.items() if v})
        conditions = filter_grammar.parse(f["filter"]) if not error and f["filter"] else []
        return render(
            request,
            "traces/list.html",
            {
                "page": page,
                "rows": [{"trace": t, "scores": scores.get(t.id, [])} for t in rows],
                "filters": f,
                "filter_error": error,
                "conditions": conditions,
                "filter_columns": table_spec.filter_columns(),
                "columns": table_spec.TABLE_COLUMNS,
                "shown": shown,
                "presets": list(PRESETS),
                "query": query,
                "environments": queries.environment_names(project_id=project_id),
                "saved_views": saved_views.visible_views(access=self.access, table="traces"),
                "can_share": self.access.has("traces:write"),
                # Searching while the indexer catches up: say that recent traces may be missing.
                "search_pending": tasks.pending_count(project_id=project_id) if f["q"] else 0,
            },
        )

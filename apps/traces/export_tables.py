"""Every console table that can be exported: its filtered query, its row shape, its formats.

The query comes from the same function the page uses with the same GET parameters, so an
export holds exactly the rows the table shows under its filters (all pages of them). Rows are
read with `.iterator()`, a chunk at a time, and serialised one by one; a serialiser answering
None skips the row (the fine-tuning export counts those).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from apps.traces import error_kinds
from apps.traces.finetune import finetune_example
from apps.traces.models import Observation
from apps.traces.serializers import trace_export_row
from apps.traces.table_spec import chosen_columns
from apps.traces.views.activity import (
    SESSION_FILTER_KEYS,
    USER_FILTER_KEYS,
    filtered_sessions,
    filtered_users,
)
from apps.traces.views.observations import (
    ERROR_FILTER_KEYS,
    OBSERVATION_FILTER_KEYS,
    filtered_errors,
    filtered_observations,
)
from apps.traces.views.table import FILTER_KEYS as TRACE_FILTER_KEYS
from apps.traces.views.table import filtered_traces

CHUNK_SIZE = 1000
# A JSON filter of the traces table can be long; a request line is at most ~4 KB (gunicorn) anyway.
MAX_PARAM_LENGTH = 4000
TABULAR = ("csv", "json", "jsonl")


def _activity_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row of the sessions or users table (traces grouped by session or by user)."""
    key = {"sessionId": row["session_id"], "userId": row["user"]} if "session_id" in row else {"userId": row["user_id"]}
    return {
        **key,
        "traces": row["traces"],
        "firstSeen": row["first"],
        "lastSeen": row["last"],
        "totalTokens": row["tokens"],
        "totalCost": row["cost"],
        "errors": row["errors"],
    }


def _observation_row(o: Observation) -> dict[str, Any]:
    return {
        "id": o.id,
        "traceId": o.trace_id,
        "type": o.type,
        "name": o.name,
        "startTime": o.start_time,
        "endTime": o.end_time,
        "model": o.model,
        "latency": o.latency,
        "timeToFirstToken": o.time_to_first_token,
        "inputTokens": o.input_tokens,
        "outputTokens": o.output_tokens,
        "totalTokens": o.total_tokens,
        "totalCost": o.total_cost,
        "costStatus": o.cost_status,
        "level": o.level,
        "statusMessage": o.status_message,
        "environment": o.environment,
        "input": o.input,
        "output": o.output,
        "metadata": o.metadata,
    }


def _error_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": error_kinds.classify(row["status_message"]),
        "statusMessage": row["status_message"],
        "name": row["name"],
        "model": row["model"],
        "count": row["count"],
        "traces": row["traces"],
        "firstSeen": row["first"],
        "lastSeen": row["last"],
    }


def _finetune_row(o: Observation) -> dict[str, Any] | None:
    return finetune_example(o.input, o.output)


def _trace_rows(params: dict[str, str]) -> Callable[[Any], dict[str, Any]]:
    """Traces as the table shows them: the columns chosen in its column chooser (`cols`)."""
    shown = chosen_columns(params.get("cols", ""))
    return lambda trace: trace_export_row(trace, shown)


def _same_rows(row: Callable[[Any], dict[str, Any] | None]) -> Callable[[dict[str, str]], Callable]:
    """For a table whose rows have one shape whatever its parameters."""
    return lambda _params: row


def _generations(project_id: str, params: dict[str, str]) -> tuple[QuerySet, dict[str, str]]:
    return filtered_observations(project_id, {**params, "type": "GENERATION"})


@dataclass(frozen=True)
class ExportTable:
    name: str
    label: Any
    page: str  # URL name of the table's page
    query: Callable[[str, Any], tuple[QuerySet, dict[str, str]]]
    keys: tuple[str, ...]
    # The row serialiser for an export's parameters (a row shape can follow them, as the traces
    # table's chosen columns); a serialiser answering None skips the row.
    rows_for: Callable[[dict[str, str]], Callable[[Any], dict[str, Any] | None]]
    formats: tuple[str, ...] = TABULAR
    # Always a background job: its result (rows skipped) can only be reported there.
    background_only: bool = False


TABLES: dict[str, ExportTable] = {
    t.name: t
    for t in (
        ExportTable("traces", _("Traces"), "projects:traces", filtered_traces, TRACE_FILTER_KEYS, _trace_rows),
        ExportTable(
            "sessions",
            _("Sessions"),
            "projects:sessions",
            filtered_sessions,
            SESSION_FILTER_KEYS,
            _same_rows(_activity_row),
        ),
        ExportTable("users", _("Users"), "projects:users", filtered_users, USER_FILTER_KEYS, _same_rows(_activity_row)),
        ExportTable(
            "observations",
            _("Observations"),
            "projects:observations",
            filtered_observations,
            OBSERVATION_FILTER_KEYS,
            _same_rows(_observation_row),
        ),
        ExportTable(
            "errors", _("Errors"), "projects:errors", filtered_errors, ERROR_FILTER_KEYS, _same_rows(_error_row)
        ),
        ExportTable(
            "finetune",
            _("OpenAI fine-tuning (generations)"),
            "projects:observations",
            _generations,
            tuple(k for k in OBSERVATION_FILTER_KEYS if k != "type"),
            _same_rows(_finetune_row),
            formats=("jsonl",),
            background_only=True,
        ),
    )
}


def clean_params(table: ExportTable, source) -> dict[str, str]:
    """The table's own filter parameters from a query string, non-empty and length-capped."""
    params = {k: source.get(k, "").strip()[:MAX_PARAM_LENGTH] for k in table.keys}
    return {k: v for k, v in params.items() if v}


def queryset(table: ExportTable, project_id: str, params: dict[str, str]) -> QuerySet:
    rows, _filters = table.query(project_id, params)
    return rows


def at_most(table: ExportTable, project_id: str, params: dict[str, str], limit: int) -> int:
    """The number of rows, counted no further than `limit` (never a full count of a big table)."""
    return queryset(table, project_id, params)[:limit].count()


def rows(table: ExportTable, project_id: str, params: dict[str, str]) -> Iterator[dict[str, Any] | None]:
    """Every filtered row in its export shape (None where the table skips one), read a chunk at a time."""
    row = table.rows_for(params)
    for record in queryset(table, project_id, params).iterator(chunk_size=CHUNK_SIZE):
        yield row(record)

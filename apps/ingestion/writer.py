"""The write path: merge entity events into stored rows, set-based, in one transaction.

For each entity kind: lock and read the stored rows of every id in the batch (one SELECT),
apply the events in Python with the merge rules of `apps.ingestion.merge`, then write the
results back in bulk. PostgreSQL gets COPY into a temporary staging table followed by one
INSERT (new rows) and one UPDATE (existing rows); SQLite, whose immediate transactions already
serialise writers, gets the equivalent batched statements. No ORM object per event.

This module takes plain values (no request), so it can also run in a worker later.
"""

import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from operator import itemgetter
from typing import Any

import msgspec
import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DataError, IntegrityError, connection, connections, models, transaction
from django.utils import timezone

from apps.core.tasks import hand_off
from apps.costs.catalogue import model_matcher
from apps.costs.engine import price_row
from apps.ingestion.encoded_jsonb import EncodedJsonb
from apps.ingestion.events import EntityEvent
from apps.ingestion.merge import FIELDS, FIRST, apply_event, apply_first_event, pack_state, unpack_state, without_losers
from apps.ingestion.normalize import is_update, order_key
from apps.ingestion.tasks import enrich_observations
from apps.ingestion.tool_definitions import move_tools
from apps.scores.models import Score
from apps.traces.models import Observation, Session, Trace

MODELS: dict[str, type[models.Model]] = {"trace": Trace, "observation": Observation, "score": Score}


# Columns other jobs own: the search document is built in the background (apps.traces.search).
_NOT_WRITTEN = frozenset({"search_document"})
# Trace columns the search document is built from: changing one marks the trace pending again.
_SEARCHED = ("name", "input", "output", "metadata")


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.attname not in _NOT_WRITTEN]


@cache
def _defaults(model: type[models.Model]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Column defaults of a model, and which of them are mutable (JSON) and must be copied per row."""
    values, mutable = {}, []
    for column in _columns(model):
        values[column.attname] = column.get_default() if column.has_default() else None
        if isinstance(values[column.attname], (dict, list)):
            mutable.append(column.attname)
    return values, tuple(mutable)


def _blank_row(model: type[models.Model], project_id: str, entity_id: str, now: datetime) -> dict[str, Any]:
    """A row for an id never seen before; every field the merge does not set keeps its default."""
    values, mutable = _defaults(model)  # type: ignore[arg-type]  # mypy: a class is hashable
    row = dict(values)
    for name in mutable:
        row[name] = type(values[name])()
    row.update(project_id=project_id, id=entity_id, merge_state={}, created_at=now, updated_at=now)
    return row


def _finish_row(kind: str, row: dict[str, Any], now: datetime, context: dict[str, Any]) -> None:
    """Derived columns after merging: usage and cost (observations: `context["matcher"]`, the
    project's price list), clamps, required defaults."""
    row["updated_at"] = now
    if kind == "observation":
        if isinstance(row["metadata"], dict):
            # As Langfuse: tool definitions in the metadata join the input (OTLP spans' did already).
            row["input"], row["metadata"] = move_tools(row["input"], row["metadata"])
        price_row(row, context["matcher"])
        if row["start_time"] is None:
            row["start_time"] = now
        if row["end_time"] is not None and row["end_time"] < row["start_time"]:
            row["end_time"] = row["start_time"]
        if row["trace_id"] is None:
            row["trace_id"] = row["id"]
    elif kind == "trace" and row["timestamp"] is None:
        row["timestamp"] = now
    elif kind == "score" and row["timestamp"] is None:
        row["timestamp"] = now


def _group(events: Iterable[EntityEvent]) -> dict[str, dict[str, list[EntityEvent]]]:
    """Events by kind and id, without those that cannot change their row (`without_losers`)."""
    grouped: dict[str, dict[str, list[EntityEvent]]] = defaultdict(lambda: defaultdict(list))
    for event in events:
        grouped[event.kind][event.id].append(event)
    for kind, by_id in grouped.items():
        for entity_id, same in by_id.items():
            if len(same) > 2:
                by_id[entity_id] = without_losers(kind, same)
    return grouped


def _apply(kind: str, row: dict[str, Any], events: list[EntityEvent], *, blank: bool = False) -> None:
    """Apply events in key order; on a `blank` row (new, every column its default) the first one
    takes its fields without the registers' comparisons, as every field wins there."""
    spec = FIELDS[kind]
    ordered = sorted(events, key=lambda e: e.key) if len(events) > 1 else events
    if blank:
        first, *ordered = ordered
        apply_first_event(row, kind, first.fields, first.weak_fields, first.key)
    for event in ordered:
        apply_event(row, kind, event.fields, event.key)
        if event.weak_fields:
            assert all(spec[name] == FIRST for name in event.weak_fields), "weak values are only for immutables"
            apply_event(row, kind, event.weak_fields, "~" + event.key)


def _load(model: type[models.Model], project_id: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored rows of `ids` by id; on PostgreSQL locked, in id order (one plain statement)."""
    names = [c.attname for c in _columns(model)]
    if connection.vendor != "postgresql":
        rows = model.objects.filter(project_id=project_id, id__in=ids).order_by("id")
        stored = {row["id"]: row for row in rows.values(*names)}
        for row in stored.values():
            row["merge_state"] = unpack_state(row["merge_state"])
        return stored
    table, columns, quoted = _table(model)
    # One primary-key lookup per id, locked in the order of `ids`: a sub-select with FOR UPDATE is
    # never flattened, so stale statistics cannot turn the plan into a scan of the whole project.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.* FROM unnest(string_to_array(%s, chr(13))) AS k(id) CROSS JOIN LATERAL "
            f"(SELECT {', '.join(quoted)} FROM {table} WHERE project_id = %s AND id = k.id FOR UPDATE) AS s",
            [_joined(ids), project_id],
        )
        found = cursor.fetchall()
    if not found:
        return {}
    json_at = [i for i, c in enumerate(columns) if isinstance(c, models.JSONField)]
    stored = {}
    for values in found:
        row = dict(zip(names, values, strict=True))
        for i in json_at:  # jsonb arrives as text (Django's loader), as JSONField would decode it
            if values[i] is not None:
                row[names[i]] = msgspec.json.decode(values[i])
        row["merge_state"] = unpack_state(row["merge_state"])
        stored[row["id"]] = row
    return stored


def _merged(
    kind: str,
    model: type[models.Model],
    project_id: str,
    by_id: dict[str, list[EntityEvent]],
    stored: dict[str, dict[str, Any]],
    now: datetime,
    context: dict[str, Any],
) -> Iterator[dict[str, Any]]:
    """Each id's merged row, one at a time (in the order of `by_id`)."""
    for entity_id, events in by_id.items():
        row = stored.get(entity_id)
        if row is None:
            row = _blank_row(model, project_id, entity_id, now)
            _apply(kind, row, events, blank=True)
            row.update(context.get("aggregates", {}).get(entity_id, ()))
        elif kind == "trace":
            searched = [row[name] for name in _SEARCHED]
            _apply(kind, row, events)
            if searched != [row[name] for name in _SEARCHED]:
                row["search_pending"] = True  # its search document is rebuilt in the background
        else:
            moved_from = row.get("trace_id") if kind == "observation" else None
            _apply(kind, row, events)
            if moved_from is not None and moved_from != row["trace_id"]:
                context.setdefault("moved_from", set()).add(moved_from)  # its aggregates change too
        _finish_row(kind, row, now, context)
        yield row


@dataclass
class Merged:
    """What `_merge_kind` wrote: every merged row, which ids were new, and (observations) the
    traces that existing observations left."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    inserted: set[str] = field(default_factory=set)
    moved_from: set[str] = field(default_factory=set)


@dataclass
class Probe:
    """Ids asked about before a write, and which of them have a stored row."""

    asked: set[str] = field(default_factory=set)
    found: set[str] = field(default_factory=set)


def _merge_kind(
    kind: str,
    project_id: str,
    by_id: dict[str, list[EntityEvent]],
    now: datetime,
    aggregates: dict[str, dict[str, Any]] | None = None,
    probed: Probe | None = None,
) -> Merged:
    """Merge events into stored rows and write them back.

    PostgreSQL: insert every id not known to be stored as new first (directly, or ON CONFLICT DO
    NOTHING through staging), then lock, merge and update only the ids that existed, so new data
    costs one statement. SQLite serialises
    writers, so it reads the existing rows first and writes each group once.
    """
    if not by_id:
        return Merged()
    model = MODELS[kind]
    context: dict[str, Any] = {"aggregates": aggregates} if aggregates else {}
    if kind == "observation":  # fetched before any row is merged: see the COPY stream below
        context["matcher"] = model_matcher(project_id)
    if connection.vendor != "postgresql":
        stored = _load(model, project_id, sorted(by_id))
        rows = list(_merged(kind, model, project_id, by_id, stored, now, context))
        _sqlite_insert(model, [r for r in rows if r["id"] not in stored])
        _sqlite_update(model, [r for r in rows if r["id"] in stored])
        return Merged(rows, {r["id"] for r in rows if r["id"] not in stored}, context.get("moved_from", set()))
    if _MODE.get().direct:  # ids known to be stored skip the merge as new rows
        probed = probed or Probe()
        unprobed = [i for i in by_id if i not in probed.asked]
        stored_ids = probed.found | (_stored_ids(project_id, {model: unprobed})[model] if unprobed else set())
        fresh = {i: e for i, e in by_id.items() if i not in stored_ids}
    else:
        fresh = by_id
    # Merged while they are sent, in id order: the database stores the first rows while the
    # last ones are still being merged and priced. Nothing may query the database while the COPY
    # streams (the connection is busy with it; `_copy_rows` makes such a query fail at once), so
    # the price list was fetched before.
    candidates: list[dict[str, Any]] = []
    in_order = {i: fresh[i] for i in sorted(fresh)}
    stream = _kept(_merged(kind, model, project_id, in_order, {}, now, context), candidates)
    inserted = _pg_insert(model, stream) if fresh else set()
    merged = [r for r in candidates if r["id"] in inserted]
    existing = {i: e for i, e in by_id.items() if i not in inserted}
    if existing:
        # Rows that exist are locked (in id order, so writers never deadlock) and merged again.
        stored = _load(model, project_id, sorted(existing))
        rows = list(_merged(kind, model, project_id, existing, stored, now, context))
        missing = [r["id"] for r in rows if r["id"] not in stored]
        if missing:  # deleted between the two statements: vanishingly rare, and worth a loud error
            raise RuntimeError(f"{len(missing)} {kind} rows vanished while merging")
        update_rows(model, rows)
        merged.extend(rows)
    return Merged(merged, inserted, context.get("moved_from", set()))


# --- Bulk statements ---------------------------------------------------------------------------


# PostgreSQL text and jsonb cannot hold U+0000; clients do send it (binary-ish tool output), so it
# is dropped rather than failing the whole write. The JSON pattern skips escaped backslashes.
_JSON_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def parsed_document(value: Any) -> Any:
    """A value with JSON text kept as it is (`msgspec.Raw`, see otel_mapping._document) parsed;
    text that does not parse is kept as a string. Any other value as it is."""
    if not isinstance(value, msgspec.Raw):
        return value
    try:
        return msgspec.json.decode(value)
    except msgspec.DecodeError:
        return bytes(value).decode()


def _json_text(value: Any) -> str:
    text = msgspec.json.encode(parsed_document(value), enc_hook=str).decode()
    return _JSON_NUL.sub(r"\1", text) if "\\u0000" in text else text


_local = threading.local()


def _json_encoder() -> msgspec.json.Encoder:
    """This thread's JSON encoder. An Encoder reuses its output buffer from call to call, so it is
    never shared between threads: a call that runs Python code (the enc_hook) may yield to another."""
    encoder = getattr(_local, "json_encoder", None)
    if encoder is None:
        encoder = _local.json_encoder = msgspec.json.Encoder(enc_hook=str)
    return encoder


def _json_scrubbed_bytes(value: Any) -> bytes:
    return _json_text(value).encode()


def _text(value: Any) -> Any:
    return value.replace("\x00", "") if isinstance(value, str) and "\x00" in value else value


def _db_value(column: models.Field, value: Any) -> Any:
    if column.attname == "merge_state":
        value = pack_state(value)
    if value is None:
        return None
    if isinstance(column, models.JSONField):
        return _json_text(value)
    if isinstance(value, str):
        return _text(value)
    if isinstance(column, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(column, models.DecimalField):
        return connection.ops.adapt_decimalfield_value(Decimal(value), column.max_digits, column.decimal_places)
    return value


def _table(model: type[models.Model]) -> tuple[str, list[models.Field], list[str]]:
    """Table name, written columns and their quoted names."""
    columns = _columns(model)
    return model._meta.db_table, columns, [connection.ops.quote_name(c.column) for c in columns]


# The PostgreSQL type of each kind of written column: COPY sends rows in the binary format, which
# psycopg writes without escaping text, about a quarter less client CPU than the text format.
# Values are dumped as these types, so each must fit its column: every integer written is bounded
# where it is made (token counts as BIGINT, prompt versions below 2**31, counts of a trace's rows).
_PG_TYPES = {
    "CharField": "text",  # varchar(n) reads the text format, and checks its length as for text
    "TextField": "text",
    "DateTimeField": "timestamptz",
    "JSONField": "jsonb",
    "DecimalField": "numeric",
    "BooleanField": "bool",
    "IntegerField": "int4",
    "BigIntegerField": "int8",
    "SmallIntegerField": "int2",
    "FloatField": "float8",
}


@dataclass(frozen=True)
class _CopyLayout:
    columns: str  # the quoted column list
    state_at: int  # position of the merge state
    types: tuple[int, ...]  # their PostgreSQL types (oids: psycopg looks names up on every COPY)
    json_at: tuple[int, ...]  # positions of JSON columns
    other_at: tuple[int, ...]  # the other positions
    in_order: Callable[[dict[str, Any]], tuple]  # a row's values in column order


@cache
def _copy_layout(model: type[models.Model]) -> _CopyLayout:
    _name, columns, names = _table(model)
    json_at = tuple(i for i, c in enumerate(columns) if isinstance(c, models.JSONField))
    return _CopyLayout(
        columns=", ".join(names),
        state_at=[c.attname for c in columns].index("merge_state"),
        types=tuple(psycopg.adapters.types[_PG_TYPES[c.get_internal_type()]].oid for c in columns),
        json_at=json_at,
        other_at=tuple(i for i in range(len(columns)) if i not in json_at),
        in_order=itemgetter(*[c.attname for c in columns]),
    )


@dataclass(frozen=True)
class _Mode:
    """How a PostgreSQL write goes. The fast way first; a write that fails because of it is redone
    the careful way, from the start (its transaction or savepoint rolled back).

    `scrub`: remove U+0000 from every value, and parse JSON text kept as it is (`msgspec.Raw`:
    what does not parse is stored as a string); clients rarely send either, so the checks are
    skipped until PostgreSQL refuses a value. `direct`: COPY rows that no stored row has straight
    into the table instead of through the staging table; a concurrent writer inserting one of
    those ids first makes the COPY fail, and the redo takes the staging path, which merges.
    """

    scrub: bool = True
    direct: bool = False


_MODE: ContextVar[_Mode] = ContextVar("write_mode", default=_Mode())  # noqa: B039 - frozen, never mutated


class _LostRace(Exception):
    """A direct COPY met an id another writer inserted meanwhile."""


# Invalid byte 0x00 in text; \u0000 (or a lone surrogate) in jsonb; text that is no JSON.
_SCRUBBED = frozenset({"22021", "22P05", "22P02"})


def _refused_unscrubbed(exc: DataError) -> bool:
    """Whether the write failed on a value the scrubbed way cleans: refused by the server, or
    (U+0000 in text) by psycopg before sending."""
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    return sqlstate in _SCRUBBED or (sqlstate is None and "(0x00)" in str(cause))


def _no_query_while_copying(*_args: Any) -> None:
    """Django execute wrapper for the time a COPY streams rows that are still being made: the
    connection is busy with the COPY, and a query there would wait for itself for ever."""
    raise RuntimeError("query made while a COPY streams rows; fetch what the rows need before the stream")


def _copy_rows(cursor: Any, target: str, model: type[models.Model], rows: Iterable[dict[str, Any]]) -> None:
    """COPY rows into `target` (PostgreSQL) in the binary format, JSON encoded here (and without
    U+0000 when scrubbing); errors as Django's."""
    layout = _copy_layout(model)  # type: ignore[arg-type]  # mypy: a class is hashable
    json_at, other_at, state_at, in_order = layout.json_at, layout.other_at, layout.state_at, layout.in_order
    scrub = _MODE.get().scrub
    encode = _json_scrubbed_bytes if scrub else _json_encoder().encode
    if not scrub:
        other_at = ()
    raw = cursor.cursor
    raw.adapters.register_dumper(None, EncodedJsonb)  # this cursor's jsonb, by type only
    statement = f"COPY {target} ({layout.columns}) FROM STDIN (FORMAT BINARY)"
    with (
        connection.wrap_database_errors,
        connection.execute_wrapper(_no_query_while_copying),
        raw.copy(statement) as copy,
    ):
        copy.set_types(layout.types)
        for row in rows:
            values = list(in_order(row))
            values[state_at] = pack_state(values[state_at])
            for i in json_at:
                if values[i] is not None:
                    values[i] = encode(values[i])
            for i in other_at:
                value = values[i]
                if isinstance(value, str) and "\x00" in value:
                    values[i] = value.replace("\x00", "")
            try:
                copy.write_row(values)
            except OverflowError as exc:  # an integer its column cannot hold, as the server would refuse it
                raise DataError(f"integer out of range: {exc}") from exc


def _pg_insert(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> set[str]:
    """Insert rows whose id is new, given in id order (at least one); returns the ids inserted (the
    others exist already).

    Direct mode COPYs the rows straight in as they come (the caller left out ids it found stored;
    an id another writer inserts meanwhile fails the COPY, and the write is redone the staging
    way). In id order: two writers inserting the same new ids wait for each other, never deadlock.
    """
    if _MODE.get().direct:
        sent: list[dict[str, Any]] = []
        with connection.cursor() as cursor:
            try:
                _copy_rows(cursor, model._meta.db_table, model, _kept(rows, sent))
            except IntegrityError as exc:
                if getattr(exc.__cause__, "sqlstate", None) == "23505":  # unique_violation
                    raise _LostRace from exc
                raise
        return {row["id"] for row in sent}
    rows = list(rows)
    table, _columns_, names = _table(model)
    stage = _stage(model, rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM {stage} "
            f"ON CONFLICT DO NOTHING RETURNING id"
        )
        return {r[0] for r in cursor.fetchall()}


def _kept(rows: Iterable[dict[str, Any]], into: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The rows, each also appended to `into` as it passes."""
    for row in rows:
        into.append(row)
        yield row


def _joined(ids: list[str]) -> str:
    """Ids as one parameter, split again by the statement: an id never holds a carriage return
    (`valid_id`), and one string is far cheaper for the client to send than an array of them."""
    return "\r".join(ids)


def _stored_ids(
    project_id: str, ids: dict[type[models.Model], list[str]], prelude: str = ""
) -> dict[type[models.Model], set[str]]:
    """Which of the ids have a stored row, per model, in one statement: one primary-key probe per
    id (a LIMITed sub-select is never flattened into a join, so stale statistics cannot turn it
    into a scan of the project). `prelude`: statements without results sent in the same round trip."""
    parts, params = [], []
    for index, (model, wanted) in enumerate(ids.items()):
        parts.append(
            f"SELECT {index}, s.id FROM unnest(string_to_array(%s, chr(13))) AS k(id) CROSS JOIN LATERAL "
            f"(SELECT id FROM {model._meta.db_table} WHERE project_id = %s AND id = k.id LIMIT 1) AS s"
        )
        params += [_joined(wanted), project_id]
    found: dict[type[models.Model], set[str]] = {model: set() for model in ids}
    models_ = list(ids)
    with connection.cursor() as cursor:
        cursor.execute(prelude + " UNION ALL ".join(parts), params)
        for _ in range(prelude.count(";")):
            cursor.nextset()
        for index, entity_id in cursor.fetchall():
            found[models_[index]].add(entity_id)
    return found


def _start_write(project_id: str, grouped: dict[str, dict[str, list[EntityEvent]]]) -> dict[str, Probe]:
    """The write's first round trip (PostgreSQL): its transaction options and, before a direct
    write, which ids of the batch exist: its scores, every trace it names (its own trace events and
    its observations' traces), and its observations unless every one of their events is a create.

    Creates name new ids almost always (an OTLP export sends each span once), so those are
    assumed new without asking: the rare one that exists (a client resending after a timeout)
    fails the direct COPY, and the write is redone the staging way, which merges it.
    """
    options = _local_options()
    asked: dict[str, list[str]] = {}
    assumed_new: list[str] = []
    if _MODE.get().direct:
        traces = set(grouped.get("trace", {}))
        observations = grouped.get("observation", {})
        for events in observations.values():
            for event in events:
                trace_id = event.fields.get("trace_id") or event.weak_fields.get("trace_id")
                if trace_id is not None:
                    traces.add(trace_id)
        if any(is_update(e.key) for events in observations.values() for e in events):
            asked["observation"] = sorted(observations)
        else:
            assumed_new = list(observations)
        asked["score"] = sorted(grouped.get("score", {}))
        asked["trace"] = sorted(traces)
        asked = {kind: ids for kind, ids in asked.items() if ids}
    if not asked:
        with connection.cursor() as cursor:
            cursor.execute(options)
        probes = {}
    else:
        found = _stored_ids(project_id, {MODELS[kind]: ids for kind, ids in asked.items()}, prelude=options)
        probes = {kind: Probe(set(ids), found[MODELS[kind]]) for kind, ids in asked.items()}
    if assumed_new:
        probes["observation"] = Probe(set(assumed_new))
    return probes


def _sqlite_insert(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table, columns, names = _table(model)
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})",
            [[_db_value(c, row[c.attname]) for c in columns] for row in rows],
        )


def _sqlite_update(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table, columns, names = _table(model)
    changing = [(c, n) for c, n in zip(columns, names, strict=True) if c.attname not in ("project_id", "id")]
    assignments = ", ".join(f"{n} = %s" for _, n in changing)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE project_id = %s AND id = %s",
            [[_db_value(c, row[c.attname]) for c, _ in changing] + [row["project_id"], row["id"]] for row in rows],
        )


def update_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Write back complete rows that exist already (one statement per batch)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        _sqlite_update(model, rows)
        return
    table, columns, names = _table(model)
    assignments = ", ".join(
        f"{n} = s.{n}" for c, n in zip(columns, names, strict=True) if c.attname not in ("project_id", "id")
    )
    stage = _stage(model, rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM {stage} AS s WHERE t.project_id = s.project_id AND t.id = s.id"
        )


def _staging_state() -> dict[str, Any]:
    """Which staging tables this thread's database session has created, and which may hold rows
    (`inherited`: any of them, when the write runs inside a caller's transaction)."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # the thread's own wrapper, not the shared proxy
    state = wrapper.__dict__.setdefault(
        "langops_staging", {"created": set(), "used": set(), "inherited": False, "session": None}
    )
    if state["session"] is not wrapper.connection:  # a new session has none of them yet
        state.update(created=set(), used=set(), inherited=False, session=wrapper.connection)
    return state


def _stage(model: type[models.Model], rows: list[dict[str, Any]]) -> str:
    """COPY rows into this session's temporary staging table for `model` (PostgreSQL).

    The table lives as long as the connection and empties itself at commit; within one
    transaction it is cleared before each use with a DELETE (cheap on a few hundred rows,
    unlike TRUNCATE, which swaps the table's file).
    """
    table = model._meta.db_table
    stage = f"_stage_{table}"
    # Per connection: which staging tables exist; per transaction: which hold rows already.
    state = _staging_state()
    with connection.cursor() as cursor:
        if stage not in state["created"]:
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table}) ON COMMIT DELETE ROWS")
            # Only a committed CREATE counts: a rolled-back transaction takes the table with it.
            transaction.on_commit(lambda: state["created"].add(stage))
        if stage in state["used"] or state["inherited"]:
            cursor.execute(f"DELETE FROM {stage}")
        state["used"].add(stage)
        _copy_rows(cursor, stage, model, rows)
    return stage


# --- Traces implied by observations, sessions, aggregates -------------------------------------


_IMPLIED = ("timestamp", "environment")  # what an observation says about its trace


def _implied_trace_events(
    observations: list[dict[str, Any]], trace_events: dict[str, list[EntityEvent]]
) -> list[EntityEvent]:
    """Every observation's trace exists: a weak create with its start time and environment.

    Per trace only the earliest observation's event can win (both fields are first-writer-wins
    and weak keys lose to every explicit one), and a field an explicit event of this batch sets
    cannot be won at all: so at most one event per trace, with only the fields still open.
    """
    earliest: dict[str, dict[str, Any]] = {}
    for row in observations:
        current = earliest.get(row["trace_id"])
        if current is None or (row["start_time"], row["id"]) < (current["start_time"], current["id"]):
            earliest[row["trace_id"]] = row
    events = []
    for trace_id, row in earliest.items():
        explicit = {name for event in trace_events.get(trace_id, ()) for name in event.fields}
        fields = {name: row[name if name == "environment" else "start_time"] for name in _IMPLIED}
        weak = {name: value for name, value in fields.items() if name not in explicit}
        if weak:
            event = EntityEvent(
                "trace", trace_id, order_key(row["start_time"], update=False, envelope_id=row["id"]), row["id"]
            )
            event.weak_fields = weak
            events.append(event)
    return events


# Sessions this process has seen committed (rows are never deleted while their project lives):
# most writes name sessions that exist, and skip the statement. Bounded; cleared when full.
_KNOWN_SESSIONS: dict[tuple[str, str], None] = {}
_KNOWN_SESSIONS_MAX = 20_000


def _ensure_sessions(project_id: str, traces: list[dict[str, Any]], now: datetime) -> None:
    """Every session a trace names exists (first environment wins), in one statement."""
    sessions = sorted(
        {
            (row["session_id"], row["environment"])
            for row in traces
            if row.get("session_id") and (project_id, row["session_id"]) not in _KNOWN_SESSIONS
        }
    )
    if not sessions:
        return
    created = connection.ops.adapt_datetimefield_value(now)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(sessions))
    params = [value for sid, env in sessions for value in (project_id, _text(sid), env, created)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Session._meta.db_table} (project_id, id, environment, created_at) VALUES {values} "
            f"ON CONFLICT DO NOTHING",
            params,
        )
    transaction.on_commit(lambda: _remember_sessions(project_id, [sid for sid, _ in sessions]))


def _remember_sessions(project_id: str, session_ids: list[str]) -> None:
    if len(_KNOWN_SESSIONS) + len(session_ids) > _KNOWN_SESSIONS_MAX:
        _KNOWN_SESSIONS.clear()
    _KNOWN_SESSIONS.update(dict.fromkeys([(project_id, sid) for sid in session_ids]))


_AGGREGATE_SQL = """
UPDATE {trace} SET observation_count = a.n, error_count = a.errors, level_max = a.level_max,
    total_cost = a.cost, input_tokens = a.input_tokens, output_tokens = a.output_tokens,
    total_tokens = a.total_tokens, start_time_min = a.start_min, end_time_max = a.end_max
FROM (
    SELECT t.id AS trace_id, COUNT(o.id) AS n,
        SUM(CASE WHEN o.level = 'ERROR' THEN 1 ELSE 0 END) AS errors,
        MAX(CASE o.level WHEN 'ERROR' THEN 3 WHEN 'WARNING' THEN 2 WHEN 'DEFAULT' THEN 1 ELSE 0 END) AS level_max,
        SUM(o.total_cost) AS cost, COALESCE(SUM(o.input_tokens), 0) AS input_tokens,
        COALESCE(SUM(o.output_tokens), 0) AS output_tokens, COALESCE(SUM(o.total_tokens), 0) AS total_tokens,
        MIN(o.start_time) AS start_min, MAX(COALESCE(o.end_time, o.start_time)) AS end_max
    FROM {trace} AS t LEFT JOIN {observation} AS o ON o.project_id = t.project_id AND o.trace_id = t.id
    WHERE t.project_id = %s AND t.id IN ({ids}) GROUP BY t.id
) AS a
WHERE {trace}.project_id = %s AND {trace}.id = a.trace_id
    AND ({trace}.observation_count, {trace}.error_count, {trace}.level_max, {trace}.total_cost,
        {trace}.input_tokens, {trace}.output_tokens, {trace}.total_tokens, {trace}.start_time_min,
        {trace}.end_time_max)
    IS DISTINCT FROM (a.n, a.errors, a.level_max, a.cost, a.input_tokens, a.output_tokens, a.total_tokens,
        a.start_min, a.end_max)
"""
_LEVEL_RANK = {"ERROR": 3, "WARNING": 2, "DEFAULT": 1}  # as in _AGGREGATE_SQL
_COST_PLACES = Decimal("1e-12")  # the scale of the cost columns


def _batch_aggregates(observations: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per trace, the aggregates of _AGGREGATE_SQL over this batch's observation rows.

    A new trace is inserted with them: exact whenever all its observations are in the batch (the
    usual case), so the refresh that follows finds nothing to change and rewrites no row; any
    other trace it still corrects.
    """
    found: dict[str, dict[str, Any]] = {}
    for row in observations:
        aggregate = found.get(row["trace_id"])
        if aggregate is None:
            aggregate = found[row["trace_id"]] = {
                "observation_count": 0,
                "error_count": 0,
                "level_max": 0,
                "total_cost": None,
                "input_tokens": 0,
                "output_tokens": 0,
                "total_tokens": 0,
                "start_time_min": row["start_time"],
                "end_time_max": row["end_time"] or row["start_time"],
            }
        aggregate["observation_count"] += 1
        aggregate["error_count"] += row["level"] == "ERROR"
        aggregate["level_max"] = max(aggregate["level_max"], _LEVEL_RANK.get(row["level"], 0))
        if row["total_cost"] is not None:
            cost = Decimal(row["total_cost"]).quantize(_COST_PLACES, ROUND_HALF_UP)
            aggregate["total_cost"] = cost if aggregate["total_cost"] is None else aggregate["total_cost"] + cost
        for name in ("input_tokens", "output_tokens", "total_tokens"):
            aggregate[name] += row[name]
        aggregate["start_time_min"] = min(aggregate["start_time_min"], row["start_time"])
        aggregate["end_time_max"] = max(aggregate["end_time_max"], row["end_time"] or row["start_time"])
    return found


def refresh_aggregates(project_id: str, trace_ids: set[str]) -> None:
    """Recompute the per-trace aggregates of the given traces from their observations (a trace
    left with none gets the empty aggregates)."""
    ids = sorted(trace_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sql = _AGGREGATE_SQL.format(
            trace=Trace._meta.db_table, observation=Observation._meta.db_table, ids=", ".join(["%s"] * len(chunk))
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [project_id, *chunk, project_id])


@cache
def _lz4_available(alias: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")
        return cursor.fetchone() is not None


def _local_options() -> str:
    """PostgreSQL options of the write transaction, as statements ending in ';'.

    Wait for a locked row at most INGESTION_LOCK_TIMEOUT_MS (the caller then answers 503 and the
    SDK retries), and compress large values with lz4 where the server has it: several times
    cheaper than the default pglz for rows of LLM text, read back identically.
    """
    options = f"SET LOCAL lock_timeout = {int(settings.INGESTION_LOCK_TIMEOUT_MS)};"
    if _lz4_available(connection.alias):
        options += " SET LOCAL default_toast_compression = lz4;"
    return options


def write_events(*, project_id: str, events: list[EntityEvent]) -> None:
    """Merge and store events of one project atomically; durable and queryable on return."""
    if connection.vendor != "postgresql":
        _write(project_id, events)  # always scrubbed (the statements of SQLite are not COPY)
        return
    mode = _Mode(scrub=False, direct=True)
    while True:
        token = _MODE.set(mode)
        try:
            _write(project_id, events)
            return
        except DataError as exc:
            if mode.scrub or not _refused_unscrubbed(exc):
                raise
            mode = replace(mode, scrub=True)  # the same write, scrubbed: U+0000 dropped, JSON text parsed
        except _LostRace:
            mode = replace(mode, direct=False)
        finally:
            _MODE.reset(token)


def _write(project_id: str, events: list[EntityEvent]) -> None:
    now = timezone.now()
    grouped = _group(events)
    # Staging tables empty themselves at commit. Inside a caller's transaction (no commit between
    # writes) they may still hold rows, so every one of them is cleared before its first use.
    nested = connection.in_atomic_block
    with transaction.atomic():
        probes: dict[str, Probe] = {}
        if connection.vendor == "postgresql":
            state = _staging_state()
            state.update(used=set(), inherited=nested)
            probes = _start_write(project_id, grouped)
        merged = _merge_kind(
            "observation", project_id, grouped.get("observation", {}), now, None, probes.get("observation")
        )
        observations = merged.rows
        trace_events = grouped.get("trace", {})
        for event in _implied_trace_events(observations, trace_events):
            trace_events.setdefault(event.id, []).append(event)
        traces = _merge_kind(
            "trace", project_id, trace_events, now, _batch_aggregates(observations), probes.get("trace")
        )
        _merge_kind("score", project_id, grouped.get("score", {}), now, None, probes.get("score"))
        _ensure_sessions(project_id, traces.rows, now)
        # A trace created by this write has all its observations in it, so it was inserted with
        # exact aggregates; only traces that existed before need them recomputed.
        stale = {row["trace_id"] for row in observations} - traces.inserted | merged.moved_from
        if stale:
            refresh_aggregates(project_id, stale)
        pending = [row["id"] for row in observations if row["cost_status"] == "pending"]
        if pending:
            # Tokenizing is CPU work: a worker does it after commit (the sweeper covers a lost task).
            # A broker that is down fails the hand-off, not the committed write: the sweeper finds
            # the rows still pending.
            transaction.on_commit(lambda: hand_off(enrich_observations, project_id=project_id, observation_ids=pending))

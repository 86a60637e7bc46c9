"""Langfuse's merge rules as per-field last-writer-wins registers.

Every stored row keeps `merge_state`: for each field (and each key of a merged map) the order
key of the event that set it. Applying an event only changes a field when the event's key wins,
so applying the same events in any order, in any number of requests, gives the same row.

In memory the state maps field -> key. Stored, it maps key -> [fields] (`pack_state`): most rows
were set by one or two events, so each ~45-character key is written once instead of once per
field, about a third of the bytes. Rows stored in the first form are read as they are.
"""

from typing import Any

from apps.ingestion.events import EntityEvent

LWW = "lww"  # later event wins
FIRST = "first"  # earliest event wins (immutable once set)
NONEMPTY = "nonempty"  # later event wins, but an empty value never replaces a value
MAP = "map"  # keys merged, each key last-writer-wins (nested objects merged the same way)
UNION = "union"  # set union, sorted

TRACE_FIELDS = {
    "timestamp": FIRST,
    "environment": FIRST,
    "name": LWW,
    "external_id": LWW,
    "session_id": LWW,
    "user_id": LWW,
    "release": LWW,
    "version": LWW,
    "public": LWW,
    "tags": UNION,
    "metadata": MAP,
    "input": NONEMPTY,
    "output": NONEMPTY,
}
OBSERVATION_FIELDS = {
    "trace_id": FIRST,
    "type": FIRST,
    "start_time": FIRST,
    "environment": FIRST,
    "name": LWW,
    "end_time": LWW,
    "completion_start_time": LWW,
    "level": LWW,
    "status_message": LWW,
    "parent_observation_id": LWW,
    "version": LWW,
    "model": LWW,
    "model_parameters": MAP,
    "input": NONEMPTY,
    "output": NONEMPTY,
    "metadata": MAP,
    "prompt_name": LWW,
    "prompt_version": LWW,
    "provided_usage_details": MAP,
    "provided_cost_details": MAP,
    "usage_unit": LWW,
}
SCORE_FIELDS = {
    "timestamp": FIRST,
    "trace_id": FIRST,
    "environment": FIRST,
    "name": LWW,
    "value": LWW,
    "string_value": LWW,
    "data_type": LWW,
    "source": LWW,
    "observation_id": LWW,
    "session_id": LWW,
    "dataset_run_id": LWW,
    "config_id": LWW,
    "queue_id": LWW,
    "comment": LWW,
    "metadata": MAP,
}
FIELDS = {"trace": TRACE_FIELDS, "observation": OBSERVATION_FIELDS, "score": SCORE_FIELDS}


def _wins(policy: str, key: str, current: str | None) -> bool:
    if current is None:
        return True
    return key < current if policy == FIRST else key >= current


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


# --- Maps (metadata, model parameters, usage and cost details) ----------------------------------
#
# A map is deep-merged as if its events had been applied in key order: a later value replaces an
# earlier one or an object, objects merge key by key, and an object (even an empty one) replaces
# a value. To give that result whatever the order events arrive in, the state records, besides
# the fields' registers:
#   "<path>"   at a value: the key that wrote it. At an object: the key of the latest value it
#              replaced; nothing older may write under it (a barrier).
#   "^<path>"  at an object an event wrote whole: that event's key, which is the key of every
#              value inside without a register of its own (one entry per object, not per value).
# No path starts with "^" (paths start with a field name). States stored before "^" existed keep
# such objects under "<path>"; that is read as both the barrier and the "^" entry.


def _has_values(obj: dict) -> bool:
    return any(not isinstance(v, dict) or _has_values(v) for v in obj.values())


def _later(a: str | None, b: str | None) -> str:
    """The later of two keys ("" when neither is set: every key is later)."""
    return max(a or "", b or "")


def _merge_map(
    target: dict, state: dict, prefix: str, incoming: dict, key: str, cover: str | None = None, barrier: str = ""
) -> dict:
    """`incoming`, written at `key`, merged into `target`: the object at `prefix`, whose values
    without a register of their own were written at `cover`, and under which nothing older than
    `barrier` may write."""
    merged = dict(target)
    for name, value in incoming.items():
        path = f"{prefix}.{name}"
        own = state.get(path)
        current = merged.get(name, _ABSENT)
        if isinstance(current, dict):
            inner_cover = state.get("^" + path) or own or cover
            if isinstance(value, dict):
                if not _has_values(value) and key > (inner_cover or ""):
                    # Only empty objects: merged, and this object is written at least at `key` (a
                    # later value must be later than that to remove it); what is inside keeps its key.
                    _own_entries(current, state, path, inner_cover)
                    state["^" + path] = inner_cover = key
                merged[name] = _merge_map(current, state, path, value, key, inner_cover, _later(barrier, own))
            elif key >= _later(barrier, own):  # a value over an object: only what is later survives
                survivors = _prune(current, state, path, key, inner_cover)
                if (inner_cover or "") > key:  # the object itself was written later
                    state["^" + path] = inner_cover
                merged[name] = survivors if _has_values(survivors) or (inner_cover or "") > key else value
                state[path] = key
            continue
        written = own if own is not None or current is _ABSENT else cover  # the current value's key
        if key < _later(barrier, written):
            continue
        merged[name] = value
        if isinstance(value, dict):  # a new object, or one replacing a value (whose key now bars)
            if written is not None:
                state[path] = written
            state["^" + path] = key
        else:
            state[path] = key
    return merged


def _own_entries(node: dict, state: dict, path: str, cover: str | None) -> None:
    """Give what is directly inside the object at `path` an entry of its own where it relied on the
    object's "^" entry (`cover`), before that entry changes."""
    if cover is None:
        return
    for name, value in node.items():
        state.setdefault(f"^{path}.{name}" if isinstance(value, dict) else f"{path}.{name}", cover)


def _prune(node: dict, state: dict, path: str, key: str, cover: str | None) -> dict:
    """What of the object at `path` was written after `key` (when a value is written over it at
    `key`), each value kept given its own register; the entries of what is dropped are removed."""
    kept = {}
    state.pop("^" + path, None)
    for name, value in node.items():
        child = f"{path}.{name}"
        own = state.pop(child, None)
        if isinstance(value, dict):
            inner_cover = state.get("^" + child) or own or cover
            inner = _prune(value, state, child, key, inner_cover)
            written_later = inner_cover is not None and inner_cover > key
            if _has_values(inner) or written_later:
                kept[name] = inner
                if written_later:
                    state["^" + child] = inner_cover
                if own is not None and own > key:
                    state[child] = own  # a barrier later than `key` still bars
        else:
            written = own if own is not None else cover
            if written is not None and written > key:
                kept[name] = value
                state[child] = written
    return kept


_ABSENT = object()


def apply_event(row: dict[str, Any], kind: str, fields: dict[str, Any], key: str) -> None:
    """Apply one event's fields to `row` (which carries its `merge_state`) in place.

    The hot loop of ingestion: `_wins` is written out inline for the two register policies.
    """
    spec = FIELDS[kind]
    state = row["merge_state"]
    for name, value in fields.items():
        policy = spec[name]
        if policy == LWW:
            current = state.get(name)
            if current is None or key >= current:
                row[name] = value
                state[name] = key
        elif policy == FIRST:
            current = state.get(name)
            if current is None or key < current:
                row[name] = value
                state[name] = key
        elif policy == MAP:
            if isinstance(value, dict):
                row[name] = _merge_map(row.get(name) or {}, state, name, value, key)
        elif policy == NONEMPTY:
            if not _empty(value) and _wins(LWW, key, state.get(name)):
                row[name] = value
                state[name] = key
        else:  # UNION
            row[name] = sorted(set(row.get(name) or []) | set(value))


def apply_first_event(row: dict[str, Any], kind: str, fields: dict[str, Any], weak: dict[str, Any], key: str) -> None:
    """`apply_event(fields, key)` then `apply_event(weak, "~" + key)` on a blank row (every column
    its default, the merge state empty): the same row and state, without the registers'
    comparisons, as every field wins there. Most rows are written once, by one event (an OTLP
    span, a create). `weak` holds immutables only.
    """
    spec = FIELDS[kind]
    state = row["merge_state"]
    assert not state, "only for a blank row"
    for name, value in fields.items():
        policy = spec[name]
        if policy == MAP:
            if isinstance(value, dict):  # a blank row's map is empty ({} or None): nothing to merge
                row[name] = dict(value)
                for item, inner in value.items():
                    state[f"^{name}.{item}" if isinstance(inner, dict) else f"{name}.{item}"] = key
        elif policy == UNION:
            row[name] = sorted(set(value))
        elif policy != NONEMPTY or not _empty(value):
            row[name] = value
            state[name] = key
    weak_key = "~" + key
    for name, value in weak.items():  # an immutable set by `fields` keeps that value
        if name not in state:
            row[name] = value
            state[name] = weak_key


# Per kind and field names: whether every one of them is a plain register (LWW or FIRST).
_REGISTERS_ONLY: dict[tuple[str, tuple[str, ...]], bool] = {}


def without_losers(kind: str, events: list[EntityEvent]) -> list[EntityEvent]:
    """The events of one id, less those that cannot set anything: applied with the others, the
    row and its merge state come out exactly as without them.

    Where several events set the same fields, all of them plain registers (LWW: the latest key
    wins; FIRST: the earliest), only the earliest and the latest of those events can win any of
    them, whatever their values and whatever is stored. An OTLP export repeats its trace's user,
    session and environment on every span: a trace of fifty spans leaves two such events.
    Events with weak fields, maps or sets are always kept.
    """
    if len(events) < 3:
        return events
    spec = FIELDS[kind]
    kept: list[EntityEvent] = []
    ends: dict[tuple[str, ...], list[EntityEvent]] = {}  # field names -> [earliest, latest]
    for event in events:
        names = tuple(event.fields)
        registers = _REGISTERS_ONLY.get((kind, names))
        if registers is None:
            registers = _REGISTERS_ONLY[(kind, names)] = all(spec[name] in (LWW, FIRST) for name in names)
        if not registers or event.weak_fields:
            kept.append(event)
            continue
        pair = ends.get(names)
        if pair is None:
            ends[names] = [event, event]
        elif event.key < pair[0].key:
            pair[0] = event
        elif event.key > pair[1].key:
            pair[1] = event
    for first, last in ends.values():
        kept.append(first)
        if last is not first:
            kept.append(last)
    return kept


def pack_state(state: dict[str, Any]) -> dict[str, Any]:
    """The stored form of a merge state: {order key: [fields it set]} (a stored form is kept)."""
    if not state or not isinstance(next(iter(state.values())), str):
        return state  # empty, or already the stored form
    keys = set(state.values())
    if len(keys) == 1:  # one event set everything: the common case, without the loop below
        return {keys.pop(): list(state)}
    packed: dict[str, list[str]] = {}
    for name, key in state.items():
        packed.setdefault(key, []).append(name)
    return packed


def unpack_state(stored: dict[str, Any]) -> dict[str, str]:
    """A stored merge state back in the working form {field: order key}."""
    state = {}
    for key, value in stored.items():
        if isinstance(value, list):
            for name in value:
                state[name] = key
        else:  # the first stored form: field -> key
            state[key] = value
    return state

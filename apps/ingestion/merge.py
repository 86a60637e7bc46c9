"""Langfuse's merge rules as per-field last-writer-wins registers.

Every stored row keeps `merge_state`: for each field (and each key of a merged map) the order
key of the event that set it. Applying an event only changes a field when the event's key wins,
so applying the same events in any order, in any number of requests, gives the same row.

In memory the state maps field -> key. Stored, it maps key -> [fields] (`pack_state`): most rows
were set by one or two events, so each ~45-character key is written once instead of once per
field, about a third of the bytes. Rows stored in the first form are read as they are.
"""

from typing import Any

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


def _merge_map(target: dict, state: dict, prefix: str, incoming: dict, key: str) -> dict:
    merged = dict(target or {})
    for name, value in incoming.items():
        slot = f"{prefix}.{name}"
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = _merge_map(merged[name], state, slot, value, key)
        elif _wins(LWW, key, state.get(slot)):
            merged[name] = value
            state[slot] = key
    return merged


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
                for item in value:
                    state[f"{name}.{item}"] = key
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

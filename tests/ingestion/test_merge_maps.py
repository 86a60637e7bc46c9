"""Maps (metadata, model parameters, usage and cost details) end as if their events had been applied
in key order, whatever order they arrive in (langfuse-api.md 3: deep merge, later values win, an
empty object never replaces a value)."""

import copy
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.ingestion.merge import apply_event, apply_first_event, pack_state, unpack_state

pytestmark = pytest.mark.core

_KEYS = st.sampled_from(["a", "b", "c"])  # few names, so events collide at every depth
_VALUES = st.none() | st.integers(0, 3) | st.sampled_from(["x", "y"]) | st.lists(st.integers(0, 2), max_size=2)
_OBJECTS = st.recursive(
    st.dictionaries(_KEYS, _VALUES, max_size=2),
    lambda inner: st.dictionaries(_KEYS, _VALUES | inner, max_size=3),
    max_leaves=6,
)


def _has_values(obj: dict) -> bool:
    return any(not isinstance(v, dict) or _has_values(v) for v in obj.values())


def _applied_in_order(acc: dict, incoming: dict) -> dict:
    """The specification: one event applied after all earlier ones."""
    out = dict(acc)
    for name, value in incoming.items():
        current = out.get(name)
        if not isinstance(value, dict):
            out[name] = value
        else:  # objects merge key by key; an object (even an empty one) replaces a value
            out[name] = _applied_in_order(current if isinstance(current, dict) else {}, value)
    return out


def _expected(events: list[tuple[str, dict]]) -> dict:
    result: dict = {}
    for _key, metadata in sorted(events, key=lambda e: e[0]):
        result = _applied_in_order(result, metadata)
    return result


def _merged(events: list[tuple[str, dict]], *, stored_between: bool = False) -> dict:
    row = {"metadata": {}, "merge_state": {}}
    for index, (key, metadata) in enumerate(events):
        if index == 0:
            apply_first_event(row, "observation", {"metadata": copy.deepcopy(metadata)}, {}, key)
        else:
            apply_event(row, "observation", {"metadata": copy.deepcopy(metadata)}, key)
        if stored_between:  # each event in its own request: the state is stored and read back
            row["merge_state"] = unpack_state(copy.deepcopy(pack_state(row["merge_state"])))
    return row["metadata"]


@settings(max_examples=400, deadline=None)
@given(st.lists(_OBJECTS, min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_any_arrival_order_gives_the_key_order_result(objects, random):
    events = [(f"2026-11-28T12:00:00.00000{i}|0|e{i}", obj) for i, obj in enumerate(objects)]
    random.shuffle(events)
    assert _merged(events, stored_between=True) == _expected(events)


def test_every_order_of_colliding_nested_values():
    events = [
        ("k1", {"app": {"v": "old", "w": 1}}),
        ("k2", {"app": "flat"}),
        ("k3", {"app": {"v": "new"}, "keep": {}}),
        ("k4", {"app": {"x": {}, "y": 2}, "keep": {"z": {}}}),
    ]
    expected = {"app": {"v": "new", "x": {}, "y": 2}, "keep": {"z": {}}}
    assert _expected(events) == expected
    for order in itertools.permutations(events):
        assert _merged(list(order)) == expected, order


def test_a_later_nested_value_wins_over_an_earlier_one_that_arrives_after_it():
    events = [("k5", {"app": {"v": "new"}}), ("k0", {"app": {"v": "old", "w": "other"}})]
    assert _merged(events) == {"app": {"v": "new", "w": "other"}}


def test_states_stored_before_whole_objects_had_their_own_entry_still_merge():
    # Before: a whole object's key was kept under its path; it still bars older values under it.
    row = {"metadata": {"app": {"v": "new"}}, "merge_state": {"metadata.app": "k5"}}
    apply_event(row, "observation", {"metadata": {"app": {"v": "old"}, "top": 1}}, "k0")
    assert row["metadata"] == {"app": {"v": "new"}, "top": 1}
    apply_event(row, "observation", {"metadata": {"app": {"v": "newer"}}}, "k9")
    assert row["metadata"] == {"app": {"v": "newer"}, "top": 1}

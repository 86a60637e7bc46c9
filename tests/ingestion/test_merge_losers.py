"""`without_losers`: dropping the events that cannot win a register changes nothing, on a new row
or on a stored one, and it does drop them."""

import copy

import pytest
from django.utils import timezone
from hypothesis import example, given, settings
from hypothesis import strategies as st

from apps.ingestion.events import EntityEvent
from apps.ingestion.merge import FIELDS, FIRST, LWW, MAP, UNION, pack_state, without_losers
from apps.ingestion.writer import MODELS, _apply, _blank_row

pytestmark = pytest.mark.core

_KIND = "trace"
_SPEC = FIELDS[_KIND]
_REGISTERS = sorted(name for name, policy in _SPEC.items() if policy in (LWW, FIRST))
_IMMUTABLES = sorted(name for name, policy in _SPEC.items() if policy == FIRST)
_NOT_SETS = sorted(name for name, policy in _SPEC.items() if policy not in (MAP, UNION))


def _value(draw, name):
    policy = _SPEC[name]
    if policy == MAP:
        return draw(st.dictionaries(st.sampled_from("abc"), st.integers(0, 3), max_size=2))
    if policy == UNION:
        return draw(st.lists(st.sampled_from("xyz"), max_size=2))
    return draw(st.sampled_from(["", "v1", "v2", 3]))


@st.composite
def _events(draw):
    """Events of one trace: most share one or two sets of fields (sets of register fields are the
    case that drops), some set other fields, or carry weak fields; keys are unique."""
    # Shapes of register fields, or of any fields (maps, sets and non-empty fields repeated too).
    pool = draw(st.sampled_from([_REGISTERS, _NOT_SETS, sorted(_SPEC)]))
    shapes = draw(st.lists(st.lists(st.sampled_from(pool), min_size=1, unique=True), min_size=1, max_size=2))
    count = draw(st.integers(1, 9))
    seconds = draw(st.lists(st.integers(0, 20), min_size=count + 1, max_size=count + 1))
    events = []
    for index in range(count + 1):
        if draw(st.integers(0, 4)) == 0:
            names = draw(st.lists(st.sampled_from(sorted(_SPEC)), min_size=1, unique=True))
        else:
            names = draw(st.sampled_from(shapes))
        fields = {name: _value(draw, name) for name in names}
        weak = {}
        if draw(st.integers(0, 6)) == 0:
            weak = {name: "w" for name in draw(st.lists(st.sampled_from(_IMMUTABLES), min_size=1, unique=True))}
        key = f"2026-11-28T12:00:{seconds[index]:02d}.000000|{draw(st.integers(0, 1))}|e{index}"
        events.append(EntityEvent(_KIND, "t1", key, f"e{index}", fields, weak))
    return events[0], events[1:]  # (the stored row's event, the batch)


def _merged(base: dict, events: list[EntityEvent], *, blank: bool) -> dict:
    row = copy.deepcopy(base)
    _apply(_KIND, row, copy.deepcopy(events), blank=blank)
    return row


def _event(key: str, **fields) -> EntityEvent:
    return EntityEvent(_KIND, "t1", key, key, fields)


@settings(max_examples=400, deadline=None)
@given(_events())
@example(
    # The latest input is empty: the one before it, not the earliest, is the one that stays.
    (
        _event("2026-11-28T12:00:00.000000|0|s", input="s"),
        [_event(f"2026-11-28T12:00:0{i}.000000|0|e{i}", input=value) for i, value in enumerate(["v2", "v1", ""], 1)],
    )
)
def test_the_same_row_and_state_with_or_without_the_losers(drawn):
    stored_event, batch = drawn
    kept = without_losers(_KIND, batch)
    assert all(event in batch for event in kept)
    blank = _blank_row(MODELS[_KIND], "p1", "t1", timezone.now())
    # A new row, merged the writer's way (the earliest event through the fast path).
    assert _merged(blank, kept, blank=True) == _merged(blank, batch, blank=True)
    # A stored row, set by an earlier write with keys anywhere among the batch's.
    stored = _merged(blank, [stored_event], blank=True)
    with_all, with_kept = _merged(stored, batch, blank=False), _merged(stored, kept, blank=False)
    assert with_kept == with_all
    assert pack_state(with_kept["merge_state"]) == pack_state(with_all["merge_state"])


def test_an_otlp_trace_keeps_its_earliest_and_latest_span_events():
    # As OTLP sends them: every span repeats the trace's user, session and environment.
    spans = [
        _event(f"2026-11-28T12:00:{second:02d}.000000|0|s{second}", timestamp=second, user_id="u", environment="e")
        for second in (5, 1, 9, 3, 7)
    ]
    root = _event("2026-11-28T12:00:00.000000|0|root", timestamp=0, name="n", metadata={"a": 1})  # a map: kept
    kept = without_losers(_KIND, [*spans, root])
    assert sorted(e.key for e in kept) == [root.key, spans[1].key, spans[2].key]


def test_fewer_than_three_events_are_returned_as_they_are():
    pair = [_event("k2", user_id="a"), _event("k1", user_id="b")]
    assert without_losers(_KIND, pair) is pair

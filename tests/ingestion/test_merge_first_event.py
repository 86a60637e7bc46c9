"""`apply_first_event` is `apply_event` on a blank row, field for field and register for register;
the writer's `_apply(blank=True)` is the general path."""

import copy

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.ingestion.events import EntityEvent
from apps.ingestion.merge import FIELDS, FIRST, MAP, UNION, apply_event, apply_first_event, pack_state
from apps.ingestion.writer import MODELS, _apply, _blank_row

pytestmark = pytest.mark.core

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def _event(draw):
    kind = draw(st.sampled_from(sorted(FIELDS)))
    spec = FIELDS[kind]
    names = draw(st.lists(st.sampled_from(sorted(spec)), unique=True))
    fields = {}
    for name in names:
        if spec[name] == MAP:
            fields[name] = draw(st.dictionaries(st.text(max_size=4), _json, max_size=4) | _json.filter(bool))
        elif spec[name] == UNION:
            fields[name] = draw(st.lists(st.text(max_size=3), max_size=4))
        else:  # an empty value too: NONEMPTY fields must skip it
            fields[name] = draw(st.sampled_from(["", [], {}]) | _json.filter(lambda v: v is not None))
    immutables = sorted(name for name, policy in spec.items() if policy == FIRST)
    weak = {name: draw(st.text(max_size=3)) for name in draw(st.lists(st.sampled_from(immutables), unique=True))}
    return kind, fields, weak


@settings(max_examples=300, deadline=None)
@given(_event(), st.sampled_from(["2026-11-28T12:00:00.000000|0|e1", "2026-11-28T12:00:00.000000|1|e2"]))
def test_first_event_on_a_blank_row_equals_the_general_merge(event, key):
    kind, fields, weak = event
    blank = _blank_row(MODELS[kind], "p1", "id1", timezone.now())
    general, fast = copy.deepcopy(blank), copy.deepcopy(blank)
    apply_event(general, kind, copy.deepcopy(fields), key)
    if weak:
        apply_event(general, kind, dict(weak), "~" + key)
    apply_first_event(fast, kind, copy.deepcopy(fields), dict(weak), key)
    assert fast == general
    assert list(pack_state(fast["merge_state"]).items()) == list(pack_state(general["merge_state"]).items())


@settings(max_examples=200, deadline=None)
@given(st.lists(_event(), min_size=1, max_size=4), st.permutations(range(4)))
def test_several_events_on_a_blank_row_merge_as_the_general_path(drawn, order):
    # The writer's new rows: the earliest event through the fast path, the rest as always.
    kind = drawn[0][0]
    events = [
        EntityEvent(kind, "id1", f"2026-11-28T12:00:0{order[i]}.000000|0|e{i}", f"e{i}", fields, weak)
        for i, (other_kind, fields, weak) in enumerate(drawn)
        if other_kind == kind
    ]
    blank = _blank_row(MODELS[kind], "p1", "id1", timezone.now())
    general, fast = copy.deepcopy(blank), copy.deepcopy(blank)
    _apply(kind, general, copy.deepcopy(events))
    _apply(kind, fast, copy.deepcopy(events), blank=True)
    assert fast == general
    assert list(pack_state(fast["merge_state"]).items()) == list(pack_state(general["merge_state"]).items())

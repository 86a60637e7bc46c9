"""The trace page's observation tree: nesting without recursion, cycles, waterfall, rows as HTML."""

import pytest

from apps.traces import tree
from tests.traces.fakes import Obs


def _rows(observations):
    rows = tree.flatten(tree.tree(observations))
    tree.timeline(rows)
    return rows


def test_nesting_order_depth_and_slowest_leaf():
    rows = _rows(
        [
            Obs("a", None, start=0, end=10),
            Obs("b", "a", start=0, end=2),
            Obs("c", "a", start=2, end=9),
            Obs("d", "b", start=0, end=1),
        ]
    )
    assert [(r["obs"].id, r["depth"], r["has_children"]) for r in rows] == [
        ("a", 0, True),
        ("b", 1, True),
        ("d", 2, False),
        ("c", 1, False),
    ]
    assert tree.slowest_leaf(rows) == "c"
    assert rows[3]["offset"] == pytest.approx(20) and rows[3]["width"] == pytest.approx(70)


def test_unknown_parents_and_cycles_become_roots():
    rows = _rows([Obs("x", "missing"), Obs("p", "q"), Obs("q", "p"), Obs("self", "self")])
    assert sorted(r["obs"].id for r in rows if r["depth"] == 0) == ["p", "q", "self", "x"]
    rows = _rows([Obs("a", None), Obs("b", "a"), Obs("c", "d"), Obs("d", "c"), Obs("e", "c")])
    assert [(r["obs"].id, r["depth"]) for r in rows] == [("a", 0), ("b", 1), ("c", 0), ("e", 1), ("d", 0)]


def test_a_chain_thousands_deep_needs_no_recursion():
    chain = [Obs("n0", None)] + [Obs(f"n{i}", f"n{i - 1}") for i in range(1, 6000)]
    rows = _rows(chain)
    assert rows[-1]["depth"] == 5999


def test_rows_html_escapes_names_and_marks_selection_errors_and_slowest():
    rows = _rows(
        [
            Obs("a", None, start=0, end=5),
            Obs("b<", "a", start=0, end=4, name="<script>x</script>", level="ERROR", total_tokens=7),
        ]
    )
    html = tree.rows_html(rows, selected_id="b<", slowest_id="b<", view="tree")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="?observation=b%3C"' in html
    assert "tree-row selected level-ERROR" in html and "slowest" in html and "7 tok" in html
    assert html.count("data-tree-toggle") == 1  # only the parent can collapse

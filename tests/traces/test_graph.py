"""The agent graph's layout (apps/traces/graph.py), on plain objects: no database needed."""

import pytest

from apps.traces.graph import COLUMN_GAP, LABEL_UNITS, NODE_HEIGHT, NODE_WIDTH, ROW_GAP, agent_graph
from tests.traces.fakes import Obs

pytestmark = pytest.mark.core


def agent_flow() -> list[Obs]:
    """An agent that plans with an LLM, calls two tools, passes a guardrail and answers."""
    return [
        Obs("agent", type="AGENT", name="support agent", end=9),
        Obs("plan", "agent", "GENERATION", "plan", start=0, end=2),
        Obs("search", "agent", "TOOL", "web search", start=2, end=5),
        Obs("fetch", "search", "RETRIEVER", "fetch page", start=2.5, end=4),
        Obs("check", "agent", "GUARDRAIL", "pii check", start=5, end=6, level="ERROR"),
        Obs("answer", "agent", "GENERATION", "answer", start=6, end=9),
    ]


def by_id(graph):
    return {node.id: node for node in graph.nodes}


def test_nodes_are_typed_and_placed_in_columns_by_depth_and_rows_by_order():
    graph = agent_graph(agent_flow(), trace_name="ticket")
    nodes = by_id(graph)
    assert [n.id for n in graph.nodes] == ["", "agent", "plan", "search", "fetch", "check", "answer"]
    assert nodes[""].type == "TRACE" and nodes[""].name == "ticket"
    assert {i: n.kind for i, n in nodes.items() if i} == {
        "agent": "agent",
        "plan": "generation",
        "search": "tool",
        "fetch": "retriever",
        "check": "decision",
        "answer": "generation",
    }
    assert nodes["check"].shape == "hexagon" and nodes["check"].error
    assert {i: (n.depth, n.row) for i, n in nodes.items()} == {
        "": (0, 0),
        "agent": (1, 0),
        "plan": (2, 0),
        "search": (2, 1),
        "fetch": (3, 1),  # a parent shares the row of its first child
        "check": (2, 2),
        "answer": (2, 3),
    }
    assert nodes["search"].x == nodes["plan"].x == 12 + 2 * (NODE_WIDTH + COLUMN_GAP)
    assert nodes["answer"].y == 12 + 3 * (NODE_HEIGHT + ROW_GAP)
    assert nodes["answer"].seconds == 3
    assert (graph.width, graph.height) == (24 + 4 * NODE_WIDTH + 3 * COLUMN_GAP, 24 + 4 * NODE_HEIGHT + 3 * ROW_GAP)
    assert (graph.shown, graph.total, graph.truncated) == (6, 6, False)


def test_edges_link_parents_to_children_and_each_sibling_to_the_next():
    graph = agent_graph(agent_flow(), trace_name="ticket")
    kinds = [edge.kind for edge in graph.edges]
    # trace->agent, agent->4 children, search->fetch; plan->search->check->answer
    assert kinds.count("child") == 6 and kinds.count("next") == 3
    nodes = by_id(graph)
    straight = f"M{nodes['agent'].x + NODE_WIDTH},{nodes['agent'].y + NODE_HEIGHT / 2:g} H{nodes['plan'].x}"
    assert straight in [e.path for e in graph.edges]
    down = f"M{nodes['plan'].x + NODE_WIDTH / 2:g},{nodes['plan'].y + NODE_HEIGHT} V{nodes['search'].y}"
    assert down in [e.path for e in graph.edges if e.kind == "next"]


def test_no_two_nodes_overlap():
    graph = agent_graph(agent_flow() * 1, trace_name="t")
    boxes = {(n.x, n.y) for n in graph.nodes}
    assert len(boxes) == len(graph.nodes)


def test_one_node_and_unknown_parents():
    assert [n.id for n in agent_graph([], trace_name="empty").nodes] == [""]
    graph = agent_graph([Obs("orphan", "missing-parent"), Obs("self", "self")], trace_name="t")
    assert {n.id: n.depth for n in graph.nodes} == {"": 0, "orphan": 1, "self": 1}
    assert graph.height == 24 + 2 * NODE_HEIGHT + ROW_GAP


def test_long_names_are_shortened_for_the_label_only():
    graph = agent_graph([Obs("x", name="a very long step name that does not fit in a node")], trace_name="t")
    node = by_id(graph)["x"]
    assert node.label == "a very long step na…" and len(node.label) == LABEL_UNITS
    assert node.name == "a very long step name that does not fit in a node"
    # Wide (CJK) characters take two units: ten of them fill a label.
    assert by_id(agent_graph([Obs("j", name="東京の天気を調べる")], trace_name="t"))["j"].label == "東京の天気を調べる"
    assert (
        by_id(agent_graph([Obs("j", name="東京の天気を調べてから答える")], trace_name="t"))["j"].label
        == "東京の天気を調べて…"
    )


def test_a_large_trace_keeps_whole_top_levels_and_says_it_is_truncated():
    # 1 root span, 10 agents, 30 tools under each: 311 observations.
    observations = [Obs("root")]
    for a in range(10):
        observations.append(Obs(f"a{a}", "root", "AGENT"))
        observations += [Obs(f"a{a}-t{t}", f"a{a}", "TOOL") for t in range(30)]
    graph = agent_graph(observations, trace_name="big", max_nodes=200)
    # Level 1 (1) and level 2 (10) fit whole; level 3 (300) gets the 189 places left, in order.
    assert (graph.shown, graph.total, graph.truncated) == (200, 311, True)
    nodes = by_id(graph)
    assert all(f"a{a}" in nodes for a in range(10))
    assert nodes["a6"].hidden_children == 30 - 9 and "a6-t8" in nodes and "a6-t9" not in nodes
    assert nodes["a9"].hidden_children == 30


def test_a_deep_chain_does_not_recurse():
    chain = [Obs("n0")] + [Obs(f"n{i}", f"n{i - 1}") for i in range(1, 5000)]
    graph = agent_graph(chain, trace_name="deep", max_nodes=5000)
    assert graph.shown == 5000 and max(n.depth for n in graph.nodes) == 5000


def test_parents_in_a_cycle_become_roots_instead_of_vanishing():
    graph = agent_graph([Obs("a", "b"), Obs("b", "a"), Obs("c", "a")], trace_name="t")
    assert {n.id for n in graph.nodes} == {"", "a", "b", "c"} and not graph.truncated

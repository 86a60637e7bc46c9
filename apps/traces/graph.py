"""The agent graph of a trace: observations as typed nodes, laid out left to right in Python.

Columns are depths (the trace itself is column 0), rows follow the observation tree in start
order, and a parent sits on the row of its first child, so a parent -> first child edge is a
straight line and the edge between two consecutive siblings runs straight down their column
without crossing another node. The template draws the result as SVG; no JavaScript layout.
Traces with more than `MAX_NODES` observations show their top levels only (`truncated`).
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from apps.traces.tree import on_cycles

MAX_NODES = 200
NODE_WIDTH = 160
NODE_HEIGHT = 42
COLUMN_GAP = 36
ROW_GAP = 14
MARGIN = 12
LABEL_UNITS = 20  # of a Latin letter's width; CJK characters count twice

# How each observation type is drawn: a family (for the colour) and a shape.
KINDS = {
    "AGENT": "agent",
    "TOOL": "tool",
    "CHAIN": "chain",
    "RETRIEVER": "retriever",
    "GENERATION": "generation",
    "EMBEDDING": "generation",
    "GUARDRAIL": "decision",
    "EVALUATOR": "decision",
    "EVENT": "event",
    "SPAN": "span",
}
SHAPES = {"decision": "hexagon", "event": "pill"}


@dataclass
class Node:
    id: str  # "" for the trace itself
    name: str
    type: str
    kind: str
    depth: int
    row: int = 0
    seconds: float | None = None
    error: bool = False
    hidden_children: int = 0
    children: list["Node"] = field(default_factory=list)

    @property
    def shape(self) -> str:
        return SHAPES.get(self.kind, "box")

    @property
    def x(self) -> int:
        return MARGIN + self.depth * (NODE_WIDTH + COLUMN_GAP)

    @property
    def y(self) -> int:
        return MARGIN + self.row * (NODE_HEIGHT + ROW_GAP)

    @property
    def label(self) -> str:
        """The name, shortened to fit the node (full name in the tooltip)."""
        used = 0
        for index, char in enumerate(self.name):
            used += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
            if used > LABEL_UNITS:
                return self.name[: max(index - 1, 0)] + "…"
        return self.name

    @property
    def points(self) -> str:
        """Outline of a hexagon (decisions) inside the node's box, for an SVG polygon."""
        x, y, w, h, cut = self.x, self.y, NODE_WIDTH, NODE_HEIGHT, 12
        corners = [
            (x + cut, y),
            (x + w - cut, y),
            (x + w, y + h / 2),
            (x + w - cut, y + h),
            (x + cut, y + h),
            (x, y + h / 2),
        ]
        return " ".join(f"{px:g},{py:g}" for px, py in corners)


@dataclass(frozen=True)
class Edge:
    kind: str  # "child" (parent -> child) or "next" (one sibling -> the following one)
    path: str  # SVG path data


@dataclass
class Graph:
    nodes: list[Node]
    edges: list[Edge]
    width: int
    height: int
    shown: int  # observations drawn
    total: int  # observations in the trace

    node_width: int = NODE_WIDTH
    node_height: int = NODE_HEIGHT

    @property
    def truncated(self) -> bool:
        return self.shown < self.total


def agent_graph(observations: Iterable[Any], *, trace_name: str, max_nodes: int = MAX_NODES) -> Graph:
    """The laid-out graph of a trace's observations (given in start order), at most `max_nodes` of them."""
    observations = list(observations)
    root = Node(id="", name=trace_name, type="TRACE", kind="trace", depth=0)
    by_id = {
        o.id: Node(
            o.id, o.name or o.id, o.type, KINDS.get(o.type, "span"), 0, error=o.level == "ERROR", seconds=_seconds(o)
        )
        for o in observations
    }
    cyclic = on_cycles({o.id: o.parent_observation_id for o in observations})
    for observation in observations:
        parent = by_id.get(observation.parent_observation_id or "")
        if parent is None or observation.id in cyclic:
            parent = root  # unknown parents and parent cycles make roots, as in the tree
        parent.children.append(by_id[observation.id])
    _set_depths(root)
    keep = _top_levels(root, max_nodes)
    _prune(root, keep)
    rows = _assign_rows(root, 0)
    nodes = list(_walk(root))
    edges = [edge for node in nodes for edge in _edges(node)]
    depth = max(n.depth for n in nodes)
    return Graph(
        nodes=nodes,
        edges=edges,
        width=2 * MARGIN + (depth + 1) * NODE_WIDTH + depth * COLUMN_GAP,
        height=2 * MARGIN + rows * NODE_HEIGHT + (rows - 1) * ROW_GAP,
        shown=len(nodes) - 1,
        total=len(observations),
    )


def _seconds(observation: Any) -> float | None:
    if observation.end_time is None:
        return None
    return (observation.end_time - observation.start_time).total_seconds()


def _set_depths(root: Node) -> None:
    # Iterative: a pathological chain of thousands of observations must not hit the recursion limit.
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node.children:
            child.depth = node.depth + 1
            stack.append(child)


def _top_levels(root: Node, max_nodes: int) -> set[int]:
    """Ids (object ids) of the nodes kept: whole levels, top down, while they fit in `max_nodes`."""
    keep, level = {id(root)}, root.children
    budget = max_nodes
    while level and budget > 0:
        taken = level[:budget]  # a level wider than what is left keeps its first nodes only
        keep.update(id(n) for n in taken)
        budget -= len(taken)
        if len(taken) < len(level):
            break
        level = [child for node in level for child in node.children]
    return keep


def _prune(root: Node, keep: set[int]) -> None:
    stack = [root]
    while stack:
        node = stack.pop()
        kept = [c for c in node.children if id(c) in keep]
        node.hidden_children = len(node.children) - len(kept)
        node.children = kept
        stack.extend(kept)


def _assign_rows(node: Node, row: int) -> int:
    """Place `node` at `row` and its subtree below; returns the number of rows it takes."""
    # The depth is bounded by the pruning above only in width, so walk without recursion.
    stack: list[tuple[Node, int]] = [(node, row)]
    next_row = row
    while stack:
        current, at = stack.pop()
        current.row = max(at, next_row)
        if not current.children:
            next_row = current.row + 1
        stack.extend((child, current.row) for child in reversed(current.children))
    return next_row - row


def _walk(root: Node) -> Iterable[Node]:
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _edges(node: Node) -> list[Edge]:
    edges = []
    right, middle = node.x + NODE_WIDTH, node.y + NODE_HEIGHT / 2
    for child in node.children:
        target = child.y + NODE_HEIGHT / 2
        if target == middle:
            edges.append(Edge("child", f"M{right},{middle:g} H{child.x}"))
        else:
            # An elbow: out of the parent, down the gap between the columns, into the child.
            bend = right + COLUMN_GAP / 2
            edges.append(Edge("child", f"M{right},{middle:g} H{bend:g} V{target:g} H{child.x}"))
    for before, after in zip(node.children, node.children[1:], strict=False):
        centre = before.x + NODE_WIDTH / 2
        edges.append(Edge("next", f"M{centre:g},{before.y + NODE_HEIGHT} V{after.y}"))
    return edges

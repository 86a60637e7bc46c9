"""The observation tree of the trace page: nesting, waterfall geometry and its rows as HTML.

Built without recursion (a trace may nest thousands of levels deep) and rendered in Python:
a trace with thousands of observations would spend most of its time in the template engine.
"""

from html import escape
from typing import Any
from urllib.parse import quote

from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from apps.core.templatetags.langops import duration, usd


def tree(observations: list[Any]) -> list[dict[str, Any]]:
    """Observations nested under their parents (unknown parents and cycles become roots), in start order."""
    nodes = {o.id: {"obs": o, "children": []} for o in observations}
    cyclic = on_cycles({o.id: o.parent_observation_id for o in observations})
    roots = []
    for observation in observations:
        parent = nodes.get(observation.parent_observation_id or "")
        if parent is None or observation.id in cyclic:
            roots.append(nodes[observation.id])
        else:
            parent["children"].append(nodes[observation.id])
    return roots


def on_cycles(parents: dict[str, str | None]) -> set[str]:
    """Ids whose chain of parents loops back to them (bad client data), in linear time."""
    state: dict[str, int] = {}  # 1: on the current walk, 2: settled
    cyclic: set[str] = set()
    for start in parents:
        walk, current = [], start
        while current in parents and current not in state:
            state[current] = 1
            walk.append(current)
            current = parents[current]
        if current in state and state[current] == 1:  # the walk ran into itself: a cycle from `current`
            cyclic.update(walk[walk.index(current) :])
        for node in walk:
            state[node] = 2
    return cyclic


def flatten(roots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Depth-first rows with their depth, children first-to-last (iterative)."""
    rows: list[dict[str, Any]] = []
    stack = [(node, 0) for node in reversed(roots)]
    while stack:
        node, depth = stack.pop()
        rows.append({"obs": node["obs"], "depth": depth, "has_children": bool(node["children"])})
        stack.extend((child, depth + 1) for child in reversed(node["children"]))
    return rows


def timeline(rows: list[dict[str, Any]]) -> None:
    """Offset and width (percent of the trace's span) of every row's bar in the waterfall."""
    if not rows:
        return
    starts = [r["obs"].start_time for r in rows]
    ends = [r["obs"].end_time or r["obs"].start_time for r in rows]
    first, last = min(starts), max(ends)
    total = max((last - first).total_seconds(), 0.001)
    for row, start, end in zip(rows, starts, ends, strict=True):
        row["offset"] = round(100 * (start - first).total_seconds() / total, 2)
        row["width"] = max(round(100 * (end - start).total_seconds() / total, 2), 0.4)
        row["seconds"] = (end - start).total_seconds()


def slowest_leaf(rows: list[dict[str, Any]]) -> str | None:
    """The slow step: the slowest leaf (a parent span always lasts at least as long as its children)."""
    slowest = max((r for r in rows if not r["has_children"]), key=lambda r: r["seconds"], default=None)
    return slowest["obs"].id if slowest and len(rows) > 1 else None


def rows_html(rows: list[dict[str, Any]], *, selected_id: str | None, slowest_id: str | None, view: str) -> SafeString:
    """The tree's rows: indented names with a collapse toggle, waterfall bars and figures.

    Plain string building with every value from the database escaped: a template (or
    format_html per row) costs several times more for a trace with thousands of observations."""
    slowest = f' <span class="badge warn" title="{escape(_("Slowest step"))}">{escape(_("slowest"))}</span>'
    toggle = f'<span class="tree-toggle" role="button" tabindex="0" data-tree-toggle aria-label="{escape(_("Collapse or expand"))}"></span>'
    no_toggle = '<span class="tree-toggle-space"></span>'
    suffix = f"&amp;view={escape(view)}" if view != "tree" else ""
    parts = []
    for row in rows:
        obs = row["obs"]
        kind, level = escape(obs.type), escape(obs.level)
        figures = duration(row["seconds"])
        if obs.total_tokens:
            figures += f" · {int(obs.total_tokens)} tok"
        if obs.total_cost is not None:
            figures += f" · {usd(obs.total_cost)}"
        badges = ' <span class="badge danger">ERROR</span>' if obs.level == "ERROR" else ""
        if obs.id == slowest_id:
            badges += slowest
        name = escape(Truncator(obs.name or obs.id).chars(48))
        parts.append(
            f'<a class="tree-row{" selected" if obs.id == selected_id else ""} level-{level}" '
            f'href="?observation={escape(quote(obs.id, safe=""))}{suffix}" data-testid="tree-row" data-depth="{row["depth"]}">'
            f'<span class="tree-name" style="padding-left: {row["depth"]}rem">{toggle if row["has_children"] else no_toggle}'
            f'<span class="type-badge type-{kind}">{kind}</span> {name}{badges}</span>'
            f'<span class="waterfall"><span class="bar type-{kind}" style="margin-left: {row["offset"]}%; width: {row["width"]}%"></span></span>'
            f'<span class="tree-figures small muted">{escape(figures)}</span></a>'
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped

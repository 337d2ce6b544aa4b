"""The lineage model as a left-to-right layered graph: datasets and jobs as nodes,
each in the column of its longest path from a source, the rows of each column ordered
by the barycentre of their neighbours so that few edges cross. Positions only; the page
draws them as SVG (no JavaScript graph library needed for a DAG of this size)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from governance.lineage.model import DatasetRef, Estate, Job

COLUMN = 250
ROW = 56
WIDTH = 210
HEIGHT = 38
LABEL = 28
"""Characters of a name that fit a node's box at 12 px; longer names are shortened in the middle."""
SWEEPS = 4


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    kind: str
    """`topic`, `dataset` or `job`."""
    x: int
    y: int
    health: str = "unknown"
    """`ok`, `warn`, `bad` or `unknown`: the colour."""
    mark: str = ""
    """`selected`, `upstream` or `downstream` of the selected node, else empty."""
    name: str = ""
    """The full name (the hover title); `label` may be shortened."""


@dataclass(frozen=True)
class Edge:
    source: Node
    target: Node
    mark: str = ""
    """`upstream` or `downstream` when the edge lies on a path to or from the selected node."""

    @property
    def path(self) -> str:
        x1, y1 = self.source.x + WIDTH, self.source.y + HEIGHT // 2
        x2, y2 = self.target.x, self.target.y + HEIGHT // 2
        middle = (x1 + x2) // 2
        return f"M{x1},{y1} C{middle},{y1} {middle},{y2} {x2},{y2}"


@dataclass(frozen=True)
class Graph:
    nodes: list[Node]
    edges: list[Edge]
    width: int
    height: int


def job_id(job: Job) -> str:
    return f"job:{job.orchestrator}/{job.flow}/{job.name}"


def shorten(name: str, limit: int = LABEL) -> str:
    """`snowflake:finance.pa…d_transactions`: the start and the end, which tell names apart."""
    if len(name) <= limit:
        return name
    head = (limit - 1) // 3
    return name[:head] + "…" + name[len(name) - (limit - 1 - head):]


def layout(estate: Estate, health: dict[str, str] | None = None, selected: str | None = None) -> Graph:
    health = health or {}
    jobs = {job_id(j): j for j in estate.jobs}
    refs = {str(r): r for r in estate.datasets}
    incoming: dict[str, set[str]] = {key: set() for key in (*jobs, *refs)}
    refs.update({str(r): r for job in estate.jobs for r in (*job.inputs, *job.outputs)})
    for key, job in jobs.items():
        incoming[key] |= {str(r) for r in job.inputs}
        for out in job.outputs:
            incoming.setdefault(str(out), set()).add(key)
    edges = [(s, key) for key, sources in incoming.items() for s in sorted(sources) if s in incoming]
    columns = order_columns(_depths(incoming), edges)
    rows = place_rows(columns, edges)
    up, down = _reach(edges, selected, 0), _reach(edges, selected, 1)
    nodes: dict[str, Node] = {}
    for column, keys in columns.items():
        for key in keys:
            row = rows[key]
            if key in jobs:
                job = jobs[key]
                name, kind = (f"sentinel {job.name}" if job.kind == "sentinel" else job.name), "job"
            else:
                ref: DatasetRef = refs[key]
                name, kind = (ref.name if ref.platform == "kafka" else key), ("topic" if ref.platform == "kafka" else "dataset")
            mark = "selected" if key == selected else "upstream" if key in up else "downstream" if key in down else ""
            nodes[key] = Node(key, shorten(name), kind, 20 + column * COLUMN, 20 + row * ROW,
                              health.get(key, "unknown"), mark, name)
    ends = {selected} if selected else set()
    drawn = [Edge(nodes[s], nodes[t], "upstream" if t in up | ends and s in up
                  else "downstream" if s in down | ends and t in down else "") for s, t in edges]
    width = 40 + (max(columns, default=0) + 1) * COLUMN - (COLUMN - WIDTH)
    height = 40 + (max(rows.values(), default=0) + 1) * ROW
    return Graph(list(nodes.values()), drawn, width, height)


def _depths(incoming: dict[str, set[str]]) -> dict[str, int]:
    depth = {key: 0 for key in incoming}
    for _ in range(len(incoming)):  # longest path; bounded so a cycle cannot loop forever
        changed = False
        for key, sources in incoming.items():
            best = max((depth[s] + 1 for s in sources if s in depth), default=0)
            if best > depth[key]:
                depth[key], changed = best, True
        if not changed:
            break
    return depth


def _reach(edges: list[tuple[str, str]], start: str | None, side: int) -> set[str]:
    """Every node upstream (side 0) or downstream (side 1) of `start`."""
    seen: set[str] = set()
    frontier = [start] if start else []
    while frontier:
        key = frontier.pop()
        for edge in edges:
            if edge[1 - side] == key and edge[side] not in seen:
                seen.add(edge[side])
                frontier.append(edge[side])
    return seen


def order_columns(depth: dict[str, int], edges: list[tuple[str, str]]) -> dict[int, list[str]]:
    """Columns of node ids, each ordered by the mean row of its neighbours in the columns before it
    (sweeping right) or after it (sweeping left), a few sweeps from alphabetical order; the order
    with the fewest crossings wins."""
    columns: dict[int, list[str]] = {}
    for key in sorted(depth, key=lambda k: (depth[k], k)):
        columns.setdefault(depth[key], []).append(key)
    before = {key: [s for s, t in edges if t == key] for key in depth}
    after = {key: [t for s, t in edges if s == key] for key in depth}
    best, fewest = {c: list(keys) for c, keys in columns.items()}, crossings(columns, edges)
    for _ in range(SWEEPS):
        for order, neighbours in ((sorted(columns), before), (sorted(columns, reverse=True), after)):
            for c in order:
                row = {key: i for keys in columns.values() for i, key in enumerate(keys)}
                columns[c] = sorted(columns[c], key=lambda k: _barycentre([row[n] for n in neighbours[k]], row[k]))
            count = crossings(columns, edges)
            if count < fewest:
                best, fewest = {c: list(keys) for c, keys in columns.items()}, count
    return best


def place_rows(columns: dict[int, list[str]], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Each node's row: in its column's order, as near as it can be to the mean row of its neighbours
    before it, then (a sweep back) after it, so that a lone node sits beside what it reads."""
    row = {key: i for keys in columns.values() for i, key in enumerate(keys)}
    before = {key: [s for s, t in edges if t == key] for key in row}
    after = {key: [t for s, t in edges if s == key] for key in row}
    for order, neighbours in ((sorted(columns), before), (sorted(columns, reverse=True), after)):
        for c in order:
            following = 0
            for key in columns[c]:
                wanted = round(_barycentre([row[n] for n in neighbours[key]], row[key]))
                row[key] = following = max(wanted, following)
                following += 1
    return row


def _barycentre(rows: list[int], own: int) -> float:
    return sum(rows) / len(rows) if rows else own


def crossings(columns: dict[int, list[str]], edges: Iterable[tuple[str, str]]) -> int:
    """Pairs of edges that cross, each drawn as a straight line from (column, row) to (column, row)."""
    at = {key: (c, i) for c, keys in columns.items() for i, key in enumerate(keys)}
    lines = [(at[s], at[t]) for s, t in edges if s in at and t in at]
    count = 0
    for n, ((a1, a2)) in enumerate(lines):
        for b1, b2 in lines[n + 1:]:
            left, right = max(a1[0], b1[0]), min(a2[0], b2[0])
            if left >= right:
                continue
            first, last = _row(a1, a2, left) - _row(b1, b2, left), _row(a1, a2, right) - _row(b1, b2, right)
            count += first * last < 0
    return count


def _row(start: tuple[int, int], end: tuple[int, int], column: int) -> float:
    return start[1] + (end[1] - start[1]) * (column - start[0]) / (end[0] - start[0])

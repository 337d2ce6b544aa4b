"""The lineage model as a left-to-right layered graph: datasets and jobs as nodes,
each in the column of its longest path from a source. Positions only; the page draws
them as SVG (no JavaScript graph library needed for a DAG of this size)."""

from __future__ import annotations

from dataclasses import dataclass

from governance.lineage.model import DatasetRef, Estate, Job

COLUMN = 250
ROW = 56
WIDTH = 210
HEIGHT = 38


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


@dataclass(frozen=True)
class Edge:
    source: Node
    target: Node

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


def layout(estate: Estate, health: dict[str, str] | None = None) -> Graph:
    health = health or {}
    jobs = {job_id(j): j for j in estate.jobs}
    refs = {str(r): r for r in estate.datasets}
    incoming: dict[str, set[str]] = {key: set() for key in (*jobs, *refs)}
    refs.update({str(r): r for job in estate.jobs for r in (*job.inputs, *job.outputs)})
    for key, job in jobs.items():
        incoming[key] |= {str(r) for r in job.inputs}
        for out in job.outputs:
            incoming.setdefault(str(out), set()).add(key)
    depth = {key: 0 for key in incoming}
    for _ in range(len(incoming)):  # longest path; bounded so a cycle cannot loop forever
        changed = False
        for key, sources in incoming.items():
            best = max((depth[s] + 1 for s in sources if s in depth), default=0)
            if best > depth[key]:
                depth[key], changed = best, True
        if not changed:
            break
    columns: dict[int, list[str]] = {}
    for key in sorted(incoming, key=lambda k: (depth[k], k)):
        columns.setdefault(depth[key], []).append(key)
    nodes: dict[str, Node] = {}
    for column, keys in columns.items():
        for row, key in enumerate(keys):
            if key in jobs:
                job = jobs[key]
                label, kind = (f"sentinel {job.name}" if job.kind == "sentinel" else job.name), "job"
            else:
                ref: DatasetRef = refs[key]
                label, kind = (ref.name if ref.platform == "kafka" else key), ("topic" if ref.platform == "kafka" else "dataset")
            nodes[key] = Node(key, label, kind, 20 + column * COLUMN, 20 + row * ROW, health.get(key, "unknown"))
    edges = [Edge(nodes[s], nodes[key]) for key, sources in incoming.items() for s in sorted(sources) if s in nodes]
    width = 40 + (max(columns, default=0) + 1) * COLUMN
    height = 40 + max((len(k) for k in columns.values()), default=1) * ROW
    return Graph(list(nodes.values()), edges, width, height)

"""The lineage graph's layout, without a browser: rows ordered so that edges cross less, names
shortened visibly with the full name kept, and a node's upstream and downstream marked."""

from __future__ import annotations

from pathlib import Path

from governance.console.graph import crossings, job_id, layout, order_columns, shorten
from governance.lineage.build import Sources, build_estate
from governance.lineage.model import DatasetRef, Estate, Job

ROOT = Path(__file__).resolve().parents[2]


def crossed_estate(chains: int = 10) -> Estate:
    """Chains source -> load -> topic -> sink whose names sort in opposite orders in alternate
    columns (50 nodes at 10 chains), plus a topic every load also writes: alphabetical rows cross."""
    estate = Estate()
    for i in range(chains):
        source, middle = DatasetRef("postgres", f"shop.a{i:02}"), DatasetRef("kafka", f"t{chains - 1 - i:02}")
        sink = DatasetRef("snowflake", f"finance.payments.card_transactions_{i:02}")
        estate.jobs.append(Job("load", f"load-{i:02}", "declared", "custom", (source,), (middle,)))
        estate.jobs.append(Job("sink", f"sink-{chains - 1 - i:02}", "declared", "custom", (middle,), (sink,)))
    for ref in {r for j in estate.jobs for r in (*j.inputs, *j.outputs)}:
        estate.dataset(ref)
    return estate


def _columns(estate: Estate) -> tuple[dict[int, list[str]], list[tuple[str, str]]]:
    graph = layout(estate)
    columns: dict[int, list[str]] = {}
    for node in sorted(graph.nodes, key=lambda n: (n.x, n.y)):
        columns.setdefault(node.x, []).append(node.id)
    return dict(enumerate(columns.values())), [(e.source.id, e.target.id) for e in graph.edges]


def _alphabetical(columns: dict[int, list[str]]) -> dict[int, list[str]]:
    return {c: sorted(keys) for c, keys in columns.items()}


def test_ordering_the_rows_by_barycentre_removes_the_crossings_of_alphabetical_rows() -> None:
    estate = crossed_estate()
    columns, edges = _columns(estate)
    assert sum(len(k) for k in columns.values()) == 50
    before, after = crossings(_alphabetical(columns), edges), crossings(columns, edges)
    assert before == 2 * 45, "every pair of chains crosses twice in alphabetical order"
    assert after == 0, columns


def test_the_projects_own_estate_crosses_no_more_than_alphabetically() -> None:
    estate = build_estate(Sources(ROOT / "schemas", ROOT / "rules", ROOT / "lineage"))
    columns, edges = _columns(estate)
    assert crossings(columns, edges) <= crossings(_alphabetical(columns), edges)


def test_crossings_counts_straight_lines_that_cross_and_not_ones_that_share_an_end() -> None:
    columns = {0: ["a", "b"], 1: ["c", "d"]}
    assert crossings(columns, [("a", "d"), ("b", "c")]) == 1
    assert crossings(columns, [("a", "c"), ("b", "d")]) == 0
    assert crossings(columns, [("a", "c"), ("a", "d")]) == 0
    spanning = {0: ["a", "b"], 1: ["x", "y"], 2: ["c"]}
    assert crossings(spanning, [("b", "c"), ("a", "x"), ("x", "c")]) == 0
    assert crossings(spanning, [("a", "y"), ("b", "x")]) == 1
    assert order_columns({"a": 0, "b": 0, "c": 1, "d": 1}, [("a", "d"), ("b", "c")]) in (
        {0: ["a", "b"], 1: ["d", "c"]}, {0: ["b", "a"], 1: ["c", "d"]})


def test_a_long_name_is_shortened_with_an_ellipsis_and_kept_whole_for_the_hover() -> None:
    name = "snowflake:finance.payments.card_transactions"
    short = shorten(name)
    assert len(short) == 28 and "…" in short and short.startswith("snowflake") and short.endswith("transactions")
    assert shorten("kafka:orders") == "kafka:orders"
    node = next(n for n in layout(crossed_estate()).nodes if n.id == "snowflake:finance.payments.card_transactions_03")
    assert node.name == node.id and node.label == shorten(node.id) != node.name


def test_a_selected_node_marks_everything_upstream_and_downstream_of_it() -> None:
    estate = crossed_estate(3)
    load = next(j for j in estate.jobs if j.name == "load-01")
    graph = layout(estate, selected="kafka:t01")
    marks = {n.id: n.mark for n in graph.nodes if n.mark}
    assert marks == {"kafka:t01": "selected", job_id(load): "upstream", "postgres:shop.a01": "upstream",
                     "job:custom/sink/sink-01": "downstream", "snowflake:finance.payments.card_transactions_01": "downstream"}
    marked = {(e.source.id, e.target.id): e.mark for e in graph.edges if e.mark}
    assert marked == {("postgres:shop.a01", job_id(load)): "upstream", (job_id(load), "kafka:t01"): "upstream",
                      ("kafka:t01", "job:custom/sink/sink-01"): "downstream",
                      ("job:custom/sink/sink-01", "snowflake:finance.payments.card_transactions_01"): "downstream"}
    assert len(graph.edges) == 12


def test_a_node_alone_in_its_column_sits_in_the_row_of_what_it_reads() -> None:
    estate = crossed_estate(6)
    last = DatasetRef("snowflake", "finance.payments.card_transactions_05")
    estate.jobs.append(Job("load", "warehouse-load", "declared", "custom", (last,), (DatasetRef("s3", "lake/orders"),)))
    nodes = {n.id: n for n in layout(estate).nodes}
    assert nodes["job:custom/load/warehouse-load"].y == nodes[str(last)].y == nodes["s3:lake/orders"].y
    assert nodes[str(last)].y > nodes["snowflake:finance.payments.card_transactions_00"].y

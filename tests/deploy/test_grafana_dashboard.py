"""deploy/grafana/governance.json is a dashboard Grafana's import takes: a datasource variable,
a `pipeline` variable from the sentinel's own counter, and panels that each have a type, a
title, a place on the grid and Prometheus queries on that datasource."""

from __future__ import annotations

from prometheus_helpers import dashboard, panel_queries, panels

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def test_the_variables_choose_a_prometheus_and_the_pipelines() -> None:
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    pipeline = variables["pipeline"]
    assert pipeline["query"]["query"] == "label_values(sentinel_records_in_total, pipeline)"
    assert pipeline["datasource"] == DATASOURCE
    assert pipeline["multi"] and pipeline["includeAll"]


def test_every_panel_is_importable_and_queries_the_chosen_datasource() -> None:
    board = dashboard()
    assert 36 <= board["schemaVersion"] <= 41
    assert board["uid"] and board["title"]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels():
        assert panel["type"] in ("timeseries", "stat"), panel["title"]
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"} and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE and target["expr"].strip() and target["refId"]


def test_panels_do_not_overlap() -> None:
    taken: set[tuple[int, int]] = set()
    for panel in dashboard()["panels"]:
        g = panel["gridPos"]
        cells = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not cells & taken, panel["title"]
        taken |= cells


def test_every_sentinel_query_follows_the_pipeline_variable() -> None:
    for title, expr in panel_queries():
        if "sentinel_" in expr:
            assert 'pipeline=~"$pipeline"' in expr, title

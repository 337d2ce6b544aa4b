"""The console answers a steward without inventing: a KPI chart that breaks where no window was
written, a lineage node that links to everything it names, and a graph of 50 nodes that fits,
orders its rows and highlights a node's lineage. Real Chromium on a project written here: a
pipeline's KPI windows (with gaps) written to its KPI topic as the sentinel writes them (JSON),
and declared lineage around it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from kafka_helpers import create_topic
from sentinel_helpers import ORDER_SCHEMA, TOTAL_RULE, pipeline_file
from console.test_pages import Console, browser, visit  # noqa: F401  (browser: the fixture)

from governance.kafka import KafkaSettings

MEAN_RULE = "expect_column_mean_to_be_between(totalCents)"
MINUTE = 60_000
LONG = "snowflake:finance.payments.card_transactions_settled_daily"
CHAINS = 10


class Project:
    def __init__(self, name: str, source: str, console: Console, now_ms: int) -> None:
        self.name, self.source, self.console, self.now_ms = name, source, console, now_ms


def _kpi(name: str, end: int) -> dict:
    return {"pipeline": name, "instance": "steward-1", "window_start": end - MINUTE, "window_end": end,
            "final": False, "open": False, "consumer_lag": 0,
            "window": {"records_in": 100, "valid": 98, "invalid": 2, "schema_failures": 1, "rule_failures": {TOTAL_RULE: 2}},
            "window_expectations": [{"rule": MEAN_RULE, "success": True, "observed_value": "1250.0"}]}


GROUPS = {"the last 5 minutes": range(4, -1, -1), "36 to 45 minutes ago": range(45, 35, -1),
          "20 hours ago": range(1202, 1199, -1), "two days ago": range(2941, 2939, -1)}
"""Window ends, in minutes before now, oldest first within each group; no windows between groups."""


@pytest.fixture(scope="module")
def project(kafka: KafkaSettings, registry_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    name = f"steward-{time.time_ns() % 10**8}"
    source = f"{name}-raw"
    root = tmp_path_factory.mktemp("steward-project")
    (root / "schemas").mkdir()
    (root / "schemas" / f"{source}-value.avsc").write_text(ORDER_SCHEMA)
    SchemaRegistryClient({"url": registry_url}).register_schema(f"{source}-value", Schema(ORDER_SCHEMA, "AVRO"))
    (root / "rules").mkdir()
    pipeline_file(root / "rules", name, source)
    (root / "lineage").mkdir()
    _lineage(root / "lineage" / f"{name}.yml", source)
    for topic in (f"{name}-kpi", f"{source}-dlq"):
        create_topic(kafka, topic)
    now_ms = int(time.time() // 60 * MINUTE)
    producer = Producer(kafka.client_config())
    for group in sorted(GROUPS.values(), key=lambda g: -g[0]):
        for minutes in group:
            end = now_ms - minutes * MINUTE
            producer.produce(f"{name}-kpi", json.dumps(_kpi(name, end)).encode(), f"steward-1-{end}".encode())
    assert producer.flush(30) == 0
    console = Console(root, kafka, registry_url)
    yield Project(name, source, console, now_ms)
    console.stop()


def _lineage(path: Path, source: str) -> None:
    """The pipeline between a database table and a warehouse load with a long name, and ten
    chains whose names sort in opposite orders column to column: 50 nodes in all."""
    jobs = [{"name": "orders-publisher", "inputs": ["postgres:shop.orders"], "outputs": [f"kafka:{source}"]},
            {"name": "warehouse-load", "inputs": [f"kafka:{source}-valid"], "outputs": [LONG]}]
    for i in range(CHAINS):
        jobs.append({"name": f"load-{i:02}", "inputs": [f"postgres:shop.a{i:02}"], "outputs": [f"kafka:t{CHAINS - 1 - i:02}"]})
        jobs.append({"name": f"sink-{CHAINS - 1 - i:02}", "inputs": [f"kafka:t{CHAINS - 1 - i:02}"],
                     "outputs": [f"bigquery:analytics.events_{i:02}"]})
    path.write_text(yaml.safe_dump({"owners": ["steward-team"], "tags": ["shop"], "datasets": [
        {"dataset": f"kafka:{source}-valid", "description": "Orders that passed every critical rule."}], "jobs": jobs}))


def _js(browser: object, script: str) -> object:
    return browser.execute_script(script)  # type: ignore[attr-defined]


def test_the_kpi_chart_breaks_its_lines_where_no_window_was_written(project: Project, browser: object) -> None:
    assert visit(browser, f"{project.console.url}/pipelines/{project.name}", "chart-gaps") == []
    t, compliance, dlq = _js(browser, "return [kpiChart.data[0], kpiChart.data[1], kpiChart.data[2]]")  # type: ignore[misc]
    now = project.now_ms / 1000
    ends = sorted(now - m * 60 for g in GROUPS.values() for m in g)
    written = [x for x, c in zip(t, compliance) if c is not None]
    assert written == ends
    breaks = [x for x, c, d in zip(t, compliance, dlq) if c is None and d is None]
    assert breaks == [now - 2939 * 60, now - 1199 * 60, now - 35 * 60], \
        "one break a window after the last window before each gap"
    assert _js(browser, "return kpiChart.series.slice(1).map(s => s.spanGaps)") == [False, False, False]


def test_the_chart_shows_the_last_hour_and_its_range_can_be_chosen(project: Project, browser: object) -> None:
    visit(browser, f"{project.console.url}/pipelines/{project.name}", "chart-range-hour")
    now = project.now_ms / 1000
    chosen = "return document.querySelector('#chart-range [aria-pressed=true]').textContent"

    def shown() -> tuple[float, float]:
        low, high = _js(browser, "return [kpiChart.scales.x.min, kpiChart.scales.x.max]")  # type: ignore[misc]
        return low, high

    low, high = shown()
    assert _js(browser, chosen) == "last hour" and high - low == pytest.approx(3600, abs=1) and high >= now
    note = browser.find_element("id", "chart-note").text  # type: ignore[attr-defined]
    assert note.startswith("15 windows with records from "), note
    for label, seconds, windows in (("last day", 86400, 18), ("all", None, 20)):
        browser.find_element("xpath", f"//div[@class='card']//button[text()='{label}']").click()  # type: ignore[attr-defined]
        low, high = shown()
        assert _js(browser, chosen) == label
        if seconds:
            assert high - low == pytest.approx(seconds, abs=1)
        else:
            assert low <= now - 2941 * 60 and high == now
        assert browser.find_element("id", "chart-note").text.startswith(f"{windows} windows with records")  # type: ignore[attr-defined]
    browser.save_screenshot("build/screenshots/chart-range-all.png")  # type: ignore[attr-defined]


def _click(browser: object, css: str, until: str) -> None:
    """Click the element and wait for the page whose (unquoted) URL holds `until`."""
    from urllib.parse import unquote

    from selenium.webdriver.support.ui import WebDriverWait

    browser.find_element("css selector", css).click()  # type: ignore[attr-defined]
    WebDriverWait(browser, 15).until(lambda b: until in unquote(b.current_url))  # type: ignore[arg-type]
    assert visit(browser, browser.current_url, "story-" + until.strip("/?=:").replace("/", "-").replace(":", "-")) == []  # type: ignore[attr-defined]


def _node_url(project: Project, node: str) -> str:
    from urllib.parse import quote

    return f"{project.console.url}/lineage?node={quote(node, safe='')}"


def test_a_valid_topics_node_tells_its_rules_health_owners_and_links_every_name(project: Project, browser: object) -> None:
    sentinel = f"job:governance/sentinel/{project.name}"
    assert visit(browser, _node_url(project, f"kafka:{project.source}-valid"), "story-valid") == []
    flow = browser.find_element("id", "node-flow")  # type: ignore[attr-defined]
    assert flow.text == f"written by {project.name}; read by warehouse-load"
    assert [a.text for a in flow.find_elements("tag name", "a")] == [project.name, "warehouse-load"]
    guard = browser.find_element("css selector", ".guard[data-role=valid]")  # type: ignore[attr-defined]
    assert guard.text.startswith(f"Guarded by pipeline {project.name} warn\nEvery record here passed")
    rules = guard.find_element("tag name", "table").text
    assert f"{TOTAL_RULE} critical record 2 failing" in rules and f"{MEAN_RULE} critical window held" in rules
    assert browser.find_element("id", "node-owners").text == "owners: steward-team; tags: shop"  # type: ignore[attr-defined]

    _click(browser, "#node-flow a:last-child", "node=job:custom/")
    assert browser.find_element("id", "node-flow").text == f"reads kafka:{project.source}-valid; writes {LONG}"  # type: ignore[attr-defined]
    _click(browser, "#node-flow a:last-child", "node=snowflake:")
    assert browser.find_element("css selector", "#detail h2").text == LONG  # type: ignore[attr-defined]

    browser.get(_node_url(project, f"kafka:{project.source}-valid"))  # type: ignore[attr-defined]
    _click(browser, "#node-flow a:first-child", "node=job:governance/sentinel/")
    assert browser.find_element("css selector", ".guard[data-role=job] .badge").text == "warn"  # type: ignore[attr-defined]
    assert browser.find_element("id", "node-flow").text == (  # type: ignore[attr-defined]
        f"reads kafka:{project.source}; writes kafka:{project.source}-valid, kafka:{project.source}-dlq")
    assert unquote_node(browser) == sentinel
    _click(browser, ".guard .pipeline-link", f"/pipelines/{project.name}")
    assert browser.find_element("tag name", "h1").text == f"Pipeline {project.name}"  # type: ignore[attr-defined]


def unquote_node(browser: object) -> str:
    from urllib.parse import parse_qs, urlparse

    return parse_qs(urlparse(browser.current_url).query)["node"][0]  # type: ignore[attr-defined]


def test_a_dlq_node_links_to_the_dlq_browser_and_a_subject_to_its_topics_and_pipeline(project: Project,
                                                                                       browser: object) -> None:
    assert visit(browser, _node_url(project, f"kafka:{project.source}-dlq"), "story-dlq") == []
    guard = browser.find_element("css selector", ".guard[data-role=dlq]")  # type: ignore[attr-defined]
    assert guard.text.startswith(f"Dead letters of pipeline {project.name} warn\nThe records of kafka:{project.source} ")
    _click(browser, ".guard[data-role=dlq] .dlq-link", f"/pipelines/{project.name}/dlq")
    assert browser.find_element("tag name", "h1").text == f"Dead letters of {project.name}"  # type: ignore[attr-defined]

    browser.get(_node_url(project, f"kafka:{project.source}"))  # type: ignore[attr-defined]
    _click(browser, "#node-subject", f"/subjects/{project.source}-value")
    links = browser.find_element("id", "subject-links")  # type: ignore[attr-defined]
    assert links.text == f"topics: {project.source}, {project.source}-valid; pipeline: {project.name}"
    _click(browser, "#subject-links .topic-link:nth-of-type(2)", "node=kafka:")
    assert unquote_node(browser) == f"kafka:{project.source}-valid"
    browser.get(f"{project.console.url}/subjects/{project.source}-value")  # type: ignore[attr-defined]
    _click(browser, "#subject-links .pipeline-link", f"/pipelines/{project.name}")


def test_a_graph_of_50_nodes_fits_its_scrolling_box_at_1400_px_names_everything_and_highlights_lineage(
        project: Project, browser: object) -> None:
    assert _js(browser, "return window.outerWidth") == 1400
    assert visit(browser, f"{project.console.url}/lineage", "graph-50") == []
    boxes = _js(browser, """const svg = document.getElementById('graph');
        return Array.from(svg.querySelectorAll('a.node')).map(a => {const b = a.querySelector('rect').getBBox();
          return [a.dataset.id, b.x, b.y, b.x + b.width, b.y + b.height]})""")
    width, height = _js(browser, "const s = document.getElementById('graph'); return [s.width.baseVal.value, s.height.baseVal.value]")  # type: ignore[misc]
    assert len(boxes) >= 50  # type: ignore[arg-type]
    outside = [b for b in boxes if not (0 <= b[1] and b[3] <= width and 0 <= b[2] and b[4] <= height)]  # type: ignore[union-attr]
    assert not outside, outside
    box = _js(browser, """const b = document.getElementById('graph-box'), s = getComputedStyle(b);
        return [b.scrollWidth, b.scrollHeight, b.clientWidth, b.getBoundingClientRect().height, s.overflowX, s.overflowY,
                window.innerHeight]""")
    scroll_width, scroll_height, client_width, tall, overflow_x, overflow_y, viewport = box  # type: ignore[misc]
    assert scroll_width >= width and scroll_height >= height and overflow_x == overflow_y == "auto"
    assert client_width < width, "at 1,400 px the graph is wider than its box: the box scrolls"
    assert tall < viewport, "the whole box, its horizontal scroll bar too, fits the window, not below 50 rows"
    sink = max(boxes, key=lambda b: b[3])  # type: ignore[arg-type, index]
    _js(browser, f"document.querySelector('a.node[data-id=\"{sink[0]}\"]').scrollIntoView()")
    seen = _js(browser, f"""const r = document.querySelector('a.node[data-id="{sink[0]}"] rect').getBoundingClientRect(),
        b = document.getElementById('graph-box').getBoundingClientRect(); return r.left >= b.left && r.right <= b.right""")
    assert seen, "the rightmost column scrolls into view"
    browser.find_element("id", "fit").click()  # type: ignore[attr-defined]
    fitted = _js(browser, """const s = document.getElementById('graph').getBoundingClientRect(),
        b = document.getElementById('graph-box'); return [s.width, b.clientWidth, b.scrollWidth]""")
    assert fitted[0] <= fitted[1] and fitted[2] <= fitted[1], f"fit to width: the graph scales into its box {fitted}"  # type: ignore[index]
    browser.save_screenshot("build/screenshots/graph-50-fit.png")  # type: ignore[attr-defined]
    browser.find_element("id", "fit").click()  # type: ignore[attr-defined]

    node = browser.find_element("css selector", f'a.node[data-id="{LONG}"]')  # type: ignore[attr-defined]
    assert node.find_element("tag name", "title").get_attribute("textContent") == LONG
    label = node.find_elements("tag name", "text")[0].text
    assert label.endswith("…" + LONG[-len(label) + label.index("…") + 1:]) and len(label) < len(LONG)
    legend = browser.find_element("id", "legend").text  # type: ignore[attr-defined]
    assert all(word in legend for word in ("ok", "warn", "bad", "unknown", "job", "topic or dataset"))

    from selenium.webdriver.support.ui import WebDriverWait

    valid = f"kafka:{project.source}-valid"
    _js(browser, f"document.querySelector('a.node[data-id=\"{valid}\"]').scrollIntoView()")
    browser.find_element("css selector", f'a.node[data-id="{valid}"]').click()  # type: ignore[attr-defined]
    WebDriverWait(browser, 15).until(lambda b: "node=" in b.current_url)  # type: ignore[arg-type]
    assert visit(browser, browser.current_url, "graph-50-highlight") == []  # type: ignore[attr-defined]
    marks = _js(browser, "return Object.fromEntries(Array.from(document.querySelectorAll('a.node'))"
                         ".filter(a => a.classList.length > 2).map(a => [a.dataset.id, a.classList[2]]))")
    sentinel, load = f"job:governance/sentinel/{project.name}", f"job:custom/{project.name}/warehouse-load"
    assert marks == {valid: "selected", sentinel: "upstream", f"kafka:{project.source}": "upstream",
                     f"job:custom/{project.name}/orders-publisher": "upstream", "postgres:shop.orders": "upstream",
                     load: "downstream", LONG: "downstream"}
    opacity = _js(browser, "return getComputedStyle(document.querySelector('a.node[data-id=\"kafka:t00\"]')).opacity")
    assert float(opacity) < 1, "nodes off the selected node's lineage are dimmed"  # type: ignore[arg-type]
    assert len(browser.find_elements("css selector", "path.edge.upstream")) == 4  # type: ignore[attr-defined]
    assert len(browser.find_elements("css selector", "path.edge.downstream")) == 2  # type: ignore[attr-defined]

"""After `governance demo`, a data steward's five questions answered in real Chromium on the demo's
own data, through the console the demo prints (the stack's, showing this project's schemas/,
rules/ and lineage/), with `governance lineage` beside it:

1. where does orders-valid come from; 2. which rules guard it; 3. how healthy was it in the last
hour; 4. which sinks are affected if orders-value breaks; 5. why was this record rejected.

And the figures agree: the DLQ page counts the records a read_committed consumer finds in the
topic; `lineage show`, the console graph and the published build/lineage.json name the same nodes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
import yaml
from confluent_kafka import Consumer, KafkaError, TopicPartition
from console.test_pages import browser, visit  # noqa: F401  (browser: the fixture)
from demo.test_live import KIND_LINE, STREAM_LINE, datahub_home, number

from governance.kafka import KafkaSettings
from governance.stack.cluster import LocalStack

pytestmark = pytest.mark.slow  # `governance demo` runs first

ROOT = Path(__file__).resolve().parents[2]
ZIP_RULE = "expect_column_values_to_match_regex(shippingAddress.zip)"
TOTAL_RULE = "expect_column_values_to_be_between(totalCents)"
MEAN_RULE = "expect_column_mean_to_be_between(totalCents)"
S3 = "s3:shop-data-lake/raw/kafka/orders-valid"
SENTINEL = "job:governance/sentinel/orders"
S3_SINK = "job:kafka-connect/kafka-connect/orders-s3-sink"


@dataclass(frozen=True)
class Demo:
    out: str
    console: str
    """The console URL the demo printed."""
    settings: KafkaSettings
    registry: str
    started: float


def governance(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "governance", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def demo(kafka_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo, once, as a user runs it from the project folder (DataHub Lite in a home of its own)."""
    home = datahub_home(tmp_path_factory.mktemp("steward-home"))
    started = time.time()
    done = governance("demo", "--duration", "20", "--records", "100", "--data-dir", str(kafka_stack.data_dir),
                      env=home, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    state = kafka_stack.state()
    assert state is not None and state.console is not None and state.registry is not None
    printed = re.search(r"^Console: (\S+) ", done.stdout, re.M)
    assert printed and printed[1] == state.console.url, done.stdout[-2000:]
    assert Path(state.console.project).resolve() == ROOT, "the console the demo prints shows the demo's project"
    return Demo(done.stdout, printed[1], KafkaSettings(state.bootstrap_servers), state.registry.url, started)


def node_url(demo: Demo, node: str) -> str:
    return f"{demo.console}/lineage?node={quote(node, safe='')}"


def text(browser: object, css: str) -> str:
    return browser.find_element("css selector", css).text  # type: ignore[attr-defined]


def js(browser: object, script: str) -> object:
    return browser.execute_script(script)  # type: ignore[attr-defined]


def follow(browser: object, css: str, until: str) -> None:
    """Click the link and wait for the page whose (unquoted) URL holds `until`; the page has no errors."""
    from selenium.webdriver.support.ui import WebDriverWait

    browser.find_element("css selector", css).click()  # type: ignore[attr-defined]
    WebDriverWait(browser, 15).until(lambda b: until in unquote(b.current_url))  # type: ignore[arg-type]
    shot = "steward-" + re.sub(r"[^a-z0-9]+", "-", until.lower()).strip("-")
    assert visit(browser, browser.current_url, shot) == []  # type: ignore[attr-defined]


def selected_node(browser: object) -> str:
    from urllib.parse import parse_qs, urlparse

    return parse_qs(urlparse(browser.current_url).query)["node"][0]  # type: ignore[attr-defined]


def test_1_where_orders_valid_comes_from(demo: Demo, browser: object) -> None:
    assert visit(browser, node_url(demo, "kafka:orders-valid"), "steward-orders-valid") == []
    assert text(browser, "#detail h2") == "kafka:orders-valid"
    assert text(browser, "#node-flow") == "written by orders; read by orders-s3-sink"
    assert text(browser, "#node-owners") == "owners: orders-team; tags: shop"
    assert text(browser, "#node-subject") == "orders-value"
    follow(browser, "#node-flow a:first-child", f"node={SENTINEL}")
    assert selected_node(browser) == SENTINEL
    assert text(browser, "#node-flow") == "reads kafka:orders; writes kafka:orders-valid, kafka:orders-dlq"
    follow(browser, "#node-flow a:first-child", "node=kafka:orders")
    assert selected_node(browser) == "kafka:orders"
    assert text(browser, "#node-flow") == "written by orders-jdbc-source; read by orders"
    follow(browser, "#node-flow a:first-child", "node=job:")
    assert text(browser, "#node-flow") == "reads postgres:shop.orders; writes kafka:orders"


def test_2_which_rules_guard_orders_valid(demo: Demo, browser: object) -> None:
    declared = yaml.safe_load((ROOT / "rules" / "orders.yml").read_text())
    count = len(declared["expectations"]) + len(declared["window"]["expectations"])
    visit(browser, node_url(demo, "kafka:orders-valid"), "steward-orders-valid-guard")
    guard = browser.find_element("css selector", ".guard[data-role=valid]")  # type: ignore[attr-defined]
    assert guard.get_attribute("data-pipeline") == "orders"
    assert guard.text.startswith("Guarded by pipeline orders ")
    assert "Every record here passed the critical rules below." in guard.text
    guarding = [r.find_elements("tag name", "td")[0].text for r in guard.find_elements("css selector", "tr")[1:]]
    assert len(guarding) == count and {TOTAL_RULE, ZIP_RULE, MEAN_RULE} <= set(guarding), guarding

    follow(browser, ".guard[data-role=valid] .pipeline-link", "/pipelines/orders")
    rows = {}
    for row in browser.find_elements("css selector", "#rules tr")[1:]:  # type: ignore[attr-defined]
        rule, args, severity, kind = (c.text for c in row.find_elements("tag name", "td")[:4])
        rows[rule] = (args, severity, kind)
    assert list(rows) == guarding, "the pipeline page and the lineage node list the same rules"
    assert rows[TOTAL_RULE] == ("min_value: 0", "critical", "record")
    assert rows[ZIP_RULE] == ("regex: ^[0-9A-Za-z -]{3,10}$", "critical", "record")
    assert rows["expect_column_value_lengths_to_be_between(couponCode)"] == ("min_value: 4, max_value: 20", "warning",
                                                                              "record")
    assert rows[MEAN_RULE] == ("min_value: 100, max_value: 10000000", "critical", "window")
    assert rows["expect_select_column_values_to_be_unique_within_record(orderId,customerId)"][0] == \
        "column_list: [orderId, customerId]"
    verdict = browser.find_elements("css selector", "#rules tr")[list(rows).index(MEAN_RULE) + 1]  # type: ignore[attr-defined]
    last = verdict.find_elements("tag name", "td")[5].text
    if "observed" in last:  # a closed window's verdict with the bounds it was held to
        assert re.fullmatch(r"(held|failed) \(observed [\d,.]+, expected between 100 and 10,000,000\)", last), last


def test_3_how_healthy_orders_was_in_the_last_hour(demo: Demo, browser: object) -> None:
    assert visit(browser, f"{demo.console}/pipelines/orders", "steward-pipeline-orders") == []
    state = text(browser, "#health .badge")
    reason = text(browser, "#health .reason")
    assert state == "stale", "the demo stopped its sentinels: what they last said is old news"
    judged = re.match(r"sentinel stopped(, last heard of \d+ (s|min) ago)? \(window ending \d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
                      r"UTC\); as last seen, (DLQ rate (?P<rate>\d+\.\d%) [≥<] \d+%|window rule \S+ failed)", reason)
    assert judged, reason
    assert text(browser, "#running") == "not running"
    if judged["rate"]:  # the rate of a window the chart shows
        rates = {f"{v:.1%}" for v in js(browser, "return kpiChart.data[2]") if v is not None}  # type: ignore[union-attr]
        assert judged["rate"] in rates, (reason, rates)

    assert js(browser, "return document.querySelector('#chart-range [aria-pressed=true]').textContent") == "last hour"
    low, high = js(browser, "return [kpiChart.scales.x.min, kpiChart.scales.x.max]")  # type: ignore[misc]
    assert high - low == pytest.approx(3600, abs=1)
    t, dlq = js(browser, "return [kpiChart.data[0], kpiChart.data[2]]")  # type: ignore[misc]
    shown = [x for x, d in zip(t, dlq) if d is not None and low <= x <= high]
    assert shown, "the demo's windows lie in the last hour"
    assert text(browser, "#chart-note").startswith(f"{len(shown)} window{'s' if len(shown) > 1 else ''} with records from ")

    visit(browser, f"{demo.console}/", "steward-overview")
    (row,) = [r for r in browser.find_elements("css selector", "#pipelines tr")[1:]  # type: ignore[attr-defined]
              if r.find_element("tag name", "a").text == "orders"]
    assert row.find_element("css selector", ".badge").text == state and "not running" in row.text
    shown_by_cli = governance("lineage", "show", "orders", "-b", demo.settings.bootstrap_servers,
                              "--registry", demo.registry)
    assert shown_by_cli.returncode == 0, shown_by_cli.stderr
    assert f"via sentinel orders (7 rules; {state}: sentinel stopped" in shown_by_cli.stdout, shown_by_cli.stdout


def test_4_which_sinks_are_affected_if_orders_value_breaks(demo: Demo, browser: object) -> None:
    from lineage.test_show import parents

    done = governance("lineage", "impact", "orders-value")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "orders-value is the value schema of kafka:orders"
    drawn = parents(lines[:lines.index("owners to tell:")])
    assert drawn[S3] == drawn["kafka:orders-s3-sink-dlq"] == "kafka:orders-valid", done.stdout
    assert drawn["kafka:orders-valid"] == drawn["kafka:orders-dlq"] == "kafka:orders", done.stdout
    assert f"    connector orders-s3-sink -> {S3}" in lines
    owners = lines[lines.index("owners to tell:") + 1:]
    assert len(owners) == 1 and owners[0].startswith("  orders-team: ") and S3 in owners[0], done.stdout

    visit(browser, node_url(demo, "kafka:orders"), "steward-impact")
    marks = js(browser, "return Object.fromEntries(Array.from(document.querySelectorAll('a.node'))"
                        ".filter(a => a.classList.length > 2).map(a => [a.dataset.id, a.classList[2]]))")
    downstream = {node for node, mark in marks.items() if mark == "downstream"}  # type: ignore[union-attr]
    assert downstream == {SENTINEL, "kafka:orders-valid", "kafka:orders-dlq", S3_SINK, S3, "kafka:orders-s3-sink-dlq"}
    visit(browser, node_url(demo, "kafka:orders-valid"), "steward-impact-valid")
    follow(browser, "#node-flow a:last-child", f"node={S3_SINK}")
    assert text(browser, "#node-flow") == f"reads kafka:orders-valid; writes {S3}, kafka:orders-s3-sink-dlq"
    assert text(browser, "#node-owners") == "owners: orders-team; tags: shop"
    follow(browser, "#node-flow a:nth-of-type(2)", f"node={S3}")
    assert text(browser, "#node-owners") == "owners: orders-team; tags: shop"


def committed_dead_letters(settings: KafkaSettings, topic: str) -> tuple[list[dict], int]:
    """Every record a read_committed consumer finds in the topic (its source coordinates and headers),
    and the offsets the topic spans (records, transaction markers and aborted records)."""
    consumer = Consumer(settings.client_config(group_id="steward-questions", enable_auto_commit=False,
                                               isolation_level="read_committed", enable_partition_eof=True))
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        spans = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in partitions}
        consumer.assign([TopicPartition(topic, p, low) for p, (low, high) in spans.items() if high > low])
        at_end = {p for p, (low, high) in spans.items() if high <= low}
        records = []
        while at_end != set(spans):
            message = consumer.poll(10)
            assert message is not None, f"{topic}: nothing read for 10 s before the end of partitions {set(spans) - at_end}"
            if message.error() is not None:
                assert message.error().code() == KafkaError._PARTITION_EOF, message.error()
                at_end.add(message.partition())
                continue
            headers = {k: (v or b"").decode() for k, v in message.headers() or []}
            records.append(headers)
        return records, sum(high - low for low, high in spans.values())
    finally:
        consumer.close()


def test_5_why_a_record_was_rejected_and_the_dlq_figures_are_the_topics(demo: Demo, browser: object) -> None:
    records, offsets = committed_dead_letters(demo.settings, "orders-dlq")
    streams = {m["pipeline"]: m for m in map(STREAM_LINE.match, demo.out.splitlines()) if m}
    assert len(records) >= number(streams["orders"]["dlq"]) > 0, "the topic holds at least this demo's dead letters"

    assert visit(browser, node_url(demo, "kafka:orders-dlq"), "steward-orders-dlq") == []
    assert text(browser, ".guard[data-role=dlq]").startswith("Dead letters of pipeline orders ")
    follow(browser, ".guard[data-role=dlq] .dlq-link", "/pipelines/orders/dlq")
    assert text(browser, "h1") == "Dead letters of orders"
    size = text(browser, "#dlq-size")
    assert size.startswith(f"orders-dlq: {len(records):,} records ({offsets:,} offsets: the other {offsets - len(records):,} "
                           "are transaction markers and records of aborted or open transactions)"), size
    assert text(browser, "#dlq-matches").startswith(f"records 1–{min(50, len(records))} of {len(records):,}, newest first")
    assert len(browser.find_elements("css selector", "tr.dead-letter")) == min(50, len(records))  # type: ignore[attr-defined]

    why = {f"{h['__connect.errors.topic']}[{h['__connect.errors.partition']}]@{h['__connect.errors.offset']}": h
           for h in records}
    zipped = [h for h in records if ZIP_RULE in {r["rule"] for r in json.loads(h.get("__sentinel.failed.rules", "[]"))}]
    (landed,) = [m for m in map(KIND_LINE.match, demo.out.splitlines()) if m and m["kind"] == "malformed zip code"]
    assert len(zipped) >= number(landed["landed"]) > 0
    visit(browser, f"{demo.console}/pipelines/orders/dlq?rule={quote(ZIP_RULE)}", "steward-dlq-zip")
    assert text(browser, "#dlq-matches").startswith(f"{len(zipped):,} record{'s' if len(zipped) > 1 else ''} "
                                                    f"match{'es' if len(zipped) == 1 else ''} rule {ZIP_RULE}: ")
    rows = browser.find_elements("css selector", "tr.dead-letter")  # type: ignore[attr-defined]
    assert len(rows) == min(50, len(zipped))
    for row in rows:
        source, stage, reason, _, value = row.find_elements("tag name", "td")
        headers = why[source.text.splitlines()[0]]
        assert stage.text == headers["__connect.errors.stage"] == "validate"
        for failed in json.loads(headers["__sentinel.failed.rules"]):
            assert f"{failed['rule']}: {failed['message']}" in reason.text.splitlines(), (reason.text, failed)
        shown = json.loads(value.find_element("tag name", "pre").text)
        assert not re.fullmatch(r"[0-9A-Za-z -]{3,10}", shown["shippingAddress"]["zip"]), "the value shows the bad zip"

    visit(browser, f"{demo.console}/pipelines/orders/dlq?stage=deserialize", "steward-dlq-deserialize")
    undecodable = [h for h in records if h.get("__connect.errors.stage") == "deserialize"]
    assert text(browser, "#dlq-matches").startswith(f"{len(undecodable):,} record")
    for row in browser.find_elements("css selector", "tr.dead-letter"):  # type: ignore[attr-defined]
        headers = why[row.find_elements("tag name", "td")[0].text.splitlines()[0]]
        assert headers["__connect.errors.exception.message"] in row.text


def show_nodes(out: str) -> tuple[set[str], set[tuple[str, str]]]:
    """`lineage show`'s nodes (datasets as platform:name, jobs as the console's job ids) and its edges."""
    nodes: set[str] = set()
    edges: set[tuple[str, str]] = set()
    job = ""
    for line in out.splitlines():
        if not line.startswith(" "):
            words = line.split()
            if words[0] == "sentinel":
                job = f"job:governance/sentinel/{words[1]}"
            elif words[0] == "connector":
                job = f"job:kafka-connect/kafka-connect/{words[1]}"
            elif words[0] != "not":
                job = f"job:{words[0]}/{words[1]}"
            nodes.add(job)
            continue
        found = re.match(r"^  (<- |-> )?([a-z0-9-]+:\S+)", line)
        assert found, line
        nodes.add(found[2])
        if found[1]:
            edges.add((found[2], job) if found[1] == "<- " else (job, found[2]))
    return nodes, edges


def file_nodes(mcps: list[dict]) -> tuple[set[str], set[tuple[str, str]]]:
    dataset = re.compile(r"^urn:li:dataset:\(urn:li:dataPlatform:([^,]+),(.*),PROD\)$")
    job = re.compile(r"^urn:li:dataJob:\(urn:li:dataFlow:\(([^,]+),([^,]+),[^)]+\),(.*)\)$")

    def node(urn: str) -> str | None:
        if found := dataset.match(urn):
            return "{}:{}".format(*found.groups())
        if found := job.match(urn):
            return "job:{}/{}/{}".format(*found.groups())
        return None

    nodes = {n for m in mcps if (n := node(m["entityUrn"]))}
    edges: set[tuple[str, str]] = set()
    for m in mcps:
        if m["aspectName"] == "dataJobInputOutput":
            me = node(m["entityUrn"])
            edges |= {(node(u), me) for u in m["aspect"]["json"]["inputDatasets"]}  # type: ignore[misc]
            edges |= {(me, node(u)) for u in m["aspect"]["json"]["outputDatasets"]}  # type: ignore[misc]
    return nodes, edges


def test_lineage_show_the_console_graph_and_the_published_file_agree_node_for_node(demo: Demo, browser: object) -> None:
    published = ROOT / "build" / "lineage.json"
    assert re.search(r"^  \d+ aspects -> file \S*build/lineage.json$", demo.out, re.M), demo.out[-2000:]
    assert published.stat().st_mtime >= demo.started, "the file this demo published"
    in_file, file_edges = file_nodes(json.loads(published.read_text()))
    done = governance("lineage", "show", "-b", demo.settings.bootstrap_servers, "--registry", demo.registry)
    assert done.returncode == 0, done.stderr
    in_show, show_edges = show_nodes(done.stdout)
    assert visit(browser, f"{demo.console}/lineage", "steward-graph") == []
    in_console = set(js(browser, "return Array.from(document.querySelectorAll('a.node')).map(a => a.dataset.id)"))  # type: ignore[arg-type]
    assert {"kafka:orders-valid", "kafka:orders-dlq", SENTINEL, S3_SINK, S3} <= in_show
    assert in_show == in_console, (in_show ^ in_console)
    assert in_show == in_file, (in_show ^ in_file)
    assert show_edges == file_edges, show_edges ^ file_edges
    assert len(browser.find_elements("css selector", "path.edge")) == len(show_edges)  # type: ignore[attr-defined]

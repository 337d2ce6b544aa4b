"""The steward console in real headless Chromium (Debian's chromium and chromium-driver,
driven by Selenium): a pipeline of orders routed by the real sentinel on the real broker,
then every page looked at as a person would. Each test saves a screenshot under
build/screenshots/."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka_helpers import create_topic
from sentinel_helpers import ORDER_SCHEMA, TOTAL_RULE, ZIP_RULE, Sentinel, order, pipeline_file, produce_orders

from governance.kafka import KafkaSettings
from governance.registry.auth import hash_password
from governance.stack.ports import free_ports

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
XSS = "<script>document.title='pwned'</script>"
STEWARD_TZ = "Asia/Kolkata"
"""The console, `lineage show` and Chromium run at UTC+05:30, so a time told in local time shows."""

if not (CHROMIUM and DRIVER):
    if os.environ.get("CI"):
        raise RuntimeError("chromium and chromedriver are missing: .ci/run installs Debian's chromium and chromium-driver")
    pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
                allow_module_level=True)


class Console:
    def __init__(self, project: Path, kafka: KafkaSettings, registry_url: str, *args: str) -> None:
        self.port = free_ports(1)[0]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "governance", "console", "--port", str(self.port), "--project", str(project),
             "-b", kafka.bootstrap_servers, "--registry", registry_url, *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "TZ": STEWARD_TZ})
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, self.process.stdout.read()  # type: ignore[union-attr]
            try:
                urllib.request.urlopen(self.url + "/static/console.css", timeout=1).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                assert time.monotonic() < deadline, "the console did not start"
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Estate:
    def __init__(self, name: str, source: str, project: Path, console: Console) -> None:
        self.name, self.source, self.project, self.console = name, source, project, console


@pytest.fixture(scope="module")
def estate(kafka: KafkaSettings, registry_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    """200 orders (some breaking rules) and one whose zip is a <script>, routed by the sentinel."""
    name = f"console-{time.time_ns() % 10**8}"
    source = f"{name}-raw"
    project = tmp_path_factory.mktemp("console-project")
    (project / "schemas").mkdir()
    (project / "schemas" / f"{source}-value.avsc").write_text(ORDER_SCHEMA)
    (project / "rules").mkdir()
    pipeline_file(project / "rules", name, source, window={"seconds": 1})
    create_topic(kafka, source)
    produce_orders(kafka, registry_url, source, range(200))
    xss = {**order(1), "orderId": "o-xss", "shippingAddress": {**order(1)["shippingAddress"], "zip": XSS}}
    value = AvroSerializer(SchemaRegistryClient({"url": registry_url}), ORDER_SCHEMA)(
        xss, SerializationContext(source, MessageField.VALUE))
    producer = Producer(kafka.client_config())
    producer.produce(source, value, b"kxss")
    producer.flush(30)
    sentinel = Sentinel(project / "rules" / f"{name}.yml", kafka, registry_url, "--idle-exit", "3")
    assert sentinel.process.wait(120) == 0, sentinel.output
    console = Console(project, kafka, registry_url)
    yield Estate(name, source, project, console)
    console.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER, env={**os.environ, "TZ": STEWARD_TZ}), options=options)
    yield driver
    driver.quit()


def visit(browser: object, url: str, shot: str) -> list[dict]:
    """Load a page, save its screenshot, return the browser console's errors."""
    browser.get(url)  # type: ignore[attr-defined]
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / f"{shot}.png"))  # type: ignore[attr-defined]
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]  # type: ignore[attr-defined]


def test_every_page_loads_without_console_errors(estate: Estate, browser: object) -> None:
    subject = f"{estate.source}-value"
    pages = {"overview": ("/", "Overview"), "subjects": ("/subjects", "Subjects"),
             "subject": (f"/subjects/{subject}", subject), "subject-diff": (f"/subjects/{subject}?from=1&to=1", subject),
             "pipeline": (f"/pipelines/{estate.name}", f"Pipeline {estate.name}"),
             "dlq": (f"/pipelines/{estate.name}/dlq", f"Dead letters of {estate.name}"), "lineage": ("/lineage", "Lineage")}
    for shot, (path, heading) in pages.items():
        assert visit(browser, estate.console.url + path, f"page-{shot}") == [], path
        assert browser.title == "governance console", path  # type: ignore[attr-defined]
        assert browser.find_element("tag name", "h1").text == heading, path  # type: ignore[attr-defined]
    visit(browser, estate.console.url + "/", "overview")
    row = browser.find_element("id", "pipelines").text  # type: ignore[attr-defined]
    assert estate.name in row and "%" in row


def test_the_lineage_graph_shows_topics_and_jobs_and_a_topic_click_shows_its_schema(estate: Estate, browser: object) -> None:
    visit(browser, estate.console.url + "/lineage", "lineage")
    nodes = {n.get_attribute("data-id") for n in browser.find_elements("css selector", "a.node")}  # type: ignore[attr-defined]
    assert {f"kafka:{estate.source}", f"kafka:{estate.source}-valid", f"kafka:{estate.source}-dlq",
            f"job:governance/sentinel/{estate.name}"} <= nodes
    node = browser.find_element("css selector", f'a.node[data-id="kafka:{estate.source}"]')  # type: ignore[attr-defined]
    node.click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 15).until(lambda b: "node=" in b.current_url)  # type: ignore[arg-type]
    assert visit(browser, browser.current_url, "lineage-topic") == []  # type: ignore[attr-defined]
    assert "shippingAddress" in browser.find_element("id", "node-schema").text  # type: ignore[attr-defined]
    assert TOTAL_RULE in browser.find_element("id", "assertions").text  # type: ignore[attr-defined]


def test_the_dlq_browser_shows_a_known_bad_record_and_filters_by_rule(estate: Estate, browser: object) -> None:
    from selenium.webdriver.support.ui import Select

    visit(browser, f"{estate.console.url}/pipelines/{estate.name}/dlq", "dlq")
    rows = browser.find_elements("css selector", "tr.dead-letter")  # type: ignore[attr-defined]
    known = [r.text for r in rows if "k77" in r.text.split()]
    assert known, [r.text for r in rows][:3]
    assert TOTAL_RULE in known[0] and "got -5" in known[0] and "validate" in known[0]
    Select(browser.find_element("name", "rule")).select_by_visible_text(ZIP_RULE)  # type: ignore[attr-defined]
    browser.find_element("css selector", "form.inline button").click()  # type: ignore[attr-defined]
    from selenium.webdriver.support.ui import WebDriverWait

    # The form's navigation, not the page before it: reading current_url at once could race it.
    WebDriverWait(browser, 15).until(lambda b: "rule=" in b.current_url)  # type: ignore[arg-type]
    assert visit(browser, browser.current_url, "dlq-filtered") == []  # type: ignore[attr-defined]
    texts = [r.text for r in browser.find_elements("css selector", "tr.dead-letter")]  # type: ignore[attr-defined]
    assert texts and all(ZIP_RULE in t for t in texts)
    assert not any("k77" in t.split() for t in texts), "filtering by the zip rule hides k77, which broke only the total rule"


def test_record_content_is_shown_as_text_never_run(estate: Estate, browser: object) -> None:
    visit(browser, f"{estate.console.url}/pipelines/{estate.name}/dlq?rule={ZIP_RULE}", "dlq-script")
    assert browser.title != "pwned"  # type: ignore[attr-defined]
    page_text = browser.find_element("tag name", "body").text  # type: ignore[attr-defined]
    assert XSS in page_text, "the <script> is visible as text"
    scripts = browser.find_elements("tag name", "script")  # type: ignore[attr-defined]
    assert not any("pwned" in (s.get_attribute("innerHTML") or "") for s in scripts)


def test_with_a_users_file_every_page_needs_credentials(estate: Estate, browser: object, kafka: KafkaSettings,
                                                       registry_url: str, tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    users.write_text(f"steward: {{password: '{hash_password('s3cret', iterations=1000)}', role: read}}\n")
    guarded = Console(estate.project, kafka, registry_url, "--users-file", str(users))
    try:
        visit(browser, guarded.url + "/", "unauthorized")  # Chromium asks for credentials instead of a page
        assert "Pipelines" not in browser.find_element("tag name", "body").text  # type: ignore[attr-defined]
        for path in ("/", "/lineage", f"/pipelines/{estate.name}/dlq", "/static/console.css"):
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(guarded.url + path, timeout=10)
            assert e.value.code == 401 and e.value.headers["WWW-Authenticate"].startswith("Basic")
        request = urllib.request.Request(guarded.url + "/lineage", headers={"Authorization": "Basic c3Rld2FyZDpzM2NyZXQ="})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
    finally:
        guarded.stop()


COMMITTED = 137
"""Dead letters written in committed transactions: pages of 50, 50 and 37."""


def _written_rules(i: int) -> list[str]:
    return [TOTAL_RULE] if i % 3 else [ZIP_RULE]


@pytest.fixture(scope="module")
def written(kafka: KafkaSettings, registry_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    """A DLQ on two partitions written as the sentinel writes it, in transactions: 137 records
    committed, 45 in aborted transactions (one at the very end of a partition), each commit
    and abort leaving a marker that takes an offset."""
    import json

    name = f"written-{time.time_ns() % 10**8}"
    source = f"{name}-raw"
    project = tmp_path_factory.mktemp("written-project")
    (project / "schemas").mkdir()
    (project / "schemas" / f"{source}-value.avsc").write_text(ORDER_SCHEMA)
    (project / "rules").mkdir()
    pipeline_file(project / "rules", name, source)
    dlq = f"{source}-dlq"
    create_topic(kafka, dlq, partitions=2)
    producer = Producer(kafka.client_config(transactional_id=f"{name}-tx"))
    producer.init_transactions(30)
    base = int(time.time() * 1000) - 600_000

    def transaction(indices: range, partition: int, commit: bool) -> None:
        producer.begin_transaction()
        for i in indices:
            key = f"w{i}" if commit else f"aborted{i}"
            rules = [{"rule": r, "message": f"record {i}"} for r in _written_rules(i)]
            producer.produce(dlq, json.dumps({"n": i}).encode(), key.encode(), partition=partition, timestamp=base + i,
                             headers={"__sentinel.failed.rules": json.dumps(rules), "__connect.errors.stage": "validate"})
        producer.flush(30)
        (producer.commit_transaction if commit else producer.abort_transaction)(30)

    transaction(range(0, 40), 0, True)
    transaction(range(1000, 1020), 0, False)
    transaction(range(40, 90), 1, True)
    transaction(range(90, 97), 0, True)
    transaction(range(1020, 1035), 1, False)
    transaction(range(97, COMMITTED), 1, True)
    transaction(range(1035, 1045), 1, False)  # aborted at the very end: nothing follows it
    console = Console(project, kafka, registry_url)
    yield Estate(name, source, project, console)
    console.stop()


def _keys(browser: object) -> list[str]:
    """The keys of the page's rows, each row's value checked to be its own record's."""
    keys = []
    for row in browser.find_elements("css selector", "tr.dead-letter"):  # type: ignore[attr-defined]
        key = row.find_elements("tag name", "td")[3].text
        assert row.find_element("css selector", "pre.value").text == f'{{"n": {key[1:]}}}', row.text
        keys.append(key)
    return keys


def _walk_older(browser: object, shot: str) -> list[list[str]]:
    """Every page from the current one to the oldest, by the page's own `older` link."""
    pages = [_keys(browser)]
    assert not browser.find_elements("id", "newer"), "the first page links to no newer page"  # type: ignore[attr-defined]
    while links := browser.find_elements("id", "older"):  # type: ignore[attr-defined]
        links[0].click()
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(browser, 15).until(lambda b: f"page={len(pages) + 1}" in b.current_url)  # type: ignore[arg-type]
        assert visit(browser, browser.current_url, f"{shot}-{len(pages) + 1}") == []  # type: ignore[attr-defined]
        pages.append(_keys(browser))
        assert browser.find_elements("id", "newer"), "a later page links back to the newer one"  # type: ignore[attr-defined]
        assert len(pages) < 10
    return pages


def test_the_dlq_page_counts_records_not_offsets_and_pages_as_it_says(written: Estate, browser: object,
                                                                      kafka: KafkaSettings) -> None:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(kafka.client_config(group_id="offsets"))
    offsets = 0
    for partition in (0, 1):
        low, high = consumer.get_watermark_offsets(TopicPartition(f"{written.source}-dlq", partition), timeout=10)
        offsets += high - low
    consumer.close()
    assert offsets > COMMITTED + 45, "markers take offsets"
    assert visit(browser, f"{written.console.url}/pipelines/{written.name}/dlq", "dlq-written") == []
    size = browser.find_element("id", "dlq-size").text  # type: ignore[attr-defined]
    assert size.startswith(f"{written.source}-dlq: {COMMITTED} records ({offsets} offsets: the other "
                           f"{offsets - COMMITTED} are transaction markers"), size
    summary = browser.find_element("id", "dlq-matches").text  # type: ignore[attr-defined]
    assert summary == f"records 1–50 of {COMMITTED}, newest first, 50 per page (page 1 of 3)", summary
    pages = _walk_older(browser, "dlq-written")
    assert [len(p) for p in pages] == [50, 50, 37]
    shown = [k for p in pages for k in p]
    assert shown == [f"w{i}" for i in reversed(range(COMMITTED))], "newest first, each record once, none aborted"


def test_a_filtered_dlq_counts_its_matches_and_pages_through_them_once(written: Estate, browser: object) -> None:
    from selenium.webdriver.support.ui import Select, WebDriverWait

    visit(browser, f"{written.console.url}/pipelines/{written.name}/dlq", "dlq-written-filter")
    Select(browser.find_element("name", "rule")).select_by_visible_text(TOTAL_RULE)  # type: ignore[attr-defined]
    browser.find_element("css selector", "form.inline button").click()  # type: ignore[attr-defined]
    WebDriverWait(browser, 15).until(lambda b: "rule=" in b.current_url)  # type: ignore[arg-type]
    assert visit(browser, browser.current_url, "dlq-written-filtered") == []  # type: ignore[attr-defined]
    expected = [f"w{i}" for i in reversed(range(COMMITTED)) if TOTAL_RULE in _written_rules(i)]
    summary = browser.find_element("id", "dlq-matches").text  # type: ignore[attr-defined]
    assert summary == (f"{len(expected)} records match rule {TOTAL_RULE}: records 1–50 of {len(expected)}, "
                       "newest first, 50 per page (page 1 of 2)"), summary
    pages = _walk_older(browser, "dlq-written-filtered")
    assert [len(p) for p in pages] == [50, len(expected) - 50]
    assert [k for p in pages for k in p] == expected, "every match once, in order, across the pages"

    visit(browser, f"{written.console.url}/pipelines/{written.name}/dlq?rule={TOTAL_RULE}&page=7", "dlq-past-end")
    assert browser.find_element("id", "dlq-note").text == "There is no page 7: the last is page 2, shown here."  # type: ignore[attr-defined]
    assert _keys(browser) == pages[-1]
    assert not browser.find_elements("id", "older") and browser.find_elements("id", "newer")  # type: ignore[attr-defined]

    visit(browser, f"{written.console.url}/pipelines/{written.name}/dlq?stage=produce", "dlq-no-match")
    assert browser.find_element("id", "dlq-matches").text == "0 records match stage produce"  # type: ignore[attr-defined]
    assert not browser.find_elements("css selector", ".paging a")  # type: ignore[attr-defined]


def test_a_page_parameter_that_is_no_page_gets_a_friendly_400(written: Estate, browser: object) -> None:
    for bad in ("abc", "0", "-2"):
        url = f"{written.console.url}/pipelines/{written.name}/dlq?page={bad}"
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url, timeout=30)
        assert e.value.code == 400
        visit(browser, url, f"dlq-page-{bad}")
        problem = browser.find_element("id", "problem").text  # type: ignore[attr-defined]
        assert problem.startswith(f"page={bad} is not a page") and "numbered" in problem, problem
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"{written.console.url}/subjects?page=abc", timeout=30)
    assert e.value.code == 400


def test_a_dlq_too_large_to_read_whole_is_told_in_offsets_and_about(written: Estate, kafka: KafkaSettings) -> None:
    from governance.console.dlq import dlq_view
    from governance.console.topics import TopicTail

    tail = TopicTail(kafka, None)
    try:
        scan = tail.scan(f"{written.source}-dlq", limit=60)  # 30 offsets back on each partition
    finally:
        tail.close()
    assert not scan.whole and scan.read == 60 and 0 < len(scan.records) <= 60
    view = dlq_view(scan, "", "", None)
    assert view.size.startswith(f"{written.source}-dlq: about {scan.offsets} offsets (records, transaction markers")
    assert view.size.endswith(f"the newest 60 offsets hold the {len(scan.records)} records browsed here")


def test_one_window_is_told_by_its_end_in_utc_on_every_page_and_in_lineage_show(
        estate: Estate, browser: object, kafka: KafkaSettings, registry_url: str) -> None:
    import datetime as dt
    import re

    from selenium.webdriver.common.action_chains import ActionChains

    when = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"
    visit(browser, estate.console.url + "/", "overview-utc")
    header = [th.text for th in browser.find_elements("css selector", "#pipelines th")]  # type: ignore[attr-defined]
    row = next(tr for tr in browser.find_elements("css selector", "#pipelines tr") if estate.name in tr.text)  # type: ignore[attr-defined]
    ended = row.find_elements("tag name", "td")[header.index("last window ended")].text
    assert re.fullmatch(when, ended), ended

    shown = subprocess.run([sys.executable, "-m", "governance", "lineage", "show", estate.source, "--project",
                            str(estate.project), "-b", kafka.bootstrap_servers, "--registry", registry_url],
                           capture_output=True, text=True, timeout=60, env={**os.environ, "TZ": STEWARD_TZ})
    assert shown.returncode == 0, shown.stderr
    assert f"last window ended {ended}: " in shown.stdout, (ended, shown.stdout)

    assert visit(browser, f"{estate.console.url}/pipelines/{estate.name}", "pipeline-utc") == []
    assert browser.find_element("id", "last-window").text.startswith(f"Last window ended {ended} ")  # type: ignore[attr-defined]
    ActionChains(browser).move_to_element(browser.find_element("css selector", "#chart .u-over")).perform()  # type: ignore[arg-type]
    index = browser.execute_script("return kpiChart.cursor.idx")  # type: ignore[attr-defined]
    end = browser.execute_script("return kpiChart.data[0][kpiChart.cursor.idx]")  # type: ignore[attr-defined]
    assert index is not None
    legend = browser.find_element("css selector", "#chart .u-legend .u-series:first-child .u-value").text  # type: ignore[attr-defined]
    expected = dt.datetime.fromtimestamp(end, dt.timezone.utc)
    assert legend == expected.strftime("%Y-%m-%d %H:%M:%S UTC"), legend
    ticks = browser.execute_script("return kpiChart.axes[0].values(kpiChart, [kpiChart.data[0][0]])")  # type: ignore[attr-defined]
    first = dt.datetime.fromtimestamp(browser.execute_script("return kpiChart.data[0][0]"), dt.timezone.utc)  # type: ignore[attr-defined]
    assert ticks == [first.strftime("%Y-%m-%d\n%H:%M:%S")], ticks


def test_the_subject_page_shows_the_declared_and_the_enforced_level_and_warns_when_they_differ(
        estate: Estate, browser: object, registry_url: str) -> None:
    subject = f"{estate.source}-value"
    (estate.project / "schemas" / "subjects.yml").write_text(f"{subject}:\n  compatibility: FULL_TRANSITIVE\n")
    global_level = SchemaRegistryClient({"url": registry_url}).get_compatibility()
    assert global_level != "FULL_TRANSITIVE"
    assert visit(browser, f"{estate.console.url}/subjects/{subject}", "subject-level-inherited") == []
    shown = browser.find_element("id", "compatibility").text  # type: ignore[attr-defined]
    assert "declared FULL_TRANSITIVE (schemas/subjects.yml)" in shown
    assert f"the registry enforces {global_level} (inherited from the registry’s global level" in shown
    warning = browser.find_element("id", "level-warning").text  # type: ignore[attr-defined]
    assert f"the registry enforces {global_level}" in warning and "declares FULL_TRANSITIVE" in warning

    registered = subprocess.run([sys.executable, "-m", "governance", "schemas", "register", "--registry", registry_url,
                                 "--schemas", str(estate.project / "schemas")], capture_output=True, text=True, timeout=60)
    assert registered.returncode == 0, registered.stdout + registered.stderr
    assert visit(browser, f"{estate.console.url}/subjects/{subject}", "subject-level-set") == []
    shown = browser.find_element("id", "compatibility").text  # type: ignore[attr-defined]
    assert "the registry enforces FULL_TRANSITIVE (set on the subject)" in shown
    assert not browser.find_elements("id", "level-warning")  # type: ignore[attr-defined]


def test_the_published_lineage_holds_the_topics_the_console_graph_shows(
        estate: Estate, browser: object, registry_url: str, tmp_path: Path) -> None:
    import json

    out = tmp_path / "lineage.json"
    done = subprocess.run([sys.executable, "-m", "governance", "lineage", "emit", "--project", str(estate.project),
                           "--registry", registry_url, "--to", f"file:{out}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    urns = {m["entityUrn"] for m in json.loads(out.read_text())}
    datasets = {re.sub(r"^urn:li:dataset:\(urn:li:dataPlatform:([^,]+),(.*),PROD\)$", r"\1:\2", u)
                for u in urns if u.startswith("urn:li:dataset:")}
    jobs = {re.sub(r"^urn:li:dataJob:\(urn:li:dataFlow:\(([^,]+),([^,]+),prod\),(.*)\)$", r"job:\1/\2/\3", u)
            for u in urns if u.startswith("urn:li:dataJob:")}
    visit(browser, estate.console.url + "/lineage", "lineage-published")
    nodes = {n.get_attribute("data-id") for n in browser.find_elements("css selector", "a.node")}  # type: ignore[attr-defined]
    assert datasets | jobs == nodes
    assert f"kafka:{estate.source}-valid" in datasets and f"job:governance/sentinel/{estate.name}" in jobs


def test_owners_and_tags_of_the_flow_and_the_schemas_field_tags_are_on_the_subject_and_pipeline_pages(
        estate: Estate, browser: object, registry_url: str) -> None:
    import json

    from selenium.webdriver.support.ui import WebDriverWait

    subject = f"{estate.source}-value"
    (estate.project / "lineage").mkdir(exist_ok=True)
    (estate.project / "lineage" / f"{estate.name}.yml").write_text(
        f"owners: [orders-team]\ntags: [shop]\njobs:\n  - name: {estate.name}-load\n"
        f"    inputs: [kafka:{estate.source}-valid]\n    outputs: [s3:lake/{estate.name}]\n")
    tagged = json.loads(ORDER_SCHEMA)
    address = next(f for f in tagged["fields"] if f["name"] == "shippingAddress")
    zip_field = next(f for f in address["type"]["fields"] if f["name"] == "zip")
    zip_field["tags"] = ["pii"]
    SchemaRegistryClient({"url": registry_url}).register_schema(subject, Schema(json.dumps(tagged), "AVRO"))

    def ownership(path: str, shot: str) -> str:
        assert visit(browser, estate.console.url + path, shot) == []
        return browser.find_element("id", "ownership").text  # type: ignore[attr-defined]

    WebDriverWait(browser, 30, poll_frequency=1).until(  # type: ignore[arg-type]
        lambda _: "orders-team" in ownership(f"/subjects/{subject}", "subject-owners"))
    assert ownership(f"/subjects/{subject}", "subject-owners") == f"topic {estate.source}; owners: orders-team; tags: shop"
    rows = [r.text for r in browser.find_elements("css selector", "#fields tr")]  # type: ignore[attr-defined]
    assert "shippingAddress.zip pii" in rows
    assert ownership(f"/pipelines/{estate.name}", "pipeline-owners") == "owners: orders-team; tags: shop"


def test_the_overview_leads_with_the_subjects_of_schemas_and_files_the_others_behind_a_link(
        estate: Estate, browser: object, registry_url: str) -> None:
    leftover = f"aaa-leftover-{time.time_ns() % 10**8}-value"  # sorts before the governed subject
    SchemaRegistryClient({"url": registry_url}).register_schema(
        leftover, Schema('{"type": "record", "name": "Left", "fields": [{"name": "n", "type": "long"}]}', "AVRO"))
    (estate.project / "schemas" / "unregistered-value.avsc").write_text(ORDER_SCHEMA)
    registered = SchemaRegistryClient({"url": registry_url}).get_subjects()
    assert visit(browser, estate.console.url + "/", "overview-subjects") == []
    governed = [r.text for r in browser.find_elements("css selector", "#governed-subjects tr")[1:]]  # type: ignore[attr-defined]
    assert governed == [f"{estate.source}-value schemas/", "unregistered-value schemas/ not registered yet"]
    others = browser.find_element("id", "other-subjects")  # type: ignore[attr-defined]
    assert leftover not in browser.find_element("tag name", "main").text  # type: ignore[attr-defined]
    assert f"{len(registered) - 1:,} other subjects in the registry, not in schemas/" in others.text
    others.find_element("partial link text", "other subjects").click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 15).until(lambda b: "scope=other" in b.current_url)  # type: ignore[arg-type]
    assert visit(browser, browser.current_url, "subjects-other") == []  # type: ignore[attr-defined]
    rows = [r.text for r in browser.find_elements("css selector", "#subjects tr.registry-subject")]  # type: ignore[attr-defined]
    assert f"{leftover} only in the registry" in rows
    assert not browser.find_elements("css selector", "#subjects tr.governed-subject")  # type: ignore[attr-defined]
    assert visit(browser, f"{estate.console.url}/subjects?q={estate.name}", "subjects-all") == []
    first = browser.find_elements("css selector", "#subjects tr")[1]  # type: ignore[attr-defined]
    assert first.get_attribute("class") == "governed-subject" and first.text == f"{estate.source}-value schemas/"
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"{estate.console.url}/subjects?scope=other&page=abc", timeout=10)
    assert e.value.code == 400 and "not a page number" in e.value.read().decode()
    (estate.project / "schemas" / "unregistered-value.avsc").unlink()


def test_a_subjects_file_the_gate_refuses_is_said_on_the_subject_page(estate: Estate, browser: object) -> None:
    subjects_file = estate.project / "schemas" / "subjects.yml"
    before = subjects_file.read_text() if subjects_file.exists() else None
    subjects_file.write_text(f"{estate.source}-value:\n  compatibility: SIDEWAYS\n")
    try:
        assert visit(browser, f"{estate.console.url}/subjects/{estate.source}-value", "subject-level-error") == []
        shown = browser.find_element("id", "compatibility").text  # type: ignore[attr-defined]
        assert "the declared level cannot be read" in shown and "subjects.yml:1" in shown and "SIDEWAYS" in shown
        assert "shippingAddress.zip" in browser.find_element("id", "fields").text  # type: ignore[attr-defined]
    finally:
        if before is None:
            subjects_file.unlink()
        else:
            subjects_file.write_text(before)


def test_the_two_shares_are_named_for_what_they_measure_on_the_overview_and_the_chart(estate: Estate, browser: object) -> None:
    visit(browser, estate.console.url + "/", "overview-shares")
    header = [th.text for th in browser.find_elements("css selector", "#pipelines th")]  # type: ignore[attr-defined]
    assert "valid share" in header and "schema-conformant share" in header
    assert "compliance" not in browser.find_element("tag name", "body").text.lower()  # type: ignore[attr-defined]
    row = next(tr for tr in browser.find_elements("css selector", "#pipelines tr") if estate.name in tr.text)  # type: ignore[attr-defined]
    cells = [td.text for td in row.find_elements("tag name", "td")]
    valid, conformant, dlq = (float(cells[header.index(h)].rstrip("%")) for h in
                              ("valid share", "schema-conformant share", "DLQ rate"))
    assert abs(valid + dlq - 100) < 0.15 and valid < conformant  # rule failures are schema-conformant yet not valid
    visit(browser, f"{estate.console.url}/pipelines/{estate.name}", "pipeline-shares")
    assert browser.execute_script("return kpiChart.series[1].label") == "schema-conformant share"  # type: ignore[attr-defined]

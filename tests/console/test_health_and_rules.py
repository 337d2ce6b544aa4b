"""The console's health badge says why, a stopped sentinel's pipeline is stale, and the pipeline page
lists each rule with its arguments and each window rule's observed value next to its bounds: in real
headless Chromium over pipelines routed by the real sentinel (helpers of test_pages)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka_helpers import create_topic
from sentinel_helpers import ORDER_SCHEMA, Sentinel, pipeline_file, produce_orders, wait_until
from console.test_pages import STEWARD_TZ, Console, browser, visit  # noqa: F401 (browser: the fixture)

from governance.kafka import KafkaSettings

WINDOW_RULES = [
    {"expectation": "expect_column_mean_to_be_between", "column": "totalCents", "min_value": 100, "max_value": 10_000_000},
    {"expectation": "expect_column_values_to_be_in_set", "column": "shippingAddress.country", "value_set": ["DE", "FR"],
     "mostly": 0.95, "severity": "warning"},
]


class Steward:
    def __init__(self, project: Path, stopped: str, live: str, console: Console, kafka: KafkaSettings,
                 registry_url: str) -> None:
        self.project, self.stopped, self.live, self.console = project, stopped, live, console
        self.kafka, self.registry_url = kafka, registry_url


@pytest.fixture(scope="module")
def steward(kafka: KafkaSettings, registry_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Steward]:
    """Two pipelines of 200 orders (8 break a critical rule: 4% to the DLQ): `stopped`, whose sentinel
    routed them in 1-second windows with window rules and exited; `live`, whose sentinel still runs
    (hour-long windows, so its one window holds all 200)."""
    run = time.time_ns() % 10**8
    stopped, live = f"stopped-{run}", f"live-{run}"
    project = tmp_path_factory.mktemp("steward-project")
    (project / "schemas").mkdir()
    (project / "rules").mkdir()
    for name in (stopped, live):
        (project / "schemas" / f"{name}-raw-value.avsc").write_text(ORDER_SCHEMA)
        create_topic(kafka, f"{name}-raw")
    pipeline_file(project / "rules", stopped, f"{stopped}-raw", window={"seconds": 1, "expectations": WINDOW_RULES})
    pipeline_file(project / "rules", live, f"{live}-raw", window={"seconds": 3600})
    while time.time() % 3600 > 3480:  # the live pipeline's 200 records all in one hour-long window
        time.sleep(5)
    for name in (stopped, live):
        produce_orders(kafka, registry_url, f"{name}-raw", range(200))
    exiting = Sentinel(project / "rules" / f"{stopped}.yml", kafka, registry_url, "--idle-exit", "3")
    running = Sentinel(project / "rules" / f"{live}.yml", kafka, registry_url)
    console = None
    try:
        assert exiting.process.wait(120) == 0, exiting.output
        console = Console(project, kafka, registry_url)
        yield Steward(project, stopped, live, console, kafka, registry_url)
    finally:
        if console is not None:
            console.stop()
        running.stop()


def _row(browser: object, pipeline: str) -> dict[str, str]:
    header = [th.text for th in browser.find_elements("css selector", "#pipelines th")]  # type: ignore[attr-defined]
    row = next(tr for tr in browser.find_elements("css selector", "#pipelines tr") if pipeline in tr.text)  # type: ignore[attr-defined]
    return dict(zip(header, (td.text for td in row.find_elements("tag name", "td"))))


def test_a_pipeline_whose_sentinel_stopped_is_stale_and_the_badge_says_why(steward: Steward, browser: object) -> None:
    visit(browser, steward.console.url + "/", "health-stale")
    row = _row(browser, steward.stopped)
    assert row["sentinel"] == "not running"
    assert re.fullmatch(r"stale sentinel stopped, last heard of \d+ s ago \(window ending \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\); "
                        r"as last seen, .+", row["health"]), row["health"]
    assert visit(browser, f"{steward.console.url}/pipelines/{steward.stopped}", "pipeline-stale") == []
    badge = browser.find_element("css selector", "#health .badge").text  # type: ignore[attr-defined]
    reason = browser.find_element("css selector", "#health .reason").text  # type: ignore[attr-defined]
    assert badge == "stale" and reason.startswith("sentinel stopped, last heard of ")
    assert browser.find_element("id", "running").text == "not running"  # type: ignore[attr-defined]

    shown = subprocess.run([sys.executable, "-m", "governance", "lineage", "show", f"{steward.stopped}-raw", "--project",
                            str(steward.project), "-b", steward.kafka.bootstrap_servers, "--registry",
                            steward.registry_url], capture_output=True, text=True, timeout=60,
                           env={**os.environ, "TZ": STEWARD_TZ})
    assert shown.returncode == 0, shown.stderr
    assert f"sentinel {steward.stopped} (8 rules; stale: sentinel stopped, last heard of " in shown.stdout, shown.stdout


def test_a_running_pipeline_with_four_percent_to_the_dlq_warns_and_says_why(steward: Steward, browser: object) -> None:
    def all_routed() -> bool:
        visit(browser, steward.console.url + "/", "health-warn")
        return _row(browser, steward.live).get("records") == "200"

    wait_until(all_routed, timeout=120, interval=2)
    row = _row(browser, steward.live)
    assert (row["health"], row["sentinel"], row["DLQ rate"]) == ("warn DLQ rate 4.0% ≥ 1%", "running", "4.0%")
    assert visit(browser, f"{steward.console.url}/pipelines/{steward.live}", "pipeline-warn") == []
    assert browser.find_element("css selector", "#health .badge").text == "warn"  # type: ignore[attr-defined]
    assert browser.find_element("css selector", "#health .reason").text == "DLQ rate 4.0% ≥ 1%"  # type: ignore[attr-defined]
    assert browser.find_element("id", "running").text == "running"  # type: ignore[attr-defined]


def test_the_pipeline_page_lists_each_rule_with_its_arguments_and_window_rules_next_to_their_bounds(
        steward: Steward, browser: object) -> None:
    assert visit(browser, f"{steward.console.url}/pipelines/{steward.stopped}", "pipeline-rules") == []
    header = [th.text for th in browser.find_elements("css selector", "#rules th")]  # type: ignore[attr-defined]
    rows = {}
    for tr in browser.find_elements("css selector", "#rules tr")[1:]:  # type: ignore[attr-defined]
        cells = dict(zip(header, (td.text for td in tr.find_elements("tag name", "td"))))
        rows[cells["rule"]] = cells
    assert rows["expect_column_values_to_be_between(totalCents)"]["arguments"] == "min_value: 0"
    assert rows["expect_column_values_to_match_regex(shippingAddress.zip)"]["arguments"] == "regex: ^[0-9A-Za-z -]{3,10}$"
    assert rows["expect_column_value_lengths_to_be_between(couponCode)"]["arguments"] == "min_value: 4, max_value: 20"
    assert rows["expect_column_value_lengths_to_be_between(couponCode)"]["severity"] == "warning"
    unique = next(cells for rule, cells in rows.items() if rule.startswith("expect_select_column_values_to_be_unique"))
    assert unique["arguments"] == "column_list: [orderId, customerId]"
    mean = rows["expect_column_mean_to_be_between(totalCents)"]
    assert mean["arguments"] == "min_value: 100, max_value: 10000000"
    assert re.fullmatch(r"held \(observed [\d,]+(\.\d\d?)?, expected between 100 and 10,000,000\)", mean["last window"]), mean
    country = rows["expect_column_values_to_be_in_set(shippingAddress.country)"]
    assert (country["arguments"], country["severity"]) == ("value_set: [DE, FR], mostly: 0.95", "warning")
    assert country["last window"] == "held (observed 1.5% unexpected of 200 records, expected at most 5% (mostly 0.95))"

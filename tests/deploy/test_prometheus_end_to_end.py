"""The shipped rules and dashboard on a real Prometheus: Debian's `prometheus` server scrapes a
running `governance sentinel run` and two `governance registry serve` instances (a primary and a
follower) on loopback every second; orders with bad values flow through the sentinel.

Rule files are the shipped ones, copied with only their `for:` durations cut to 2 s (minutes of
waiting otherwise); expressions and thresholds are untouched. Evaluation runs every second.
Dashboard queries are sent as Grafana would for this test's pipeline, `$__rate_interval` as 1m;
every one, and every recording rule, must return series.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from prometheus_helpers import RULE_FILES, PrometheusServer, grafana_to_promql, panel_queries, recorded_names
from kafka_helpers import create_topic
from registry_helpers import Instance, http
from sentinel_helpers import ORDER_SCHEMA, Sentinel, pipeline_file, produce_orders, start, wait_until

from governance.kafka import KafkaSettings

FOR = "2s"


def short_for_rules(directory: Path) -> list[Path]:
    copies = []
    for path in RULE_FILES:
        copy = directory / path.name
        copy.write_text(re.sub(r"(?m)^(\s+for:\s*)\S+$", rf"\g<1>{FOR}", path.read_text()))
        copies.append(copy)
    return copies


def bad_index(i: int) -> int:
    """Order indices (sentinel_helpers.order) of which one in three has a bad zip code (every
    50th order has one); the others pass unless they hit the total or country rules."""
    return 50 * i if i % 3 == 0 else 50 * i + 1


class Flow:
    """Orders produced in the background, 300 every second, until stopped; 1 in 20 is not Avro."""

    def __init__(self, kafka: KafkaSettings, registry_url: str, topic: str) -> None:
        self._stop = threading.Event()
        self.failure: BaseException | None = None

        def run() -> None:
            try:
                first = 0
                while not self._stop.is_set():
                    indices = [bad_index(i) for i in range(first, first + 300)]
                    produce_orders(kafka, registry_url, topic, indices,
                                   poison={index: b"\x07not-avro" for index in indices[::20]})
                    first += 300
                    self._stop.wait(1)
            except BaseException as e:  # reported by stop()
                self.failure = e

        self._thread = threading.Thread(target=run, name="orders-flow", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)
        assert self.failure is None, f"producing failed: {self.failure!r}"


def host_port(url: str) -> str:
    return re.sub(r"^https?://([^/]+).*$", r"\1", url)


@pytest.mark.slow
def test_the_dlq_alert_fires_and_every_panel_has_series(kafka: KafkaSettings, tmp_path: Path, unique_name: str) -> None:
    schemas_topic = f"_schemas-{unique_name}"
    primary = Instance(kafka, schemas_topic, tmp_path / "primary.log")
    wait_until(lambda: primary.says_primary, timeout=60)
    follower = Instance(kafka, schemas_topic, tmp_path / "follower.log")
    name, source = unique_name, f"{unique_name}-raw"
    sentinel: Sentinel | None = None
    prometheus: PrometheusServer | None = None
    flow: Flow | None = None
    try:
        # A write through the follower (forwarded to the primary) and a compatibility check.
        status, _ = http("POST", f"{follower.url}/subjects/{source}-value/versions", {"schema": ORDER_SCHEMA})
        assert status == 200
        status, _ = http("POST", f"{primary.url}/compatibility/subjects/{source}-value/versions/latest",
                         {"schema": ORDER_SCHEMA})
        assert status == 200
        path = pipeline_file(tmp_path, name, source, window={"seconds": 2, "expectations": [
            {"expectation": "expect_column_mean_to_be_between", "column": "totalCents", "min_value": 100}]})
        create_topic(kafka, source)
        sentinel = start(path, kafka, primary.url, "--workers", "0", "--datahub", f"file:{tmp_path / 'datahub.json'}")
        prometheus = PrometheusServer(tmp_path, {"sentinel": [host_port(sentinel.metrics_url())],
                                                 "registry": [host_port(primary.url), host_port(follower.url)]},
                                      short_for_rules(tmp_path))
        wait_until(lambda: len(prometheus.query('up{job=~"sentinel|registry"} == 1')) == 3, timeout=60)
        flow = Flow(kafka, primary.url, source)

        def dlq_alert_firing() -> bool:
            return any(a["labels"]["alertname"] == "SentinelDlqRateHigh" and a["labels"].get("pipeline") == name
                       and a["state"] == "firing" for a in prometheus.alerts())

        wait_until(dlq_alert_firing, timeout=240, interval=1)
        # Every query of every panel, and every recording rule, has series (window gauges wait
        # for a published window).
        queries = [(f"panel {title!r}", grafana_to_promql(expr, name)) for title, expr in panel_queries()]
        queries += [("recording rule", record) for record in sorted(recorded_names())]
        deadline = time.monotonic() + 120
        while True:
            empty = [f"{where}: {expr}" for where, expr in queries if not prometheus.query(expr)]
            if not empty or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert empty == [], "queries without series:\n" + "\n".join(empty)
        firing = {a["labels"]["alertname"] for a in prometheus.alerts() if a["state"] == "firing"}
        assert not firing & {"SentinelDown", "SentinelUnhealthy", "RegistryDown", "RegistryNoPrimary"}
    finally:
        if flow is not None:
            flow.stop()
        if prometheus is not None:
            prometheus.stop()
        if sentinel is not None:
            sentinel.stop()
        follower.stop()
        primary.stop()

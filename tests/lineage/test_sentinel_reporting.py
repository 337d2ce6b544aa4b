"""A running sentinel reports to DataHub: its job lineage at start and assertion results
every window. A DataHub that refuses connections never slows or stops routing: the
sentinel keeps routing exactly once, says so once, counts the failures in /metrics,
and sends what it held once DataHub is back."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from gms_capture import GmsCapture
from kafka_helpers import consume_all, create_topic
from sentinel_helpers import Sentinel, failed_rules_of, pipeline_file, produce_orders, scrape, wait_until

from governance.kafka import KafkaSettings

N = 3000


def test_a_refusing_datahub_does_not_stop_routing_and_gets_the_results_when_back(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, unique_name: str) -> None:
    source = f"{unique_name}-raw"
    create_topic(kafka, source, partitions=2)
    gms = GmsCapture()
    gms.stop()  # refuses connections from the start
    path = pipeline_file(tmp_path, unique_name, source, window={"seconds": 1},
                         commit={"every_records": 500, "every_ms": 200})
    sentinel = Sentinel(path, kafka, registry_url, "--metrics-port", "0", "--datahub", gms.url)
    try:
        url = sentinel.metrics_url()
        sentinel.wait_for(r"datahub\s+job lineage now")
        produce_orders(kafka, registry_url, source, range(N))
        key = ("sentinel_records_in_total", frozenset({("pipeline", unique_name)}))
        wait_until(lambda: scrape(url).get(key) == N, timeout=120)
        sentinel.wait_for(r"cannot be reached: .*routing goes on")
        failures = ("sentinel_datahub_failures_total", frozenset({("pipeline", unique_name)}))
        assert scrape(url)[failures] >= 1
        assert sum("cannot be reached" in line for line in sentinel.lines) == 1, "said once"

        gms.start()  # back on the same port
        wait_until(lambda: any(p["aspectName"] == "assertionRunEvent" for p in gms.ingested()), timeout=60)
        sentinel.wait_for("takes metadata again")
        ingested = gms.ingested()
        job_io = [p for p in ingested if p["aspectName"] == "dataJobInputOutput"]
        assert job_io and job_io[0]["aspect"]["inputDatasets"] == [
            f"urn:li:dataset:(urn:li:dataPlatform:kafka,{source},PROD)"]
        events = [p["aspect"] for p in ingested if p["aspectName"] == "assertionRunEvent"]
        assert all(e["asserteeUrn"] == f"urn:li:dataset:(urn:li:dataPlatform:kafka,{source},PROD)" for e in events)
        assert {e["result"]["type"] for e in events} >= {"FAILURE"}
    finally:
        exit_code = sentinel.stop(signal.SIGTERM)
        gms.stop()
    assert exit_code == 0, sentinel.output
    expected_invalid = sum(1 for i in range(N) if failed_rules_of(i))
    valid = consume_all(kafka, f"{source}-valid", N - expected_invalid, group=f"{unique_name}-v")
    dlq = consume_all(kafka, f"{source}-dlq", expected_invalid, group=f"{unique_name}-d")
    assert len(valid) == N - expected_invalid and len(dlq) == expected_invalid
    assert len({m.key() for m in valid + dlq}) == N

    project = tmp_path / "project"
    (project / "rules").mkdir(parents=True)
    (project / "rules" / path.name).write_text(path.read_text())
    shown = subprocess.run([sys.executable, "-m", "governance", "lineage", "show", source, "--project", str(project),
                            "-b", kafka.bootstrap_servers, "--registry", registry_url],
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert re.search(rf"via sentinel {unique_name} \(\d+ rules; (ok|warn|failing|stale): .*; last window ended \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC: "
                     r"\d+\.\d% valid, 100.0% schema-conformant, "
                     r"\d+\.\d% to the DLQ, [\d,]+ records\)", shown.stdout), shown.stdout


def test_reporting_starts_with_the_job_lineage(kafka: KafkaSettings, registry_url: str, tmp_path: Path,
                                               unique_name: str) -> None:
    source = f"{unique_name}-raw"
    create_topic(kafka, source)
    produce_orders(kafka, registry_url, source, range(10))  # registers the source's schema
    gms = GmsCapture()
    sentinel = Sentinel(pipeline_file(tmp_path, unique_name, source), kafka, registry_url, "--datahub", gms.url)
    try:
        deadline = time.monotonic() + 60
        while not any(p["aspectName"] == "assertionInfo" for p in gms.ingested()):
            assert time.monotonic() < deadline, sentinel.output
            time.sleep(0.2)
        names = {p["aspectName"] for p in gms.ingested()}
        assert {"dataFlowInfo", "dataJobInfo", "dataJobInputOutput", "schemaMetadata", "upstreamLineage"} <= names
    finally:
        assert sentinel.stop() == 0
        gms.stop()

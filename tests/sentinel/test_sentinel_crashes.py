"""`governance sentinel run` end to end, through crashes and rebalances: the real CLI in
child processes, a real broker and registry, the GX rules of rules/orders.yml. Every
source order lands exactly once, in the valid topic or the DLQ, byte for byte."""

from __future__ import annotations

import random
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import psutil
import pytest

from kafka_helpers import create_topic
from sentinel_helpers import (
    Offsets,
    Sentinel,
    PacedOrders,
    assert_routed_exactly_once,
    is_valid,
    kpi_records,
    pipeline_file,
    produce_orders,
    records_in,
    start,
    wait_until,
)

from governance.kafka import KafkaSettings

PARTITIONS = 3


@pytest.mark.slow
def test_five_sigkills_during_a_200k_run_lose_and_duplicate_nothing(
    kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path
) -> None:
    n = 200_000
    source = f"{unique_name}-in"
    create_topic(kafka, source, partitions=PARTITIONS)
    pipeline = pipeline_file(tmp_path, unique_name, source, commit={"every_records": 5000, "every_ms": 500})
    produce_orders(kafka, registry_url, source, range(20_000))
    kills_done = threading.Event()
    producing = PacedOrders(kafka, registry_url, source, 20_000, n, {n - 10_000: kills_done}, every=1.5)
    offsets = Offsets(kafka, f"sentinel-{unique_name}", source, PARTITIONS)
    rng = random.Random(7)
    ends = []
    try:
        # Each process is killed at another moment: after it committed its first transaction
        # or a few, and a random part of a transaction later.
        for progress in (1, 10_000, 1, 20_000, 5_000):
            # The same instance id: a restart fences its predecessor's open transaction at once.
            # Two judge workers: a killed sentinel's workers must not outlive it.
            sentinel = start(pipeline, kafka, registry_url, "--instance-id", "slot-0", "--workers", "2")
            try:
                wait_until(lambda: records_in(sentinel, unique_name) >= progress, timeout=60, interval=0.05)
                time.sleep(rng.uniform(0.0, 0.8))
                assert sentinel.process.poll() is None, f"the sentinel is still routing when killed:\n{sentinel.output}"
                workers = psutil.Process(sentinel.process.pid).children()
            finally:
                sentinel.kill()
            assert sentinel.process.returncode == -signal.SIGKILL
            assert len(workers) >= 2  # and multiprocessing's resource tracker
            _, alive = psutil.wait_procs(workers, timeout=15)
            assert not alive, f"judge workers outlived their killed sentinel: {alive}"
            ends.append(offsets.end())
        assert ends[0] < ends[-1] < n, f"orders kept arriving during the kills: {ends}"

        kills_done.set()
        last = start(pipeline, kafka, registry_url, "--instance-id", "slot-0")
        try:
            producing.join()
            wait_until(lambda: offsets.committed() == offsets.end() == n, timeout=90, interval=0.2)
            assert records_in(last, unique_name) > 0
        finally:
            try:
                code = last.stop(signal.SIGTERM)
            except subprocess.TimeoutExpired:
                last.kill()
                raise
        assert code == 0, last.output
    finally:
        kills_done.set()
        offsets.close()
    assert_routed_exactly_once(kafka, unique_name, source, n)
    assert_kpis_exact(kafka, registry_url, unique_name, n)


def assert_kpis_exact(kafka: KafkaSettings, registry_url: str, name: str, n: int) -> None:
    """Summing the KPI topic as the README says (the last record per key) gives what the valid
    topic and the DLQ hold, whatever processes were killed on the way."""
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    context = SerializationContext(f"{name}-kpi", MessageField.VALUE)
    kpis = kpi_records(kafka, f"{name}-kpi", f"{name}-check-kpi", lambda v: deserializer(v, context))
    valid = sum(1 for i in range(n) if is_valid(i))
    assert sum(k["window"]["records_in"] for k in kpis) == n
    assert sum(k["window"]["valid"] for k in kpis) == valid
    assert sum(k["window"]["invalid"] for k in kpis) == n - valid


@pytest.mark.slow
def test_a_second_process_joining_and_leaving_midrun_rebalances_without_loss_or_duplicates(
    kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path
) -> None:
    n = 120_000
    source = f"{unique_name}-in"
    create_topic(kafka, source, partitions=PARTITIONS)
    pipeline = pipeline_file(tmp_path, unique_name, source, commit={"every_records": 5000, "every_ms": 500})
    produce_orders(kafka, registry_url, source, range(10_000))
    offsets = Offsets(kafka, f"sentinel-{unique_name}", source, PARTITIONS)
    second_joined, first_left = threading.Event(), threading.Event()
    # Dynamic membership (no --instance-id): a stopped member leaves the group at once,
    # a static one would keep its partitions until its session timed out.
    first = start(pipeline, kafka, registry_url)
    second: Sentinel | None = None
    try:
        wait_until(lambda: records_in(first, unique_name) > 0, timeout=60, interval=0.05)
        # Orders keep arriving while the second joins and while the first leaves.
        producing = PacedOrders(kafka, registry_url, source, 10_000, n, {50_000: second_joined, 100_000: first_left})
        second = start(pipeline, kafka, registry_url)
        second.wait_for(rf": assigned {re.escape(source)}\[", timeout=60)  # a rebalance: the first gave some up
        second_joined.set()
        wait_until(lambda: records_in(second, unique_name) > 0, timeout=60, interval=0.1)
        assert first.process.poll() is None, first.output
        assert first.stop(signal.SIGTERM) == 0, first.output  # the first leaves: a rebalance again
        second.wait_for(rf": assigned {re.escape(source)}\[0,1,2\]", timeout=60)
        first_left.set()

        producing.join()
        wait_until(lambda: offsets.committed() == offsets.end() == n, timeout=90, interval=0.2)
        assert second.stop(signal.SIGTERM) == 0, second.output
    finally:
        second_joined.set()
        first_left.set()
        for s in (first, second):
            if s is not None and s.process.poll() is None:
                s.kill()
        offsets.close()
    # Each process counts only what it committed, so between them they counted every order once.
    routed = [int(s.wait_for(r"stopped after ([\d,]+) records").group(1).replace(",", "")) for s in (first, second)]
    assert all(routed) and sum(routed) == n, routed
    assert_routed_exactly_once(kafka, unique_name, source, n)
    assert_kpis_exact(kafka, registry_url, unique_name, n)


def test_a_second_process_with_the_same_instance_id_stops_the_first_which_says_why(
    kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path
) -> None:
    """Two live processes given one --instance-id used to fence each other for ever. Kafka lets
    the newer one have the id: the older one stops, exit 2, saying so and how to fix it, and
    the newer one routes on; every order still lands exactly once."""
    n = 40_000
    source = f"{unique_name}-in"
    create_topic(kafka, source, partitions=PARTITIONS)
    pipeline = pipeline_file(tmp_path, unique_name, source, commit={"every_records": 2000, "every_ms": 300})
    produce_orders(kafka, registry_url, source, range(10_000))
    offsets = Offsets(kafka, f"sentinel-{unique_name}", source, PARTITIONS)
    first = start(pipeline, kafka, registry_url, "--instance-id", "slot-0", "--workers", "0")
    second: Sentinel | None = None
    try:
        wait_until(lambda: records_in(first, unique_name) > 0, timeout=120, interval=0.1)
        # Orders keep arriving while the second starts, so both have transactions open.
        producing = PacedOrders(kafka, registry_url, source, 10_000, 30_000, {}, chunk=1_000, every=0.5)
        second = start(pipeline, kafka, registry_url, "--instance-id", "slot-0", "--workers", "0")
        assert first.process.wait(180) == 2, first.output
        producing.join()
        # Only the second can route these.
        produce_orders(kafka, registry_url, source, range(30_000, n))
        wait_until(lambda: offsets.committed() == offsets.end() == n, timeout=120, interval=0.2)
        assert second.process.poll() is None, second.output
        assert records_in(second, unique_name) > 0
        assert second.stop(signal.SIGTERM) == 0, second.output
    finally:
        for s in (first, second):
            if s is not None and s.process.poll() is None:
                s.kill()
        offsets.close()
    said = first.output
    print(next(line for line in first.lines if line.startswith("error: ")))
    assert "Traceback" not in said
    assert (f"error: {unique_name}: another process took over instance id slot-0 "
            f"(transactional.id sentinel-{unique_name}-slot-0)") in said, said
    assert "give each `sentinel run` of this pipeline its own --instance-id" in said
    assert "or leave --instance-id out" in said
    assert re.search(r"stopped after [\d,]+ records", said), said
    assert "another process took over" not in second.output, second.output
    assert_routed_exactly_once(kafka, unique_name, source, n)
    assert_kpis_exact(kafka, registry_url, unique_name, n)

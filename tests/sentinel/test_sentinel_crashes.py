"""`governance sentinel run` end to end, through crashes and rebalances: the real CLI in
child processes, a real broker and registry, the GX rules of rules/orders.yml. Every
source order lands exactly once, in the valid topic or the DLQ, byte for byte."""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

from confluent_kafka import Consumer, Message, TopicPartition
from kafka_helpers import consume_all, create_topic
from sentinel_helpers import (
    Sentinel,
    kpi_records,
    failed_rules_of,
    is_valid,
    pipeline_file,
    produce_orders,
    scrape,
    wait_until,
)

from governance.kafka import KafkaSettings

PARTITIONS = 3


class PacedOrders:
    """Orders start..stop produced in the background in chunks, one every `every` seconds, so
    the sentinel is busy while input keeps arriving. `holds` maps an order index to an event:
    from that order on, chunks wait for the event, so input is still missing whatever the
    test does before setting it."""

    def __init__(self, kafka: KafkaSettings, registry_url: str, topic: str, start: int, stop: int,
                 holds: dict[int, threading.Event], chunk: int = 10_000, every: float = 1.0) -> None:
        self._args = kafka, registry_url, topic, start, stop, holds, chunk, every
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="produce-orders", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        kafka, registry_url, topic, start, stop, holds, chunk, every = self._args
        try:
            began = time.monotonic()
            for k, first in enumerate(range(start, stop, chunk)):
                time.sleep(max(0.0, began + k * every - time.monotonic()))
                for index, event in holds.items():
                    if first >= index and not event.is_set():
                        event.wait()
                        began = time.monotonic() - k * every
                produce_orders(kafka, registry_url, topic, range(first, min(first + chunk, stop)))
        except BaseException as e:  # reported by join()
            self.failure = e

    def join(self, timeout: float = 120) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the producer did not finish"
        assert self.failure is None, f"producing failed: {self.failure!r}"


class Offsets:
    """The sentinel group's committed offsets and the source's end offsets, from outside the group."""

    def __init__(self, kafka: KafkaSettings, group: str, topic: str) -> None:
        # Never subscribes, so it only asks the broker (OffsetFetch, ListOffsets) and never joins.
        self._consumer = Consumer(kafka.client_config(group_id=group, enable_auto_commit=False,
                                                      isolation_level="read_committed"))
        self._partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]

    def committed(self) -> int:
        return sum(max(tp.offset, 0) for tp in self._consumer.committed(self._partitions, timeout=30))

    def end(self) -> int:
        return sum(self._consumer.get_watermark_offsets(tp, timeout=30)[1] for tp in self._partitions)

    def close(self) -> None:
        self._consumer.close()


def assert_routed_exactly_once(kafka: KafkaSettings, name: str, source: str, n: int) -> None:
    """Read back (read_committed): the valid topic holds the valid orders' records byte for
    byte, the DLQ the invalid ones with the rules they fail; nothing twice, nothing missing."""
    valid_keys = {f"k{i}".encode() for i in range(n) if is_valid(i)}
    invalid_keys = {f"k{i}".encode() for i in range(n) if not is_valid(i)}
    inputs = {m.key(): m for m in consume_all(kafka, source, n, group=f"{name}-check-in")}
    assert len(inputs) == n
    valid_out = consume_all(kafka, f"{source}-valid", len(valid_keys), group=f"{name}-check-valid")
    dlq_out = consume_all(kafka, f"{source}-dlq", len(invalid_keys), group=f"{name}-check-dlq")

    assert _duplicates(valid_out) == {}
    assert _duplicates(dlq_out) == {}
    assert {m.key() for m in valid_out} == valid_keys
    assert {m.key() for m in dlq_out} == invalid_keys
    for m in valid_out:
        original = inputs[m.key()]
        assert (m.value(), m.headers(), m.timestamp()) == (original.value(), original.headers(), original.timestamp())
    for m in dlq_out:
        original = inputs[m.key()]
        assert m.value() == original.value()
        headers = dict(m.headers())
        assert headers["__connect.errors.stage"] == b"validate"
        assert headers["__connect.errors.partition"] == str(original.partition()).encode()
        assert headers["__connect.errors.offset"] == str(original.offset()).encode()
        rules = [r["rule"] for r in json.loads(headers["__sentinel.failed.rules"])]
        assert rules == failed_rules_of(int(m.key()[1:]))


def _duplicates(messages: list[Message]) -> dict[bytes, int]:
    return {k: c for k, c in Counter(m.key() for m in messages).items() if c > 1}


def records_in(sentinel: Sentinel, pipeline: str) -> float:
    """What this process has routed and committed, from its /metrics."""
    return scrape(sentinel.metrics_url()).get(("sentinel_records_in_total", frozenset({("pipeline", pipeline)})), 0.0)


def start(pipeline: Path, kafka: KafkaSettings, registry_url: str, *args: str) -> Sentinel:
    return Sentinel(pipeline, kafka, registry_url, "--metrics-port", "0", "--metrics-host", "127.0.0.1", *args)


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
    offsets = Offsets(kafka, f"sentinel-{unique_name}", source)
    rng = random.Random(7)
    ends = []
    try:
        # Each process is killed at another moment: after it committed its first transaction
        # or a few, and a random part of a transaction later.
        for progress in (1, 10_000, 1, 20_000, 5_000):
            # The same instance id: a restart fences its predecessor's open transaction at once.
            sentinel = start(pipeline, kafka, registry_url, "--instance-id", "slot-0")
            try:
                wait_until(lambda: records_in(sentinel, unique_name) >= progress, timeout=60, interval=0.05)
                time.sleep(rng.uniform(0.0, 0.8))
                assert sentinel.process.poll() is None, f"the sentinel is still routing when killed:\n{sentinel.output}"
            finally:
                sentinel.kill()
            assert sentinel.process.returncode == -signal.SIGKILL
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


def test_a_second_process_joining_and_leaving_midrun_rebalances_without_loss_or_duplicates(
    kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path
) -> None:
    n = 120_000
    source = f"{unique_name}-in"
    create_topic(kafka, source, partitions=PARTITIONS)
    pipeline = pipeline_file(tmp_path, unique_name, source, commit={"every_records": 5000, "every_ms": 500})
    produce_orders(kafka, registry_url, source, range(10_000))
    offsets = Offsets(kafka, f"sentinel-{unique_name}", source)
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

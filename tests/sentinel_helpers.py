"""Inputs for end-to-end sentinel tests: Avro orders written with Confluent's own
serializer, a pipeline file built from the shipped rules/orders.yml, and the
`governance sentinel run` command in a child process."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import yaml
from confluent_kafka import Consumer, Message, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka_helpers import consume_all

from governance.kafka import KafkaSettings

ROOT = Path(__file__).resolve().parent.parent
ORDER_SCHEMA = (ROOT / "schemas" / "orders-value.avsc").read_text()
GOVERNANCE = [sys.executable, "-c", "from governance.cli import main; main()"]
BASE_TS = int(time.time() * 1000) - 1_000_000

ZIP_RULE = "expect_column_values_to_match_regex(shippingAddress.zip)"
TOTAL_RULE = "expect_column_values_to_be_between(totalCents)"
COUNTRY_RULE = "expect_column_values_to_match_regex(shippingAddress.country)"
COUPON_RULE = "expect_column_value_lengths_to_be_between(couponCode)"


def order(i: int) -> dict:
    """Order i breaks the zip rule every 50th, the total rule every 77th, the country
    rule every 91st (all critical) and the coupon length rule every 13th (a warning)."""
    return {
        "orderId": f"o-{i}",
        "customerId": f"c-{i % 1000}",
        "orderedAt": BASE_TS + i,
        "items": [{"sku": f"sku-{i % 7}", "quantity": 1 + i % 3, "unitPriceCents": 500}],
        "totalCents": -5 if i % 77 == 0 else 1000 + i % 500,
        "shippingAddress": {
            "street": "Main St 1", "city": "Berlin",
            "zip": "!!" if i % 50 == 0 else "10115",
            "country": "de" if i % 91 == 0 else "DE",
        },
        "couponCode": "AB" if i % 13 == 0 else (None if i % 2 else "SAVE10"),
    }


def failed_rules_of(i: int) -> list[str]:
    """The critical rules order i fails, in pipeline order."""
    return [rule for rule, bad in ((TOTAL_RULE, i % 77 == 0), (ZIP_RULE, i % 50 == 0), (COUNTRY_RULE, i % 91 == 0)) if bad]


def is_valid(i: int) -> bool:
    return not failed_rules_of(i)


def pipeline_file(directory: Path, name: str, source: str, **overrides: object) -> Path:
    """rules/orders.yml with this test's topics (and any top-level overrides)."""
    doc = yaml.safe_load((ROOT / "rules" / "orders.yml").read_text())
    doc.update(name=name, source=source, subject=f"{source}-value")
    doc.update(overrides)
    path = directory / f"{name}.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def produce_orders(kafka: KafkaSettings, registry_url: str, topic: str, indices: Iterable[int],
                   poison: dict[int, bytes | None] | None = None) -> None:
    """Orders as Confluent wire-format Avro (key `k<i>`, header seq=i); indices in
    `poison` get that raw value instead."""
    serializer = AvroSerializer(SchemaRegistryClient({"url": registry_url}), ORDER_SCHEMA)
    context = SerializationContext(topic, MessageField.VALUE)
    bad = poison or {}
    produce_indexed(kafka, topic, indices, lambda i: bad[i] if i in bad else serializer(order(i), context))


def produce_indexed(kafka: KafkaSettings, topic: str, indices: Iterable[int],
                    value_of: Callable[[int], bytes | None]) -> None:
    """Record i with key `k<i>`, header seq=i and timestamp BASE_TS + i, its value `value_of(i)`."""
    producer = Producer(kafka.client_config(enable_idempotence=True, linger_ms=20, acks="all"))
    for i in indices:
        value = value_of(i)
        while True:
            try:
                producer.produce(topic, value, f"k{i}".encode(), headers=[("seq", str(i).encode())], timestamp=BASE_TS + i)
                break
            except BufferError:
                producer.poll(0.05)
    assert producer.flush(60) == 0


class Sentinel:
    """`governance sentinel run` in a child process; a thread collects its stderr lines."""

    def __init__(self, pipeline: Path, kafka: KafkaSettings, registry_url: str | None, *args: str) -> None:
        command = [*GOVERNANCE, "sentinel", "run", str(pipeline), "-b", kafka.bootstrap_servers, *args]
        if registry_url:
            command += ["--registry", registry_url]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            self._new.put(line)

    def wait_for(self, pattern: str, timeout: float = 90) -> re.Match[str]:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        for line in list(self.lines):
            if m := regex.search(line):
                return m
        while time.monotonic() < deadline:
            try:
                line = self._new.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None and self._new.empty():
                    break
                continue
            if m := regex.search(line):
                return m
        raise AssertionError(f"no line matching {pattern!r}; output:\n" + "\n".join(self.lines))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def metrics_url(self) -> str:
        return self.wait_for(r"metrics\s+(http://\S+)").group(1)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(30)


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """/metrics parsed with prometheus_client's own parser: (sample name, labels) -> value."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def wait_until(condition, timeout: float = 120, interval: float = 0.5) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def kpi_records(kafka: KafkaSettings, topic: str, group: str, decode: Callable[[bytes], dict], settle: float = 2.0
                ) -> list[dict]:
    """The KPI topic as the README says to read it: the last record under each key (what
    compaction keeps), in the order those last records were written."""
    last: dict[bytes, tuple[int, dict]] = {}
    for position, message in enumerate(consume_all(kafka, topic, 1, group=group, settle=settle)):
        last[message.key()] = (position, decode(message.value()))
    return [record for _, record in sorted(last.values(), key=lambda pair: pair[0])]


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

    def __init__(self, kafka: KafkaSettings, group: str, topic: str, partitions: int) -> None:
        # Never subscribes, so it only asks the broker (OffsetFetch, ListOffsets) and never joins.
        self._consumer = Consumer(kafka.client_config(group_id=group, enable_auto_commit=False,
                                                      isolation_level="read_committed"))
        self._partitions = [TopicPartition(topic, p) for p in range(partitions)]

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

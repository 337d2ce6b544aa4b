"""`governance sentinel run` on a Protobuf topic end to end: the real CLI in child processes, a real broker,
our registry, records written by confluent-kafka's own ProtobufSerializer, the rules of rules/orders.yml
naming the fields as for Avro (`totalCents`, `shippingAddress.zip`). Valid and invalid orders are routed
by the rules, every kind of poison reaches the DLQ at stage deserialize with its reason, and every record
lands exactly once through SIGKILLs; `sentinel check` knows the Protobuf field names."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import Message, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka_helpers import consume_all, create_topic
from protobuf_orders import REASONS, OrderFiles, order_files, order_message, other_value, poison, produce_orders
from registry_helpers import http
from sentinel_helpers import (
    GOVERNANCE,
    Offsets,
    Sentinel,
    assert_routed_exactly_once,
    failed_rules_of,
    is_valid,
    kpi_records,
    pipeline_file,
    records_in,
    start,
    wait_until,
)

from governance.kafka import KafkaSettings

PARTITIONS = 3


@pytest.fixture
def files(unique_name: str) -> OrderFiles:
    return order_files("t" + unique_name.rsplit("-", 1)[-1])


def protobuf_pipeline(tmp_path: Path, name: str, source: str, **overrides: object) -> Path:
    return pipeline_file(tmp_path, name, source, value_format="protobuf", **overrides)


def test_orders_are_routed_by_rules_on_top_level_and_nested_fields(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path, files: OrderFiles) -> None:
    n = 400
    source = f"{unique_name}-in"
    create_topic(kafka, source, partitions=2)
    produce_orders(kafka, registry_url, source, files, range(n))
    assert sum(not is_valid(i) for i in range(n)) >= 10, "some orders break the total, zip and country rules"

    sentinel = Sentinel(protobuf_pipeline(tmp_path, unique_name, source), kafka, registry_url, "--idle-exit", "3")
    assert sentinel.process.wait(180) == 0, sentinel.output

    assert f"reads      {source} as protobuf, compliant if registered under {source}-value" in sentinel.output
    assert_routed_exactly_once(kafka, unique_name, source, n)
    valid_subject = http("GET", f"{registry_url}/subjects/{source}-valid-value/versions/latest")[1]
    source_subject = http("GET", f"{registry_url}/subjects/{source}-value/versions/latest")[1]
    assert (valid_subject["id"], valid_subject["schemaType"], valid_subject["references"]) == (
        source_subject["id"], "PROTOBUF", source_subject["references"])


def test_every_kind_of_protobuf_poison_reaches_the_dlq_at_stage_deserialize_with_its_reason(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path, files: OrderFiles) -> None:
    source = f"{unique_name}-in"
    create_topic(kafka, source, partitions=1)
    produce_orders(kafka, registry_url, source, files, [1])
    good = consume_all(kafka, source, 1, group=f"{unique_name}-g")[0].value()
    values = poison(good, other_value(registry_url, files.package, f"{unique_name}-other"))
    producer = Producer(kafka.client_config())
    for kind, value in values.items():
        producer.produce(source, value, kind.encode())
    producer.produce(source, good, b"good-after-poison")
    assert producer.flush(30) == 0

    sentinel = Sentinel(protobuf_pipeline(tmp_path, unique_name, source), kafka, registry_url, "--idle-exit", "3")
    assert sentinel.process.wait(180) == 0, sentinel.output
    assert "Traceback" not in sentinel.output

    valid = consume_all(kafka, f"{source}-valid", 2, group=f"{unique_name}-v")
    assert sorted(m.key() for m in valid) == [b"good-after-poison", b"k1"]
    dlq = consume_all(kafka, f"{source}-dlq", len(values), group=f"{unique_name}-d")
    assert Counter(m.key().decode() for m in dlq) == Counter(list(values)), "each poison record once"
    for m in dlq:
        kind, headers = m.key().decode(), dict(m.headers())
        assert m.value() == values[kind], kind
        assert headers["__connect.errors.stage"] == b"deserialize", kind
        reason = headers["__connect.errors.exception.message"].decode()
        assert REASONS[kind].format(subject=f"{source}-value", package=files.package) in reason, (kind, reason)


def test_a_misspelt_protobuf_field_stops_check_with_the_line_and_the_nearest_field(
        registry_url: str, unique_name: str, tmp_path: Path, files: OrderFiles, kafka: KafkaSettings) -> None:
    source = f"{unique_name}-in"
    create_topic(kafka, source)
    produce_orders(kafka, registry_url, source, files, [1])
    right = protobuf_pipeline(tmp_path, unique_name, source)
    done = subprocess.run([*GOVERNANCE, "sentinel", "check", str(right), "--registry", registry_url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"columns every rule column is a field of {source}-value (version 1)" in done.stdout

    typo = tmp_path / "typo.yml"
    typo.write_text(right.read_text().replace("column: shippingAddress.zip", "column: shippingAddress.zpi"))
    line = 1 + typo.read_text().splitlines().index("  column: shippingAddress.zpi")
    done = subprocess.run([*GOVERNANCE, "sentinel", "check", str(typo), "--registry", registry_url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{typo}, line {line}: column `shippingAddress.zpi`" in done.stderr
    assert "did you mean `shippingAddress.zip`?" in done.stderr and "Traceback" not in done.stderr


# ----------------------------------------------------------------- crashes

POISON_EVERY = 97


def test_sigkills_on_a_protobuf_topic_with_poison_of_every_kind_lose_and_duplicate_nothing(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path, files: OrderFiles) -> None:
    n = 15_000
    source = f"{unique_name}-in"
    create_topic(kafka, source, partitions=PARTITIONS)
    produce_orders(kafka, registry_url, source, files, [0])
    good = consume_all(kafka, source, 1, group=f"{unique_name}-g")[0].value()
    kinds = poison(good, other_value(registry_url, files.package, f"{unique_name}-other"))
    names = list(kinds)
    poisoned_kind = {i: names[(i // POISON_EVERY) % len(names)] for i in range(1, n) if i % POISON_EVERY == 0}
    poisoned = {i: kinds[kind] for i, kind in poisoned_kind.items()}
    assert set(poisoned_kind.values()) == set(names), "every kind of poison, several times"

    pipeline = protobuf_pipeline(tmp_path, unique_name, source, commit={"every_records": 1000, "every_ms": 300})
    produce_orders(kafka, registry_url, source, files, range(1, 4_000), poisoned)
    offsets = Offsets(kafka, f"sentinel-{unique_name}", source, PARTITIONS)
    rng = random.Random(25)
    try:
        # Each process gets orders of its own while it runs, and is killed after its first
        # commit, a random part of a transaction later.
        for first in range(4_000, 10_000, 2_000):
            sentinel = start(pipeline, kafka, registry_url, "--instance-id", "slot-0", "--workers", "0")
            try:
                produce_orders(kafka, registry_url, source, files, range(first, first + 2_000), poisoned)
                wait_until(lambda: records_in(sentinel, unique_name) >= 1, timeout=120, interval=0.05)
                time.sleep(rng.uniform(0.0, 0.5))
                assert sentinel.process.poll() is None, f"the sentinel is still routing when killed:\n{sentinel.output}"
            finally:
                sentinel.kill()
            assert sentinel.process.returncode == -signal.SIGKILL
        last = start(pipeline, kafka, registry_url, "--instance-id", "slot-0")
        try:
            produce_orders(kafka, registry_url, source, files, range(10_000, n), poisoned)
            wait_until(lambda: offsets.committed() == offsets.end() == n, timeout=180, interval=0.2)
        finally:
            code = last.stop(signal.SIGTERM)
        assert code == 0, last.output
    finally:
        offsets.close()
    assert_routed_with_poison_exactly_once(kafka, unique_name, source, n, poisoned, poisoned_kind, files)
    valid = sum(1 for i in range(n) if i not in poisoned and is_valid(i))
    kpis = kpi_records(kafka, f"{unique_name}-kpi", f"{unique_name}-check-kpi", avro_reader(registry_url, unique_name))
    assert sum(k["window"]["records_in"] for k in kpis) == n
    assert (sum(k["window"]["valid"] for k in kpis), sum(k["window"]["invalid"] for k in kpis)) == (valid, n - valid)
    assert sum(k["window"]["schema_failures"] for k in kpis) == len(poisoned)


def avro_reader(registry_url: str, name: str) -> Callable[[bytes], dict]:
    """The KPI records' reader (they are Avro, whatever the source's format)."""
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    context = SerializationContext(f"{name}-kpi", MessageField.VALUE)
    return lambda value: deserializer(value, context)


def assert_routed_with_poison_exactly_once(kafka: KafkaSettings, name: str, source: str, n: int,
                                           poisoned: dict[int, bytes | None], poisoned_kind: dict[int, str],
                                           files: OrderFiles) -> None:
    """Read back (read_committed): the valid topic holds the valid orders byte for byte, the DLQ the
    invalid ones with their rules and the poison with its reason; nothing twice, nothing missing."""
    valid_keys = {f"k{i}".encode() for i in range(n) if i not in poisoned and is_valid(i)}
    inputs = {m.key(): m for m in consume_all(kafka, source, n, group=f"{name}-check-in")}
    assert len(inputs) == n
    valid_out = consume_all(kafka, f"{source}-valid", len(valid_keys), group=f"{name}-check-valid")
    dlq_out = consume_all(kafka, f"{source}-dlq", n - len(valid_keys), group=f"{name}-check-dlq")
    assert _duplicates(valid_out) == {} and _duplicates(dlq_out) == {}
    assert {m.key() for m in valid_out} == valid_keys
    assert {m.key() for m in dlq_out} == set(inputs) - valid_keys
    for m in valid_out:
        original = inputs[m.key()]
        assert (m.value(), m.headers(), m.timestamp()) == (original.value(), original.headers(), original.timestamp())
    for m in dlq_out:
        i, headers = int(m.key()[1:]), dict(m.headers())
        assert m.value() == inputs[m.key()].value()
        if i in poisoned:
            assert headers["__connect.errors.stage"] == b"deserialize"
            reason = REASONS[poisoned_kind[i]].format(subject=f"{source}-value", package=files.package)
            assert reason in headers["__connect.errors.exception.message"].decode()
        else:
            assert headers["__connect.errors.stage"] == b"validate"
            assert [r["rule"] for r in json.loads(headers["__sentinel.failed.rules"])] == failed_rules_of(i)


def _duplicates(messages: list[Message]) -> dict[bytes, int]:
    return {k: c for k, c in Counter(m.key() for m in messages).items() if c > 1}

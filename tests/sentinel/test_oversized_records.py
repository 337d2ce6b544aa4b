"""One record an output topic refuses never stalls a pipeline: the real CLI, the real
broker, topics with different `max.message.bytes`. Every record comes out exactly
once; the refused one in the DLQ with the reason, or as a small record without its
value when the DLQ refuses it too; the sentinel keeps running."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from confluent_kafka import Message, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka_helpers import consume_all, create_topic
from sentinel_helpers import Sentinel, wait_until

from governance.kafka import KafkaSettings
from governance.kafka.limits import batch_size

PAYMENT_SCHEMA = json.dumps({
    "type": "record", "name": "Payment", "namespace": "test.oversized",
    "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}],
})
BIG_TOPIC = {"max.message.bytes": str(4 * 1024 * 1024)}
AMOUNT_RULE = "expect_column_values_to_be_between(amount)"


@dataclass
class Outcome:
    valid: list[Message]
    dlq: list[Message]
    sentinel: Sentinel
    exit_code: int


def headers_of(message: Message) -> dict[str, str]:
    return {k: (v or b"").decode() for k, v in message.headers() or []}


def run_payments(kafka: KafkaSettings, registry_url: str, tmp_path: Path, name: str, payments: list[dict],
                 valid_config: dict[str, str] | None = None, dlq_config: dict[str, str] | None = None,
                 extra_headers: dict[int, list[tuple[str, bytes]]] | None = None) -> Outcome:
    """`payments` (keys p0, p1, ...) through a sentinel with one rule, amount >= 0;
    `extra_headers` adds headers to the payments of those indices."""
    source = f"{name}-raw"
    create_topic(kafka, source, config=BIG_TOPIC)
    create_topic(kafka, f"{source}-valid", config=valid_config)
    create_topic(kafka, f"{source}-dlq", config=dlq_config)
    serializer = AvroSerializer(SchemaRegistryClient({"url": registry_url}), PAYMENT_SCHEMA)
    context = SerializationContext(source, MessageField.VALUE)
    producer = Producer(kafka.client_config(message_max_bytes=8 * 1024 * 1024))
    for i, payment in enumerate(payments):
        headers = [("seq", str(i).encode()), *(extra_headers or {}).get(i, [])]
        producer.produce(source, serializer(payment, context), f"p{i}".encode(), headers=headers)
    assert producer.flush(30) == 0
    pipeline = tmp_path / f"{name}.yml"
    pipeline.write_text(yaml.safe_dump({
        "name": name, "source": source, "subject": f"{source}-value",
        "commit": {"every_records": 1000, "every_ms": 200},
        "expectations": [{"expectation": "expect_column_values_to_be_between", "column": "amount", "min_value": 0}],
    }))
    sentinel = Sentinel(pipeline, kafka, registry_url)
    expected_valid = sum(1 for p in payments if p["amount"] >= 0)
    valid: list[Message] = []
    dlq: list[Message] = []

    def routed() -> bool:
        valid[:] = consume_all(kafka, f"{source}-valid", expected_valid, group=f"{name}-v-{len(valid)}", timeout=5)
        dlq[:] = consume_all(kafka, f"{source}-dlq", 1, group=f"{name}-d-{len(dlq)}", timeout=5)
        return len(valid) + len(dlq) >= len(payments)

    wait_until(routed, timeout=90, interval=1)
    assert sentinel.process.poll() is None, "the sentinel stopped:\n" + sentinel.output
    exit_code = sentinel.stop(signal.SIGTERM)
    return Outcome(valid, dlq, sentinel, exit_code)


@pytest.fixture
def name(unique_name: str) -> Iterator[str]:
    yield unique_name[:60]


def five_payments(big_id: str) -> list[dict]:
    return [{"id": big_id if i == 2 else f"pay-{i}", "amount": 100 + i} for i in range(5)]


def test_a_record_too_large_for_valid_and_dlq_goes_to_the_dlq_without_its_value(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, name: str) -> None:
    """The issue's reproduction: a 1.5 MB record, valid and DLQ at the broker's default size."""
    out = run_payments(kafka, registry_url, tmp_path, name, five_payments("x" * 1_500_000))
    assert out.exit_code == 0, out.sentinel.output
    assert sorted(m.key() for m in out.valid) == [b"p0", b"p1", b"p3", b"p4"]
    (stub,) = out.dlq
    h = headers_of(stub)
    assert stub.key() == b"p2" and stub.value() is None
    assert h["seq"] == "2"
    assert h["__connect.errors.topic"] == f"{name}-raw" and h["__connect.errors.offset"] == "2"
    assert h["__connect.errors.partition"] == "0"
    assert h["__connect.errors.stage"] == "produce"
    assert h["__connect.errors.exception.class.name"].endswith("RecordTooLargeException")
    assert f"max.message.bytes=1,048,588 of topic {name}-raw-valid" in h["__connect.errors.exception.message"]
    assert h["__sentinel.omitted"] == "value"
    assert f"{name}-raw-dlq" in h["__sentinel.omitted.reason"] and "max.message.bytes" in h["__sentinel.omitted.reason"]
    assert "goes to" in out.sentinel.output and "refused" in out.sentinel.output


def test_a_record_too_large_for_the_valid_topic_goes_whole_to_a_dlq_that_takes_it(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, name: str) -> None:
    big = "y" * 1_500_000
    out = run_payments(kafka, registry_url, tmp_path, name, five_payments(big), dlq_config=BIG_TOPIC)
    assert out.exit_code == 0, out.sentinel.output
    assert sorted(m.key() for m in out.valid) == [b"p0", b"p1", b"p3", b"p4"]
    (dead,) = out.dlq
    h = headers_of(dead)
    assert dead.key() == b"p2" and big.encode() in dead.value()
    assert h["__connect.errors.stage"] == "produce" and "__sentinel.omitted" not in h
    assert "max.message.bytes" in h["__connect.errors.exception.message"]
    assert json.loads(h["__sentinel.failed.rules"]) == []


def test_an_invalid_record_that_fits_the_valid_topic_but_not_the_dlq_with_its_headers(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, name: str) -> None:
    """Just under the DLQ's limit on its own; the dead-letter headers push it over."""
    limit = 1_048_588
    room = limit - batch_size(b"p2", b"", [("seq", b"2")]) - 64
    payments = [{"id": f"pay-{i}", "amount": 5} for i in range(5)]
    payments[2] = {"id": "z" * (room - 30), "amount": -1}  # Avro framing takes a few bytes of the room
    out = run_payments(kafka, registry_url, tmp_path, name, payments)
    assert out.exit_code == 0, out.sentinel.output
    assert sorted(m.key() for m in out.valid) == [b"p0", b"p1", b"p3", b"p4"]
    (stub,) = out.dlq
    h = headers_of(stub)
    assert stub.value() is None and stub.key() == b"p2"
    assert h["__connect.errors.stage"] == "validate"
    rules = json.loads(h["__sentinel.failed.rules"])
    assert [r["rule"] for r in rules] == [AMOUNT_RULE] and "got -1" in rules[0]["message"]
    assert h["__sentinel.omitted"] == "value" and "max.message.bytes=1,048,588" in h["__sentinel.omitted.reason"]



def test_a_small_record_whose_headers_are_too_large_for_valid_and_dlq_goes_to_the_dlq_as_a_stub(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, name: str) -> None:
    """A few bytes of value under 1.1 MB of headers: the producer's own size check finds it
    (valid and DLQ share one limit, so the router does not weigh headers itself)."""
    heavy = [(f"h{j}", b"z" * 1_000) for j in range(1_100)]
    out = run_payments(kafka, registry_url, tmp_path, name, five_payments("pay-2"), extra_headers={2: heavy})
    assert out.exit_code == 0, out.sentinel.output
    assert sorted(m.key() for m in out.valid) == [b"p0", b"p1", b"p3", b"p4"]
    (stub,) = out.dlq
    h = headers_of(stub)
    assert stub.value() is None and stub.key() is None and "h0" not in h and "seq" not in h
    assert h["__connect.errors.offset"] == "2" and h["__connect.errors.stage"] == "produce"
    assert f"max.message.bytes=1,048,588 of topic {name}-raw-valid" in h["__connect.errors.exception.message"]
    assert h["__sentinel.omitted"] == "value,key,headers"

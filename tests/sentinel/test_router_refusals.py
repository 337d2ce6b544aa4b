"""Records an output topic refuses (too large, no key for a compacted topic, a
timestamp out of bounds) go down the router's ladder (valid topic, DLQ with the
reason, DLQ record with the refused part changed) while their neighbours flow,
whether the refusal was predicted from the topic configs or met at the broker."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from confluent_kafka import Message, Producer
from kafka_helpers import consume_all, create_topic
from router_helpers import BASE_TS, duplicates, judge

from governance.kafka import KafkaSettings
from governance.kafka.limits import OutputLimits
from governance.sentinel.router import Router, RouterConfig

Input = tuple[bytes | None, bytes, int]
"""key, value, timestamp"""


def route(kafka: KafkaSettings, name: str, inputs: list[Input], *, source_config: dict[str, str] | None = None,
          valid_config: dict[str, str] | None = None, dlq_config: dict[str, str] | None = None,
          limits: Callable[[], OutputLimits] | None = None) -> tuple[list[Message], list[Message], Router]:
    source, valid, dlq = f"{name}-in", f"{name}-valid", f"{name}-dlq"
    create_topic(kafka, source, partitions=2, config=source_config)
    create_topic(kafka, valid, partitions=2, config=valid_config)
    create_topic(kafka, dlq, config=dlq_config)
    producer = Producer(kafka.client_config(message_max_bytes=4_000_000, linger_ms=5))
    for key, value, ts in inputs:
        producer.produce(source, value, key, timestamp=ts, headers=[("seq", value[:12])])
    assert producer.flush(30) == 0
    config = RouterConfig(sources=(source,), valid_topic=valid, dlq_topic=dlq, group_id=name, pipeline_name="p",
                          transactional_id_prefix=name, commit_every_records=500, commit_every_ms=300)
    router = Router(kafka, config, judge, limits=limits)
    stop = threading.Event()
    thread = threading.Thread(target=router.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 120
    while router.stats().committed.records_in < len(inputs) and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.1)
    stop.set()
    thread.join(60)
    assert router.stats().committed.records_in == len(inputs)
    expected_invalid = sum(1 for _, v, _ in inputs if v.startswith((b"bad", b"poison")))
    valid_out = consume_all(kafka, valid, 1, group=f"{name}-v")
    dlq_out = consume_all(kafka, dlq, expected_invalid, group=f"{name}-d")
    assert duplicates(m.value() or m.key() for m in valid_out + dlq_out) == {}
    assert len(valid_out) + len(dlq_out) == len(inputs)
    return valid_out, dlq_out, router


def headers_of(message: Message) -> dict[str, bytes]:
    return dict(message.headers() or [])


def small(i: int) -> Input:
    return f"k{i}".encode(), f"ok-{i}".encode(), BASE_TS + i


def test_unpredicted_size_refusals_are_found_one_by_one_and_sent_to_the_dlq(kafka: KafkaSettings, unique_name: str) -> None:
    """Limits the router cannot see: the broker's refusal spoils the transaction, and
    careful routing finds the refused records among the 1,500 that are fine."""
    big = {300, 301, 900}
    inputs = [(f"k{i}".encode(), f"ok-{i}-".encode() + b"x" * 30_000, BASE_TS + i) if i in big else small(i)
              for i in range(1500)]
    valid, dlq, router = route(kafka, unique_name, inputs, valid_config={"max.message.bytes": "20000"},
                               limits=lambda: OutputLimits(()))
    assert {int(m.key()[1:]) for m in valid} == set(range(1500)) - big
    assert {int(m.key()[1:]) for m in dlq} == big
    for message in dlq:
        h = headers_of(message)
        assert message.value().startswith(b"ok-") and len(message.value()) > 30_000
        assert h["__connect.errors.stage"] == b"produce"
        assert b"MSG_SIZE_TOO_LARGE" in h["__connect.errors.exception.message"]
    assert router.stats().committed.invalid_by_stage == {"produce": 3}


def test_a_keyless_record_for_a_compacted_valid_topic_spoils_its_batch_but_only_it_goes_to_the_dlq(
        kafka: KafkaSettings, unique_name: str) -> None:
    """The broker refuses the keyless record's whole batch (every neighbour sees
    INVALID_RECORD); careful routing still blames only the keyless one."""
    inputs = [small(i) for i in range(400)]
    inputs[123] = (None, b"ok-keyless", BASE_TS)
    valid, dlq, _ = route(kafka, unique_name, inputs, valid_config={"cleanup.policy": "compact"},
                          limits=lambda: OutputLimits(()))
    assert len(valid) == 399
    (dead,) = dlq
    assert dead.value() == b"ok-keyless" and b"INVALID_RECORD" in headers_of(dead)["__connect.errors.exception.message"]


def test_predicted_refusals_name_the_topic_setting(kafka: KafkaSettings, unique_name: str) -> None:
    """Read from the topics' configs: a keyless record for a compacted topic, and a
    timestamp two hours ahead (Kafka 4 refuses more than one hour by default) that the
    DLQ refuses too, so it lands there stamped now with the original in a header."""
    future = int(time.time() * 1000) + 2 * 3600 * 1000
    inputs = [small(i) for i in range(300)]
    inputs[10] = (None, b"ok-keyless", BASE_TS)
    inputs[20] = (b"k20", b"ok-future", future)
    valid, dlq, router = route(kafka, unique_name, inputs,
                               source_config={"message.timestamp.after.max.ms": str(10 * 3600 * 1000)},
                               valid_config={"cleanup.policy": "compact"})
    assert len(valid) == 298
    by_value = {m.value(): m for m in dlq}
    keyless = headers_of(by_value[b"ok-keyless"])
    assert b"is compacted" in keyless["__connect.errors.exception.message"]
    assert keyless["__connect.errors.exception.class.name"].endswith(b"InvalidRecordException")
    late = by_value[b"ok-future"]
    h = headers_of(late)
    assert b"message.timestamp.after.max.ms=3,600,000" in h["__connect.errors.exception.message"]
    assert h["__sentinel.original.timestamp"] == str(future).encode()
    assert late.timestamp()[1] < future - 3600 * 1000
    assert router.stats().aborts == 0, "predicted refusals never spoil a transaction"

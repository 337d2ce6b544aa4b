"""The sentinel part of `governance demo`: write orders (a few broken on purpose)
to the `orders` topic and run the shipped rules/orders.yml over them until idle."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from governance.errors import GovernanceError
from governance.kafka.logs import client_logger
from governance.kafka.settings import KafkaSettings


@dataclass
class SentinelWalkthroughResult:
    produced: int = 0
    expected_invalid: int = 0
    routed: int = 0
    valid: int = 0
    invalid: int = 0
    dlq_sample: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.routed == self.produced and self.invalid == self.expected_invalid


def _order(i: int) -> dict:
    return {
        "orderId": f"demo-{i}",
        "customerId": f"customer-{i % 40}",
        "orderedAt": 1_764_000_000_000 + i,
        "items": [{"sku": f"sku-{i % 9}", "quantity": 1 + i % 3, "unitPriceCents": 1299}],
        "totalCents": -100 if i % 50 == 7 else 1299 * (1 + i % 3),
        "shippingAddress": {"street": "Hauptstr. 1", "city": "Berlin",
                            "zip": "??" if i % 20 == 3 else "10115", "country": "DE"},
        "couponCode": "X" if i % 25 == 0 else None,
    }


def run_sentinel_walkthrough(settings: KafkaSettings, registry_url: str, rules_file: Path, out: TextIO,
                             records: int = 2000) -> SentinelWalkthroughResult:
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    from governance.sentinel.pipeline import load_pipeline
    from governance.sentinel.service import RunOptions, run
    from governance.sentinel.topics import prepare

    pipeline = load_pipeline(rules_file)
    source = pipeline.sources[0]
    admin = AdminClient(settings.client_config(logger=client_logger()))
    if source not in admin.list_topics(timeout=30).topics:
        admin.create_topics([NewTopic(source, 3, replication_factor=-1)])[source].result(30)
    prepare(settings, pipeline)
    dlq_start = _ends(settings, pipeline.dlq_topic)

    serializer = AvroSerializer(SchemaRegistryClient({"url": registry_url}), conf={"use.latest.version": True,
                                                                                   "auto.register.schemas": False})
    context = SerializationContext(source, MessageField.VALUE)
    producer = Producer(settings.client_config(enable_idempotence=True, logger=client_logger()))
    result = SentinelWalkthroughResult()
    for i in range(records):
        order = _order(i)
        producer.produce(source, serializer(order, context), order["orderId"].encode())
        result.expected_invalid += order["totalCents"] < 0 or order["shippingAddress"]["zip"] == "??"
        producer.poll(0)
    for poison in (b"not avro at all", b"\x00\x00\x00\x7f\xffunknown schema id", None):
        producer.produce(source, poison, b"poison")
        result.expected_invalid += 1
    producer.flush(60)
    result.produced = records + 3

    summary = run(pipeline, settings, RunOptions(registry_url, idle_exit_s=2.0, live_status=False), out=out)
    result.routed, result.valid, result.invalid = summary.records_in, summary.valid, summary.invalid

    consumer = Consumer(settings.client_config(group_id="governance-demo-dlq-reader", isolation_level="read_committed",
                                               enable_auto_commit=False, logger=client_logger()))
    consumer.assign([TopicPartition(pipeline.dlq_topic, p, o) for p, o in dlq_start.items()])
    message = consumer.poll(10)
    if message is not None and message.error() is None:
        result.dlq_sample = [(k, v.decode("utf-8", "replace")) for k, v in message.headers() or []]
    consumer.close()
    return result


def _ends(settings: KafkaSettings, topic: str) -> dict[int, int]:
    from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

    consumer = Consumer(settings.client_config(group_id="governance-demo-dlq-reader", logger=client_logger()))
    deadline = time.monotonic() + 30
    try:
        while True:  # a topic created a moment ago may not have a leader yet
            try:
                partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
                return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
            except KafkaException as e:
                if not e.args[0].retriable() and e.args[0].code() != KafkaError.NOT_LEADER_FOR_PARTITION \
                        or time.monotonic() > deadline:
                    raise GovernanceError(f"cannot read the end offsets of {topic}: {e.args[0].str()}") from None
                time.sleep(0.2)
    finally:
        consumer.close()

"""Small Kafka helpers for tests: create a topic, drain a topic."""

from __future__ import annotations

import time
from collections.abc import Mapping

from confluent_kafka import Consumer, Message
from confluent_kafka.admin import AdminClient, NewTopic

from governance.kafka import KafkaSettings


def create_topic(
    settings: KafkaSettings,
    name: str,
    partitions: int = 1,
    replication: int = 1,
    config: Mapping[str, str] | None = None,
) -> None:
    admin = AdminClient(settings.client_config())
    topic = NewTopic(name, partitions, replication, config=dict(config or {}))
    admin.create_topics([topic])[name].result(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        metadata = admin.list_topics(name, timeout=5).topics[name]
        if metadata.error is None and len(metadata.partitions) == partitions:
            if all(p.leader >= 0 for p in metadata.partitions.values()):
                return
        time.sleep(0.1)
    raise TimeoutError(f"topic {name} has no leaders after 30s")


def consume_all(
    settings: KafkaSettings,
    topic: str,
    expected: int,
    *,
    group: str,
    isolation: str = "read_committed",
    timeout: float = 60.0,
    settle: float = 1.0,
) -> list[Message]:
    """Read `topic` from the start with a consumer group until `expected` records
    arrived and nothing more came for `settle` seconds (or `timeout` passed)."""
    consumer = Consumer(
        settings.client_config(
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            isolation_level=isolation,
        )
    )
    consumer.subscribe([topic])
    messages: list[Message] = []
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    try:
        while time.monotonic() < deadline:
            batch = consumer.consume(1000, 0.2)
            for message in batch:
                if message.error() is None:
                    messages.append(message)
            if batch:
                last = time.monotonic()
            elif len(messages) >= expected and time.monotonic() - last > settle:
                break
    finally:
        consumer.close()
    return messages


def wait_in_sync(settings: KafkaSettings, timeout: float = 90.0) -> None:
    """Until every partition (internal ones too) has all its replicas in sync: a node that
    has just come back is running before it has caught up, and losing another one then
    would leave some partitions below min.insync.replicas."""
    admin = AdminClient(settings.client_config())
    deadline = time.monotonic() + timeout
    while True:
        topics = admin.list_topics(timeout=10).topics
        lagging = [f"{name}[{p}]" for name, topic in topics.items() for p, partition in topic.partitions.items()
                   if len(partition.isrs) < len(partition.replicas)]
        if not lagging:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(lagging)} partition(s) not in sync after {timeout:.0f} s: {lagging[:10]}")
        time.sleep(0.5)

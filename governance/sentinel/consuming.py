"""The router's consumer: its config, going back to the committed offsets, its lag."""

from __future__ import annotations

import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

from governance.kafka import KafkaSettings
from governance.kafka.logs import client_logger


def consumer_config(settings: KafkaSettings, group_id: str, session_timeout_ms: int,
                    instance_id: str | None) -> dict[str, object]:
    """Eager rebalancing (`roundrobin`) and read_committed; `instance_id`: static group membership."""
    config = settings.client_config(
        group_id=group_id,
        isolation_level="read_committed",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        partition_assignment_strategy="roundrobin",
        session_timeout_ms=session_timeout_ms,
        logger=client_logger(),
    )
    if instance_id is not None:
        config["group.instance.id"] = instance_id
    return config


def rewind_to_committed(consumer: Consumer, timeout_s: float) -> None:
    """Seek every assigned partition back to its committed offset (its start when none is)."""
    assignment = consumer.assignment()
    if not assignment:
        return
    committed = consumer.committed(assignment, timeout=timeout_s)
    for tp in committed:
        offset = tp.offset if tp.offset >= 0 else OFFSET_BEGINNING
        _seek(consumer, TopicPartition(tp.topic, tp.partition, offset), timeout_s)


def _seek(consumer: Consumer, tp: TopicPartition, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            consumer.seek(tp)
            return
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def lag(consumer: Consumer) -> int:
    """Records between the consumer's position and the cached high watermarks of its partitions."""
    total = 0
    for tp in consumer.position(consumer.assignment()):
        _, high = consumer.get_watermark_offsets(tp, cached=True)
        if high >= 0 and tp.offset >= 0:
            total += max(0, high - tp.offset)
    return total


def partitions_text(partitions: list[TopicPartition]) -> str:
    """`orders[0,1,2], payments[0]` for log lines."""
    by_topic: dict[str, list[int]] = {}
    for tp in partitions:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    return ", ".join(f"{t}[{','.join(map(str, sorted(ps)))}]" for t, ps in sorted(by_topic.items())) or "no partitions"

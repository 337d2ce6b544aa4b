"""Reading the end of a partition: what the console and `lineage show` need, never a whole topic."""

from __future__ import annotations

import time
from typing import Any

from governance.kafka.settings import KafkaSettings


def tail_consumer_config(settings: KafkaSettings, group: str) -> dict[str, Any]:
    """A consumer that only assigns, never commits, and answers metadata at once: with the
    default 500 ms fetch wait, every watermark query queued behind a long-polling fetch."""
    from governance.kafka.logs import client_logger

    return settings.client_config(group_id=group, enable_auto_commit=False, isolation_level="read_committed",
                                  fetch_wait_max_ms=10, logger=client_logger())


def read_range(consumer: Any, tp: Any, end: int, timeout: float) -> list[Any]:
    """Records of one partition from `tp.offset` up to `end` (exclusive). Transaction markers
    take offsets but are never delivered, so the end is known by the consumer's position,
    not by the last record seen."""
    from confluent_kafka import TopicPartition

    consumer.assign([tp])
    out = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in consumer.consume(500, 0.05):
            if message.error() is None and message.offset() < end:
                out.append(message)
        (position,) = consumer.position([TopicPartition(tp.topic, tp.partition)])
        if position.offset >= end:
            break
    return out

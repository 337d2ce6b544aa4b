"""Reading the end of a partition: what the console and `lineage show` need, never a whole topic."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from governance.kafka.settings import KafkaSettings


def tail_consumer_config(settings: KafkaSettings, group: str) -> dict[str, Any]:
    """A consumer that only assigns, never commits, and answers metadata at once: with the
    default 500 ms fetch wait, every watermark query queued behind a long-polling fetch."""
    from governance.kafka.logs import client_logger

    return settings.client_config(group_id=group, enable_auto_commit=False, isolation_level="read_committed",
                                  fetch_wait_max_ms=10, logger=client_logger())


def read_range(consumer: Any, tp: Any, end: int, timeout: float, idle: float | None = None) -> list[Any]:
    """Records of one partition from `tp.offset` up to `end` (exclusive). Transaction markers
    take offsets but are never delivered, so the end is known by the consumer's position,
    not by the last record seen. Records of aborted transactions are not delivered either,
    and the position does not move past them when nothing follows: `idle` seconds without
    a record then also mean the end (for a caller that knows no transaction is open)."""
    return read_until(consumer, tp, end, timeout, idle)[0]


def read_until(consumer: Any, tp: Any, end: int, timeout: float, idle: float | None = None,
               each: Callable[[Any], Any] | None = None, idle_first: float | None = None) -> tuple[list[Any], bool]:
    """As `read_range`, and whether the read ended by reaching `end` or going idle (True), not
    by running out of `timeout` (False: records may be missing). With `each`, what it makes of
    each record is kept instead of the record (None: nothing), so a long range is never held whole.
    `idle_first`: the idle seconds before the first record (a first fetch may be slow on a busy broker)."""
    from confluent_kafka import TopicPartition

    consumer.assign([tp])
    out = []
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    while time.monotonic() < deadline:
        messages = consumer.consume(500, 0.05)
        for message in messages:
            if message.error() is None and message.offset() < end:
                kept = message if each is None else each(message)
                if kept is not None:
                    out.append(kept)
        (position,) = consumer.position([TopicPartition(tp.topic, tp.partition)])
        if position.offset >= end:
            return out, True
        if messages:
            last, idle_first = time.monotonic(), None
        elif idle is not None and time.monotonic() - last >= (idle if idle_first is None else idle_first):
            return out, True
    return out, False


def end_offsets(consumer: Any, topic: str, timeout: float = 30.0) -> dict[int, int]:
    """Partition -> high watermark, waiting out a topic created a moment ago (not yet in the
    metadata, or its partitions without a leader)."""
    from confluent_kafka import KafkaException, TopicPartition

    from governance.errors import GovernanceError

    deadline = time.monotonic() + timeout
    while True:
        try:
            found = consumer.list_topics(topic, timeout=10).topics.get(topic)
            if found is not None and found.error is None and found.partitions \
                    and all(p.leader >= 0 for p in found.partitions.values()):
                return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                        for p in sorted(found.partitions)}
            problem = str(found.error) if found is not None and found.error is not None else "no partitions with a leader"
        except KafkaException as e:
            problem = e.args[0].str()
        if time.monotonic() > deadline:
            raise GovernanceError(f"cannot read the end offsets of {topic}: {problem}",
                                  hint="check that the topic exists and the brokers are up")
        time.sleep(0.2)

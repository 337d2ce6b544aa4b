"""What an output topic refuses, known before producing, so that one record can never
stall a pipeline.

A broker rejects a record for its size (`max.message.bytes`), its timestamp
(`message.timestamp.before.max.ms` / `after.max.ms` on CreateTime topics) or a
missing key (compacted topics). Inside a transaction any such rejection makes the
whole transaction abortable: routing the same batch again fails again, forever.
The router therefore asks `OutputLimits.refusal` before producing and sends a
refused record one step down its ladder (valid topic -> DLQ -> a small DLQ stub)
with a reason naming the limit. Where the topics share one size limit, the
producer's own `message.max.bytes` check stands in for weighing every record's
headers (`client_checks_size`); what it refuses in `produce()` takes the same
ladder. Limits are read once from the topics' configs and again whenever the
broker refuses something they did not predict.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from governance.kafka import KafkaSettings
from governance.kafka.logs import client_logger

RECORD_BATCH_OVERHEAD = 61
"""Bytes of a v2 record batch around its records (Kafka's DefaultRecordBatch), log overhead included."""
CLIENT_MESSAGE_MAX = 1_000_000_000
"""librdkafka's ceiling for `message.max.bytes`."""
CLIENT_MESSAGE_MIN = 1_000
"""librdkafka's floor for `message.max.bytes`."""
CLIENT_RECORD_OVERHEAD = 36
"""librdkafka weighs a record as key + value + headers + 36 bytes against `message.max.bytes`,
which comes to `batch_size` less 36 (37 with some varint lengths): a producer whose
`message.max.bytes` is a topic's `max.message.bytes` less 36 refuses, in `produce()`, the
records that topic would refuse (tests/kafka/test_limits.py measures it)."""
DEFAULT_MAX_MESSAGE_BYTES = 1_048_588
_NEVER = 2**63 - 1


@dataclass(frozen=True)
class Refusal:
    kind: str
    """`size`, `timestamp` or `key`: what a fallback record must change to be taken."""
    exception_class: str
    """The exception Kafka's Java client raises for it, as Kafka Connect would name it."""
    reason: str


@dataclass(frozen=True)
class TopicLimits:
    topic: str
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    compacted: bool = False
    create_time: bool = True
    before_max_ms: int = _NEVER
    after_max_ms: int = _NEVER

    def refusal(self, key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes | None]] | None,
                timestamp_ms: int, now_ms: int | None = None) -> Refusal | None:
        size = batch_size(key, value, headers)
        if size > self.max_message_bytes:
            return Refusal(
                "size", "org.apache.kafka.common.errors.RecordTooLargeException",
                f"a record of {size:,} bytes ({_parts(key, value, headers)}) exceeds "
                f"max.message.bytes={self.max_message_bytes:,} of topic "
                f"{self.topic}; raise it with `kafka-configs --alter --entity-type topics --entity-name {self.topic} "
                f"--add-config max.message.bytes=N`",
            )
        if self.compacted and key is None:
            return Refusal(
                "key", "org.apache.kafka.common.InvalidRecordException",
                f"topic {self.topic} is compacted (cleanup.policy=compact) and cannot take a record without a key",
            )
        if self.create_time and timestamp_ms > 0 and (self.before_max_ms < _NEVER or self.after_max_ms < _NEVER):
            now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
            if now_ms - timestamp_ms > self.before_max_ms:
                return Refusal(
                    "timestamp", "org.apache.kafka.common.errors.InvalidTimestampException",
                    f"its timestamp {timestamp_ms} is {now_ms - timestamp_ms:,} ms in the past, more than "
                    f"message.timestamp.before.max.ms={self.before_max_ms:,} of topic {self.topic} allows",
                )
            if timestamp_ms - now_ms > self.after_max_ms:
                return Refusal(
                    "timestamp", "org.apache.kafka.common.errors.InvalidTimestampException",
                    f"its timestamp {timestamp_ms} is {timestamp_ms - now_ms:,} ms in the future, more than "
                    f"message.timestamp.after.max.ms={self.after_max_ms:,} of topic {self.topic} allows",
                )
        return None


class OutputLimits:
    """The limits of a router's output topics, plus a cheap test that clears most records."""

    def __init__(self, topics: Iterable[TopicLimits]) -> None:
        self.topics = {t.topic: t for t in topics}
        smallest = min((t.max_message_bytes for t in self.topics.values()), default=DEFAULT_MAX_MESSAGE_BYTES)
        largest = max((t.max_message_bytes for t in self.topics.values()), default=DEFAULT_MAX_MESSAGE_BYTES)
        self.clear_below = max(0, smallest - 4096)
        """Key + value bytes under which no topic here can refuse a record for its size
        (the slack covers the batch overhead and a few kilobytes of headers)."""
        self.any_compacted = any(t.compacted for t in self.topics.values())
        stamped = [t for t in self.topics.values() if t.create_time]
        self._before = min((t.before_max_ms for t in stamped), default=_NEVER)
        self._after = min((t.after_max_ms for t in stamped), default=_NEVER)
        self.client_checks_size = smallest == largest and smallest - CLIENT_RECORD_OVERHEAD >= CLIENT_MESSAGE_MIN
        """Every topic here has one limit, so the producer itself can refuse what they would,
        counting headers in C: the router then need not weigh each record's headers."""
        self.producer_config = {
            # librdkafka refuses anything above its own message.max.bytes (1 MB by default) even
            # where the topic takes more; and a batch must never outgrow the smallest topic's limit.
            "message.max.bytes": (smallest - CLIENT_RECORD_OVERHEAD if self.client_checks_size
                                  else min(CLIENT_MESSAGE_MAX, max(1_000_000, largest + 65_536))),
            "batch.size": max(1, min(1_000_000, smallest - 1024)),
        }

    def timestamp_window(self, now_ms: int) -> tuple[int, int]:
        """Timestamps every output topic takes right now (the strictest bounds of all)."""
        return now_ms - self._before, now_ms + self._after

    def refusal(self, topic: str, key: bytes | None, value: bytes | None,
                headers: Sequence[tuple[str, bytes | None]] | None, timestamp_ms: int) -> Refusal | None:
        limits = self.topics.get(topic)
        return limits.refusal(key, value, headers, timestamp_ms) if limits is not None else None


def read_limits(settings: KafkaSettings, topics: Sequence[str], timeout: float = 30.0) -> OutputLimits:
    """Each topic's limits from its effective config (topic overrides and broker defaults)."""
    from confluent_kafka.admin import AdminClient, ConfigResource

    admin = AdminClient(settings.client_config(logger=client_logger()))
    resources = [ConfigResource(ConfigResource.Type.TOPIC, t) for t in dict.fromkeys(topics)]
    found = []
    for resource, future in admin.describe_configs(resources).items():
        configs = future.result(timeout=timeout)

        def number(name: str, default: int) -> int:
            entry = configs.get(name)
            try:
                return int(entry.value) if entry is not None and entry.value is not None else default
            except ValueError:
                return default

        policy = configs.get("cleanup.policy")
        stamp = configs.get("message.timestamp.type")
        found.append(TopicLimits(
            topic=resource.name,
            max_message_bytes=number("max.message.bytes", DEFAULT_MAX_MESSAGE_BYTES),
            compacted="compact" in ((policy.value or "") if policy is not None else ""),
            create_time=(stamp.value if stamp is not None else "CreateTime") != "LogAppendTime",
            before_max_ms=number("message.timestamp.before.max.ms", _NEVER),
            after_max_ms=number("message.timestamp.after.max.ms", _NEVER),
        ))
    return OutputLimits(found)


def batch_size(key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes | None]] | None) -> int:
    """Bytes of a record batch holding just this record, as the broker measures it
    against `max.message.bytes` (uncompressed; the producer does not compress)."""
    body = 1 + 1 + 1  # attributes, timestamp delta 0, offset delta 0
    body += _field(key) + _field(value)
    headers = headers or ()
    body += _varint(len(headers))
    for name, data in headers:
        body += _field(name.encode()) + _field(data)
    return RECORD_BATCH_OVERHEAD + _varint(body) + body


def _parts(key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes | None]] | None) -> str:
    parts = [f"value {len(value or b''):,}", f"key {len(key or b''):,}"]
    if headers:
        parts.append(f"headers {sum(len(name) + len(data or b'') for name, data in headers):,}")
    return ", ".join(parts)


def _field(data: bytes | None) -> int:
    return 1 if data is None else _varint(len(data)) + len(data)


def _varint(n: int) -> int:
    """Length of a zigzag varint (non-negative n)."""
    n <<= 1
    size = 1
    while n >= 0x80:
        n >>= 7
        size += 1
    return size

"""Reading the ends of topics for the console: the newest records, at most `SCAN` offsets
back from the end, never a whole large topic (a DLQ may hold millions). A topic that fits
is read whole, so its records are counted, not its offsets (transaction markers and aborted
records take offsets too). Values are decoded only for the records shown: Confluent
wire-format Avro through the registry, else UTF-8 text, else escaped bytes."""

from __future__ import annotations

import dataclasses
import io
import json
import struct
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from governance.kafka import KafkaSettings
from governance.kafka.tail import read_until, tail_consumer_config
from governance.sentinel.headers import DeadLetter, dead_letter

SCAN = 20_000
"""Offsets read back from the end of a topic (over all its partitions) for one view of it."""


@dataclass(frozen=True)
class TailRecord:
    topic: str
    partition: int
    offset: int
    timestamp: int
    key: str
    headers: dict[str, str] = field(default_factory=dict)
    value: str = ""
    """The value as text for a person (read again for the records shown): decoded Avro as JSON,
    UTF-8 text, or escaped bytes."""
    value_kind: str = ""

    @cached_property
    def dead_letter(self) -> DeadLetter:
        """The record's DLQ context headers, read back (all empty on a topic that is no DLQ)."""
        return dead_letter(self.headers.items())


@dataclass(frozen=True)
class Scan:
    """What one read of a topic's end found."""

    topic: str
    records: list[TailRecord]
    """Committed records, newest first (aborted ones and transaction markers are never delivered)."""
    offsets: int
    """Offsets in the topic, from each partition's low to its high watermark: records and markers alike."""
    read: int
    """Offsets read back from the end to find `records`."""
    whole: bool
    """Every partition was read from its first offset to its end: `records` is all the topic holds."""
    timed_out: bool = False
    """A partition's read ran out of time: records of the range read may be missing."""
    exists: bool = True
    problem: str = ""
    """Why Kafka could not be read, if it could not."""


class TopicTail:
    """One consumer (no group commits) reused across requests, guarded by the caller."""

    def __init__(self, settings: KafkaSettings, registry_url: str | None, timeout: float = 5.0) -> None:
        from confluent_kafka import Consumer

        self.timeout = timeout
        self.registry_url = registry_url
        self._schemas: dict[int, Any] = {}
        self._consumer = Consumer(tail_consumer_config(settings, "governance-console"))

    def close(self) -> None:
        self._consumer.close()

    def scan(self, topic: str, limit: int = SCAN) -> Scan:
        """The newest records of `topic` (values not decoded), newest first, within `limit` offsets."""
        from confluent_kafka import KafkaException

        try:
            return self._scan(topic, limit)
        except KafkaException as e:
            return Scan(topic, [], 0, 0, False, problem=e.args[0].str())

    def _scan(self, topic: str, limit: int) -> Scan:
        from confluent_kafka import TopicPartition

        metadata = self._consumer.list_topics(topic, timeout=self.timeout).topics.get(topic)
        if metadata is None or metadata.error is not None or not metadata.partitions:
            return Scan(topic, [], 0, 0, True, exists=False)
        share = max(1, limit // len(metadata.partitions))
        records: list[TailRecord] = []
        offsets = read = 0
        whole, timed_out = True, False
        for partition in sorted(metadata.partitions):
            low, high = self._consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=self.timeout)
            start = max(low, high - share)
            offsets += max(0, high - low)
            read += max(0, high - start)
            whole = whole and start == low
            if high <= start:
                continue
            found, done = read_until(self._consumer, TopicPartition(topic, partition, start), high,
                                     timeout=max(self.timeout, 10.0), idle=1.0, each=self._record, idle_first=3.0)
            whole, timed_out = whole and done, timed_out or not done
            records += found
        records.sort(key=lambda r: (r.timestamp, r.partition, r.offset), reverse=True)
        return Scan(topic, records, offsets, read, whole, timed_out)

    def _record(self, message: Any) -> TailRecord:
        headers = {k: (v or b"").decode("utf-8", "replace") for k, v in message.headers() or []}
        key = message.key()
        return TailRecord(message.topic(), message.partition(), message.offset(), message.timestamp()[1],
                          _text(key) if key is not None else "", headers)

    def decoded(self, records: list[TailRecord]) -> list[TailRecord]:
        """The records with their values, read again (a scan keeps none: a DLQ's values may be large)."""
        from confluent_kafka import KafkaException, TopicPartition

        wanted: dict[int, set[int]] = {}
        for r in records:
            wanted.setdefault(r.partition, set()).add(r.offset)
        values: dict[tuple[int, int], tuple[str, str]] = {}
        gone = ("(no longer in the topic, or not read in time)", "gone")
        try:
            for partition, offsets in wanted.items():
                def keep(message: Any, offsets: set[int] = offsets) -> Any:
                    return (message.offset(), self.show(message.value())) if message.offset() in offsets else None

                tp = TopicPartition(records[0].topic, partition, min(offsets))
                for offset, shown in read_until(self._consumer, tp, max(offsets) + 1, max(self.timeout, 10.0), 1.0,
                                                keep, 3.0)[0]:
                    values[(partition, offset)] = shown
        except KafkaException as e:
            gone = (f"(not read: {e.args[0].str()})", "unknown")
        return [dataclasses.replace(r, value=values.get((r.partition, r.offset), gone)[0],
                                    value_kind=values.get((r.partition, r.offset), gone)[1]) for r in records]

    def show(self, value: bytes | None) -> tuple[str, str]:
        if value is None:
            return "(no value)", "null"
        if len(value) >= 5 and value[0] == 0 and self.registry_url:
            schema_id = struct.unpack(">I", value[1:5])[0]
            schema = self._schema(schema_id)
            if schema is not None:
                import fastavro

                try:
                    record = fastavro.schemaless_reader(io.BytesIO(value[5:]), schema)
                    return json.dumps(record, default=str, ensure_ascii=False, indent=1)[:20_000], f"avro (schema id {schema_id})"
                except Exception:  # corrupt bytes: fastavro raises many kinds; shown as bytes below
                    pass
        try:
            return value.decode("utf-8")[:20_000], "text"
        except UnicodeDecodeError:
            return _text(value[:4_000]), f"bytes ({len(value):,})"

    def _schema(self, schema_id: int) -> Any:
        if schema_id not in self._schemas:
            import fastavro

            from governance.registry.client import RegistryClient

            from fastavro.schema import SchemaParseException

            from governance.errors import GovernanceError

            try:
                answer = RegistryClient(self.registry_url or "", timeout=5).call("GET", f"/schemas/ids/{schema_id}")
                self._schemas[schema_id] = fastavro.parse_schema(json.loads(answer["schema"]))
            except (GovernanceError, KeyError, TypeError, ValueError, SchemaParseException):  # shown as bytes
                self._schemas[schema_id] = None
        return self._schemas[schema_id]


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return repr(data)[2:-1]

"""Reading the ends of topics for the console: the newest records, a page at a time,
never the whole topic (a DLQ may hold millions). Values are decoded for display only:
Confluent wire-format Avro through the registry, else UTF-8 text, else escaped bytes."""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass, field
from typing import Any

from governance.kafka import KafkaSettings
from governance.kafka.tail import read_range, tail_consumer_config


@dataclass(frozen=True)
class TailRecord:
    topic: str
    partition: int
    offset: int
    timestamp: int
    key: str
    value: str
    """The value as text for a person: decoded Avro as JSON, UTF-8 text, or escaped bytes."""
    value_kind: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def failed_rules(self) -> list[dict[str, str]]:
        try:
            rules = json.loads(self.headers.get("__sentinel.failed.rules", "[]"))
        except ValueError:
            return []
        return [r for r in rules if isinstance(r, dict)]

    @property
    def stage(self) -> str:
        return self.headers.get("__connect.errors.stage", "")


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

    def newest(self, topic: str, page: int = 0, per_page: int = 50) -> tuple[list[TailRecord], int]:
        """Page `page` (0 = newest) of `per_page` records per partition, newest first; and the topic's size."""
        from confluent_kafka import KafkaException, TopicPartition

        try:
            metadata = self._consumer.list_topics(topic, timeout=self.timeout).topics.get(topic)
        except KafkaException:
            return [], 0
        if metadata is None or metadata.error is not None:
            return [], 0
        wanted, total = [], 0
        for partition in sorted(metadata.partitions):
            low, high = self._consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=self.timeout)
            total += max(0, high - low)
            end = high - page * per_page
            start = max(low, end - per_page)
            if end > start:
                wanted.append((TopicPartition(topic, partition, start), end))
        records: list[TailRecord] = []
        for tp, end in wanted:
            for message in read_range(self._consumer, tp, end, self.timeout):
                records.append(self._record(message))
        records.sort(key=lambda r: (r.timestamp, r.offset), reverse=True)
        return records, total

    def _record(self, message: Any) -> TailRecord:
        headers = {k: (v or b"").decode("utf-8", "replace") for k, v in message.headers() or []}
        value, kind = self.show(message.value())
        key = message.key()
        return TailRecord(message.topic(), message.partition(), message.offset(), message.timestamp()[1],
                          _text(key) if key is not None else "", value, kind, headers)

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

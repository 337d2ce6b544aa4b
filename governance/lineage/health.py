"""Each sentinel pipeline's latest compliance, read from its KPI topic, for `lineage show`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from governance.kafka import KafkaSettings
from governance.lineage.model import Job

TAIL = 200
"""KPI records read back from the end of each KPI topic: enough for the last window of many processes."""


def latest_compliance(settings: KafkaSettings, registry_url: str, jobs: Iterable[Job], timeout: float = 5.0) -> dict[str, str]:
    """Pipeline name -> `last window 12:00:00: 98.2% compliant, 1.8% to the DLQ (3 processes)`."""
    out: dict[str, str] = {}
    with KpiReader(settings, registry_url, timeout) as reader:
        for job in jobs:
            topic = job.properties.get("kpi_topic")
            if job.kind != "sentinel" or not topic:
                continue
            if summary := summarize([r for r in reader.tail(topic) if r.get("pipeline") == job.name]):
                out[job.name] = summary
    return out


class KpiReader:
    """The newest KPI records of a pipeline's KPI topic (one partition), decoded with the registry."""

    def __init__(self, settings: KafkaSettings, registry_url: str, timeout: float = 5.0) -> None:
        from confluent_kafka import Consumer
        from confluent_kafka.schema_registry import SchemaRegistryClient
        from confluent_kafka.schema_registry.avro import AvroDeserializer

        from governance.kafka.tail import tail_consumer_config

        self.timeout = timeout
        self._deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
        self._consumer = Consumer(tail_consumer_config(settings, "governance-kpi-reader"))

    def __enter__(self) -> KpiReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._consumer.close()

    def tail(self, topic: str, count: int = TAIL) -> list[dict[str, Any]]:
        """Up to `count` newest records, oldest first; [] when the topic is missing or empty."""
        from confluent_kafka import TopicPartition
        from confluent_kafka.serialization import MessageField, SerializationContext

        try:
            low, high = self._consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=self.timeout)
        except Exception:
            return []
        if high <= low:
            return []
        from governance.kafka.tail import read_range

        records: list[dict[str, Any]] = []
        context = SerializationContext(topic, MessageField.VALUE)
        for message in read_range(self._consumer, TopicPartition(topic, 0, max(low, high - count)), high, self.timeout):
            if message.value():
                try:
                    records.append(self._deserializer(message.value(), context))
                except Exception:
                    continue
        return records


def summarize(records: list[dict[str, Any]]) -> str | None:
    """The latest closed window with records, summed over the processes that reported it."""
    import datetime as dt

    windows = sorted({r["window_start"] for r in records if r["window"]["records_in"] and not r["final"]})
    if not windows:
        return None
    last = [r for r in records if r["window_start"] == windows[-1] and not r["final"]]
    n = sum(r["window"]["records_in"] for r in last)
    invalid = sum(r["window"]["invalid"] for r in last)
    schema_failures = sum(r["window"]["schema_failures"] for r in last)
    start = windows[-1]
    when = (start if isinstance(start, dt.datetime) else dt.datetime.fromtimestamp(start / 1000)).strftime("%H:%M:%S")
    processes = len({r["instance"] for r in last})
    return (f"last window {when}: {(n - schema_failures) / n:.1%} schema-compliant, {invalid / n:.1%} to the DLQ, "
            f"{n:,} records" + (f", {processes} processes" if processes > 1 else ""))

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
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    from governance.kafka.logs import client_logger

    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    consumer = Consumer(settings.client_config(group_id="governance-lineage-show", enable_auto_commit=False,
                                               isolation_level="read_committed", logger=client_logger()))
    out: dict[str, str] = {}
    try:
        for job in jobs:
            topic = job.properties.get("kpi_topic")
            if job.kind != "sentinel" or not topic:
                continue
            try:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=timeout)
            except Exception:
                continue
            if high <= low:
                continue
            consumer.assign([TopicPartition(topic, 0, max(low, high - TAIL))])
            records: list[dict[str, Any]] = []
            while True:
                batch = consumer.consume(500, timeout)
                for message in batch:
                    if message.error() is None and message.value():
                        try:
                            records.append(deserializer(message.value(), SerializationContext(topic, MessageField.VALUE)))
                        except Exception:
                            continue
                if not batch or (batch and batch[-1].offset() >= high - 1):
                    break
            if summary := summarize([r for r in records if r.get("pipeline") == job.name]):
                out[job.name] = summary
    finally:
        consumer.close()
    return out


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

"""Each sentinel pipeline's windows, read from its KPI topic, for `lineage show` and the console."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from governance.kafka import KafkaSettings
from governance.lineage.model import Job

TAIL = 2000
"""KPI records read back from the end of each KPI topic: enough for the last closed window of many
processes, each writing its open window's running counts with every transaction."""


def latest_compliance(settings: KafkaSettings, registry_url: str | None, jobs: Iterable[Job], timeout: float = 5.0) -> dict[str, str]:
    """Pipeline name -> `warn: DLQ rate 4.5% ≥ 1%; last window ended 2026-12-05 12:00:00 UTC: 95.5% valid, ...`."""
    out: dict[str, str] = {}
    with KpiReader(settings, registry_url, timeout) as reader:
        for job in jobs:
            topic = job.properties.get("kpi_topic")
            if job.kind != "sentinel" or not topic:
                continue
            if summary := summarize([r for r in reader.tail(topic) if r.get("pipeline") == job.name], time.time() * 1000):
                out[job.name] = summary
    return out


class KpiReader:
    """The newest KPI records of a pipeline's KPI topic (one partition): Avro through the registry
    (Confluent wire format), or JSON (a sentinel that ran without a registry)."""

    def __init__(self, settings: KafkaSettings, registry_url: str | None, timeout: float = 5.0) -> None:
        from confluent_kafka import Consumer
        from confluent_kafka.schema_registry import SchemaRegistryClient
        from confluent_kafka.schema_registry.avro import AvroDeserializer

        from governance.kafka.tail import tail_consumer_config

        self.timeout = timeout
        self._deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url})) if registry_url else None
        self._consumer = Consumer(tail_consumer_config(settings, "governance-kpi-reader"))

    def __enter__(self) -> KpiReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._consumer.close()

    def tail(self, topic: str, count: int = TAIL) -> list[dict[str, Any]]:
        """The last record under each key among the `count` newest records, oldest first; [] when the
        topic is missing or empty. A key is one process run's window: its last record is the truth."""
        from confluent_kafka import KafkaException, TopicPartition
        from confluent_kafka.schema_registry.error import SchemaRegistryError
        from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

        try:
            low, high = self._consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=self.timeout)
        except KafkaException:  # no such topic (yet)
            return []
        if high <= low:
            return []
        from governance.kafka.tail import read_range

        records: dict[bytes | None, dict[str, Any]] = {}
        context = SerializationContext(topic, MessageField.VALUE)
        for message in read_range(self._consumer, TopicPartition(topic, 0, max(low, high - count)), high, self.timeout):
            value = message.value()
            if not value:
                continue
            try:
                if value[:1] == b"{":
                    record = json.loads(value)
                elif self._deserializer is not None:
                    record = self._deserializer(value, context)
                else:
                    continue
            except (SerializationError, SchemaRegistryError, ValueError):  # not a KPI record of ours: not counted
                continue
            if isinstance(record, dict):
                record[WRITTEN] = message.timestamp()[1]
                key = message.key()
                records.pop(key, None)  # re-inserted: the order is that of each key's last record
                records[key if key is not None else message.offset()] = record  # type: ignore[index]
        return list(records.values())


WRITTEN = "_written_ms"
"""The Kafka timestamp of a KPI record, added by the reader: when a stopped process published its last window."""


def windows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """KPI records summed per window over processes, oldest first. A window every process stopped in
    ends when the last of them published it, not at its nominal end, which may not have come yet."""
    by_start: dict[int, dict[str, Any]] = {}
    for r in records:  # a `final` record is the partial window of a process that stopped: real counts too
        if str(r.get("instance", "")).startswith("replay-"):
            continue  # a replay's counts: no window of routing
        start = _ms(r["window_start"])
        w = by_start.setdefault(start, {"start": start, "end": _ms(r["window_end"]), "records_in": 0, "valid": 0, "invalid": 0,
                                        "schema_failures": 0, "rule_failures": {}, "expectations": {}, "lag": 0,
                                        "instances": set(), "final": True, "open": True})
        w["final"] = w["final"] and r["final"]
        w["open"] = w["open"] and r.get("open", False)
        counts = r["window"]
        for key in ("records_in", "valid", "invalid", "schema_failures"):
            w[key] += counts[key]
        for rule, n in counts["rule_failures"].items():
            w["rule_failures"][rule] = w["rule_failures"].get(rule, 0) + n
        for e in r["window_expectations"]:
            w["expectations"][e["rule"]] = e
        w["lag"] += r["consumer_lag"]
        w["instances"].add(r["instance"])
        if r.get(WRITTEN):
            w["written"] = max(w.get("written", 0), r[WRITTEN])
    from governance.sentinel.kpi import WindowCounts

    out = []
    for w in sorted(by_start.values(), key=lambda w: w["start"]):
        if w["final"] and w.get("written"):
            w["end"] = max(w["start"], min(w["end"], w["written"]))
        summed = WindowCounts(records_in=w["records_in"], valid=w["valid"], invalid=w["invalid"],
                              schema_failures=w["schema_failures"])
        w["valid_share"] = summed.valid_share
        w["schema_conformant_share"] = summed.schema_conformant_share
        w["dlq_rate"] = summed.dlq_rate
        w["invalid_per_minute"] = summed.invalid_per_minute(max((w["end"] - w["start"]) / 60_000, 1e-9))
        out.append(w)
    return out


def latest_with_records(series: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest closed window that saw records (idle windows say nothing of health, open ones have
    no window verdicts yet), else the newest window that saw records, else the newest."""
    closed = next((w for w in reversed(series) if w["records_in"] and not w["open"]), None)
    return closed or next((w for w in reversed(series) if w["records_in"]), series[-1] if series else None)


def _ms(value: Any) -> int:
    return int(value.timestamp() * 1000) if isinstance(value, dt.datetime) else int(value)


def utc(ms: int) -> str:
    """A time as every view tells it: `2026-12-05 06:52:00 UTC` (a window is told by its end)."""
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


WARN_DLQ_RATE, FAILING_DLQ_RATE = 0.01, 0.10
STALE_WINDOWS = 3
STALE_FLOOR_MS = 30_000
"""A pipeline is stale when no window came for STALE_WINDOWS window lengths, and never sooner than this
(a KPI record is written when a transaction commits, and readers cache what they read)."""


@dataclass(frozen=True)
class Health:
    """A pipeline's health and why: `ok`, `warn`, `failing`, `stale` (its sentinel stopped or went
    silent: what it last said is old news) or `unknown` (no records judged yet)."""

    state: str
    reasons: tuple[str, ...]
    running: bool

    @property
    def because(self) -> str:
        return "; ".join(self.reasons)

    def __str__(self) -> str:
        return f"{self.state}: {self.because}"


def health(series: list[dict[str, Any]], now_ms: float) -> Health:
    """The health of a pipeline from its windows (`windows()`, oldest first) as read at `now_ms`."""
    if not series:
        return Health("unknown", ("no KPI records: the sentinel never reported",), False)
    newest = series[-1]
    length = max(newest["end"] - newest["start"], 1)
    silent = now_ms - newest["end"]
    stale: tuple[str, ...] = ()
    if newest["final"]:
        stale = (f"sentinel stopped, last heard of {_ago(silent)} ago (window ending {utc(newest['end'])})"
                 if silent > 0 else f"sentinel stopped (window ending {utc(newest['end'])})",)
    elif silent > max(STALE_WINDOWS * length, STALE_FLOOR_MS):
        stale = (f"no window for {_ago(silent)} (windows of {_ago(length)}): sentinel not running, "
                 f"last heard of in the window ending {utc(newest['end'])}",)
    state, reasons = _judged(latest_with_records(series))
    if stale:
        return Health("stale", stale + tuple(f"as last seen, {r}" for r in reasons), False)
    return Health(state, reasons, True)


def _judged(last: dict[str, Any] | None) -> tuple[str, tuple[str, ...]]:
    if last is None or last["dlq_rate"] is None:
        return "unknown", ("no records routed yet",)
    rate = last["dlq_rate"]
    failed = [f"window rule {rule} failed" for rule, e in last["expectations"].items() if not e["success"]]
    if rate >= FAILING_DLQ_RATE:
        return "failing", (f"DLQ rate {rate:.1%} ≥ {FAILING_DLQ_RATE:.0%}", *failed)
    if failed:
        return "failing", tuple(failed)
    if rate >= WARN_DLQ_RATE:
        return "warn", (f"DLQ rate {rate:.1%} ≥ {WARN_DLQ_RATE:.0%}",)
    held = ", every window rule held" if last["expectations"] else ""
    return "ok", (f"DLQ rate {rate:.1%} < {WARN_DLQ_RATE:.0%}{held}",)


def _ago(ms: float) -> str:
    seconds = max(ms, 0) / 1000
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.0f} h"


def summarize(records: list[dict[str, Any]], now_ms: float) -> str | None:
    """The pipeline's health, then its latest window with records, summed over the processes that reported it;
    None without KPI records."""
    series = windows(records)
    if not series:
        return None
    last = latest_with_records(series)
    if last is None or not last["records_in"]:
        return str(health(series, now_ms))
    processes = len(last["instances"])
    return (f"{health(series, now_ms)}; last window ended {utc(last['end'])}: {last['valid_share']:.1%} valid, "
            f"{last['schema_conformant_share']:.1%} schema-conformant, {last['dlq_rate']:.1%} to the DLQ, "
            f"{last['records_in']:,} records" + (f", {processes} processes" if processes > 1 else ""))

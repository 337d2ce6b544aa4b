"""`governance sentinel replay`: dead letters back to the valid topic after a fix.

Each DLQ record (within the filters) is judged again with the pipeline's current rules
and registry; one that passes now is written to the valid topic with its original key,
value, timestamp and headers, plus `__sentinel.replayed.from` (`dlq/partition/offset`).
The DLQ keeps everything. A record that passes now but that the valid topic refuses
(too large, say) goes where the sentinel would put it: down the refusal ladder
(`refusals.py`), back to the DLQ with the reason (stage `produce`); such a dead letter
that the valid topic still refuses stays as it is.

Exactly once: every moved record also gets an entry in a compacted ledger topic
(`<dlq>-replayed`, keyed by partition/offset) in the same transaction. A replay reads
the ledger first and skips what it names, so running it twice, or again after it was
killed midway, never writes a record twice, while records that still fail can be
replayed after the next fix. A run that fails aborts its open transaction on the way out.

The KPI topic gets one record per replay run (key `pipeline/replay/<run>`): `valid` and
`replayed` count the moved records, `invalid` those sent back to the DLQ, and `records_in`
stays 0 (they came from no new source record, and the DLQ still holds them), so the KPI
sums keep matching the topics.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from governance.errors import GovernanceError
from governance.kafka.logs import client_logger
from governance.kafka.settings import KafkaSettings
from governance.sentinel import headers as h
from governance.sentinel.pipeline import Pipeline

BATCH = 1000
SHOWN = 50
"""Moves a dry run lists one by one; it counts the rest."""


@dataclass(frozen=True)
class ReplayFilter:
    rule: str | None = None
    stage: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None

    def admits(self, stage: str, rules: Sequence[str], timestamp_ms: int) -> bool:
        return ((self.rule is None or self.rule in rules) and (self.stage is None or self.stage == stage)
                and (self.since_ms is None or timestamp_ms >= self.since_ms)
                and (self.until_ms is None or timestamp_ms < self.until_ms))


@dataclass
class ReplaySummary:
    scanned: int = 0
    filtered_out: int = 0
    already: int = 0
    moved: Counter[str] = field(default_factory=Counter)
    """Reason it was a dead letter (a rule, or `stage X`) -> records that pass now."""
    still: Counter[str] = field(default_factory=Counter)
    """... -> records that still fail (or cannot be replayed)."""
    refused: Counter[str] = field(default_factory=Counter)
    """... -> records that pass now but the valid topic refused: back in the DLQ with the reason."""

    @property
    def moved_total(self) -> int:
        return sum(self.moved.values())


def parse_time(text: str) -> int:
    """Epoch milliseconds from ISO 8601 (`2026-12-01T10:00`, UTC unless it says) or a number of ms."""
    if text.isdigit():
        return int(text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise GovernanceError(f"cannot read the time {text!r}",
                              hint="give ISO 8601 such as 2026-12-01T10:00 (UTC) or epoch milliseconds") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return int(moment.timestamp() * 1000)


def replay(pipeline: Pipeline, settings: KafkaSettings, registry_url: str | None, where: ReplayFilter,
           dry_run: bool, out: TextIO, judge: Callable[[list[Any]], list[Any]] | None = None) -> ReplaySummary:
    from confluent_kafka import Consumer, TopicPartition

    from governance.kafka.connect import REFUSED_GRACE_S, first_contact
    from governance.kafka.tail import end_offsets, tail_consumer_config
    from governance.kafka.topics import TopicSpec, create_topics
    from governance.kafka.transactions import TransactionalProducer
    from governance.sentinel.refusals import DeadLetterRefused, RefusalLadder, limits_from_cluster

    dlq, ledger = pipeline.dlq_topic, f"{pipeline.dlq_topic}-replayed"
    admin, metadata = first_contact(settings, 30, logger=client_logger(), refused_grace=REFUSED_GRACE_S,
                                    hint="check --bootstrap-servers / $GOVERNANCE_BOOTSTRAP_SERVERS")
    existing = metadata.topics
    if dlq not in existing:
        raise GovernanceError(f"{pipeline.path}: the DLQ {dlq} does not exist on {settings.bootstrap_servers}",
                              hint="nothing has been dead-lettered yet, or `dlq_topic` names another topic")
    if not dry_run:
        create_topics(admin, [TopicSpec(ledger, 1, config={"cleanup.policy": "compact"})])
    judge = judge or _judge(pipeline, registry_url, register=not dry_run)
    txn, ladder = None, None
    if not dry_run:
        limits = limits_from_cluster(settings, (pipeline.valid_topic, dlq), 30)
        sizes = {k.replace(".", "_"): v for k, v in limits.producer_config.items()}
        # First: this fences a replay that was killed and aborts its open transaction, which
        # would otherwise hold up read_committed reads of the ledger until it timed out.
        txn = TransactionalProducer(settings.client_config(
            transactional_id=f"sentinel-{pipeline.name}-replay", enable_idempotence=True, acks="all",
            logger=client_logger(), **sizes), 60)
        ladder = RefusalLadder(dlq, pipeline.name, lambda: txn.producer, 60)
        ladder.limits = limits
    consumer = Consumer(tail_consumer_config(settings, f"sentinel-{pipeline.name}-replay"))
    try:
        done = _ledger(consumer, ledger) if ledger in existing or not dry_run else set()
        ends = end_offsets(consumer, dlq)
        out.write(f"replay {pipeline.name} ({pipeline.path}): {sum(ends.values()):,} offsets in {dlq}, "
                  f"{len(done):,} already replayed; rules and registry as they are now\n")
        if dry_run:
            out.write("  dry run: nothing is written (a running replay's open transaction may hide some of "
                      "what it moved)\n")
        summary = ReplaySummary()
        run = uuid.uuid4().hex[:12]
        started = int(time.time() * 1000)
        consumer.assign([TopicPartition(dlq, p, 0) for p in ends])
        remaining = {p for p, end in ends.items() if end > 0}
        shown = 0
        quiet_since = time.monotonic()
        while remaining:
            batch = [m for m in consumer.consume(BATCH, 1.0) if m.error() is None and m.offset() < ends[m.partition()]]
            for tp in consumer.position([TopicPartition(dlq, p) for p in list(remaining)]):
                if tp.offset >= ends[tp.partition]:
                    remaining.discard(tp.partition)
            if batch:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 5.0:
                break  # what is left up to the end was aborted (a sentinel killed mid-transaction)
            picked, reasons = [], []
            for message in batch:
                summary.scanned += 1
                stage, rules, timestamp = _dead_letter(message)
                if not where.admits(stage, rules, timestamp):
                    summary.filtered_out += 1
                elif (message.partition(), message.offset()) in done:
                    summary.already += 1
                else:
                    picked.append(message)
                    reasons.append(", ".join(rules) if rules else f"stage {stage}")
            if not picked:
                continue
            verdicts = judge([_Source(m) for m in picked])
            moving = []
            for message, reason, verdict in zip(picked, reasons, verdicts):
                if verdict.valid and message.value() is not None:
                    moving.append((message, reason))
                    if dry_run:
                        summary.moved[reason] += 1
                    if dry_run and shown < SHOWN:
                        out.write(f"  would move {dlq}/{message.partition()}/{message.offset()} -> "
                                  f"{pipeline.valid_topic}: it failed {reason}; it passes now\n")
                        shown += 1
                else:
                    summary.still[reason] += 1
            if txn is not None and ladder is not None and moving:
                kpi = (lambda after: _kpi_value(pipeline, run, started, after, registry_url))
                summary = _move(txn, ladder, pipeline, moving, summary, kpi, _kpi_key(pipeline, run),
                                lambda: limits_from_cluster(settings, (pipeline.valid_topic, dlq), 30))
        if dry_run and summary.moved_total > shown:
            out.write(f"  ... and {summary.moved_total - shown:,} more ({summary.moved_total:,} in all, by what they "
                      "failed below)\n")
        _report(summary, pipeline, dry_run, out)
        return summary
    except DeadLetterRefused as e:
        raise GovernanceError(f"{pipeline.name}: {e}", hint=f"raise max.message.bytes of {dlq} (or fix the setting "
                              "it names), then replay again; nothing of the failed batch was written") from None
    finally:
        consumer.close()


def _move(txn: Any, ladder: Any, pipeline: Pipeline, moving: list[tuple[Any, str]], summary: ReplaySummary,
          kpi: Callable[[ReplaySummary], bytes], kpi_key: bytes, read_limits: Callable[[], Any]) -> ReplaySummary:
    """Write `moving` (DLQ records, and what each failed) in one transaction, each where the
    sentinel would put it now, with its ledger entries and the run's KPI record; return the
    summary with them counted. A refusal no limit predicted is found as the router finds one
    (`refusals.py`): the batch again, one record at a time."""
    from confluent_kafka import KafkaException

    from governance.kafka.transactions import about_one_record

    ledger = f"{pipeline.dlq_topic}-replayed"
    while True:
        after, learned = copy.deepcopy(summary), len(ladder.refused)
        try:
            with txn.transaction():
                for message, reason in moving:
                    source = _Source(message)
                    stage, _, timestamp = _dead_letter(message)
                    record = (pipeline.valid_topic, message.key(), message.value(), source.headers(), timestamp)
                    if stage != "produce":
                        refusal = ladder.place(source, True, *record)
                    elif ladder.offer(source, *record) is not None:
                        after.still[reason] += 1  # refused again: its dead letter says so already
                        continue
                    else:
                        refusal = None
                    (after.moved if refusal is None else after.refused)[reason] += 1
                    went = pipeline.valid_topic if refusal is None else pipeline.dlq_topic
                    ladder.produce(ledger, f"{message.partition()}/{message.offset()}".encode(), went.encode())
                ladder.produce(pipeline.kpi_topic, kpi_key, kpi(after))
        except KafkaException as e:
            if not about_one_record(e.args[0]) or (ladder.careful and len(ladder.refused) == learned):
                raise
            ladder.careful, ladder.limits = True, read_limits()
            continue
        ladder.careful = False
        ladder.refused.clear()
        return after


def _judge(pipeline: Pipeline, registry_url: str | None, register: bool) -> Callable[[list[Any]], list[Any]]:
    """`register`: writer schemas of moved records go under the valid topic's subject too (not in a dry run)."""
    from governance.sentinel.contracts import of_decoder
    from governance.sentinel.decode import Decoder
    from governance.sentinel.judge import SentinelJudge
    from governance.sentinel.valid_subject import valid_subject
    from governance.sentinel.validate import RecordValidator

    decoder = Decoder(pipeline.value_format, registry_url, pipeline.subject,
                      valid_subject=valid_subject(pipeline.valid_topic, pipeline.subject) if register else None)
    return SentinelJudge(decoder, RecordValidator(pipeline.record_rules),
                         contracts=of_decoder(decoder, pipeline.contract_rules))


def _ledger(consumer: Any, ledger: str) -> set[tuple[int, int]]:
    """(DLQ partition, offset) of every record a replay moved, from the ledger topic."""
    from confluent_kafka import TopicPartition

    from governance.kafka.tail import end_offsets, read_range

    done: set[tuple[int, int]] = set()
    for partition, end in end_offsets(consumer, ledger).items():
        # No transaction of ours is open (starting the producer fenced any): a quiet second is the end.
        for message in read_range(consumer, TopicPartition(ledger, partition, 0), end, timeout=120, idle=1.0):
            if message.key():
                p, _, o = message.key().decode().partition("/")
                done.add((int(p), int(o)))
    return done


def _dead_letter(message: Any) -> tuple[str, list[str], int]:
    """The DLQ record's stage, the rules it failed, and its original timestamp."""
    dead = h.dead_letter(message.headers() or ())
    original = dead.original_timestamp
    return dead.stage, dead.rules, original if original is not None else message.timestamp()[1]


class _Source:
    """A DLQ record as the judge and the refusal ladder see a source record: the same value,
    the source coordinates its dead-letter headers name, and the headers a replayed record gets."""

    __slots__ = ("_message", "_dead")

    def __init__(self, message: Any) -> None:
        self._message = message
        self._dead = h.dead_letter(message.headers() or ())

    def value(self) -> bytes | None:
        return self._message.value()

    def topic(self) -> str:
        return self._dead.topic

    def partition(self) -> int:
        return -1 if self._dead.partition is None else self._dead.partition

    def offset(self) -> int:
        return -1 if self._dead.offset is None else self._dead.offset

    def headers(self) -> list[tuple[str, bytes]]:
        """The original headers, and where in the DLQ it was replayed from."""
        m = self._message
        return h.original_headers(m.headers() or ()) + [(h.REPLAYED_FROM, f"{m.topic()}/{m.partition()}/{m.offset()}".encode())]


def _kpi_key(pipeline: Pipeline, run: str) -> bytes:
    return f"{pipeline.name}/replay/{run}".encode()


def _kpi_value(pipeline: Pipeline, run: str, started: int, summary: ReplaySummary, registry_url: str | None) -> bytes:
    from governance.sentinel.kpi import AvroKpiEncoder, KpiWindow, WindowStats, json_kpi

    moved, refused = summary.moved_total, sum(summary.refused.values())
    stats = WindowStats(0, moved, refused, 0, 0, {}, 0.0, None, None, replayed=moved)
    record = KpiWindow(pipeline.name, f"replay-{run}", started, int(time.time() * 1000), True, stats, stats, 0, (), 0, ())
    if registry_url is None:
        return json_kpi(record.as_avro())
    from governance.sentinel.topics import register_kpi_schema

    return AvroKpiEncoder(register_kpi_schema(registry_url, pipeline))(record.as_avro())


def _report(summary: ReplaySummary, pipeline: Pipeline, dry_run: bool, out: TextIO) -> None:
    reasons = sorted(set(summary.moved) | set(summary.still) | set(summary.refused))
    if reasons:
        width = max(len(r) for r in reasons)
        out.write(f"  {'what it failed':<{width}}  {'passes now':>10}  {'still fails':>11}\n")
        for reason in reasons:
            out.write(f"  {reason:<{width}}  {summary.moved[reason]:>10,}  {summary.still[reason]:>11,}\n")
    verb = "would move" if dry_run else "moved"
    refused = sum(summary.refused.values())
    if refused:
        out.write(f"{refused:,} record(s) that pass now were refused by {pipeline.valid_topic} and went back to "
                  f"{pipeline.dlq_topic} with the reason (stage produce)\n")
    out.write(f"{verb} {summary.moved_total:,} record(s) to {pipeline.valid_topic}; "
              f"{sum(summary.still.values()):,} stay in {pipeline.dlq_topic} only; "
              f"{summary.already:,} replayed before; {summary.filtered_out:,} outside the filters "
              f"({summary.scanned:,} read)\n")

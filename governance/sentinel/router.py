"""The routing engine: consume source topics, ask a judge about each micro-batch,
write valid records to the valid topic and invalid ones to the dead-letter topic,
and commit outputs and consumer offsets in one Kafka transaction.

Why these choices:

- One consumer and one transactional producer per process. Zombie fencing
  relies on KIP-447: `send_offsets_to_transaction` carries the consumer's group
  metadata, so a process that lost its partitions in a rebalance cannot commit
  their offsets. The transactional id therefore only needs to be unique per
  process; with a stable `instance_id` (for example one per container or
  systemd slot) a restarted process also aborts its predecessor's open
  transaction at once instead of after `transaction.timeout.ms`, and rejoins
  the group as the same static member without waiting for a session timeout.
  Two live processes given one id would fence each other for ever: the one
  fenced for good (`fencing.py`) stops, committing nothing more, and raises
  `InstanceTakenOver`.
- Eager rebalancing (`roundrobin`). The single open transaction covers every
  partition, so a revoke of any partition commits all of it; cooperative
  rebalancing would keep the other partitions flowing during a rebalance but
  still pay the commit, and it complicates seeking back after an abort.
- librdkafka 2.16 against Kafka 4.x fails fatally when aborting with records in
  flight, so every abort flushes first.
- A judge may work ahead (`submit`, the sentinel's judge workers): while this
  process routes a batch, the workers judge the next one. A commit then covers
  offsets only up to the first record of the batch judged ahead; a revoke or a
  stop routes that batch first, and an abort or a lost assignment forgets it
  (it is read again from the committed offsets).
- One record must never stall the pipeline. A broker that refuses one record
  (too large, a timestamp out of bounds, no key for a compacted topic) makes the
  whole transaction abortable, and routing the batch again would fail again
  forever. So each record goes down a ladder: its topic, else the DLQ with the
  reason, else a DLQ record with what was refused left out (`_place`). What the
  output topics refuse is predicted from their configs (`limits.py`); a refusal
  that was not predicted makes the router re-read the configs and route the
  failed span again record by record ("careful" mode), so the refused record is
  found and placed on the ladder while its neighbours flow.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from confluent_kafka import (
    OFFSET_BEGINNING,
    TIMESTAMP_NOT_AVAILABLE,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)

from governance.kafka import KafkaSettings
from governance.kafka.logs import client_logger
from governance.sentinel.headers import ORIGINAL_TIMESTAMP, OMITTED, OMITTED_REASON, dlq_headers
from governance.kafka.limits import OutputLimits, Refusal, read_limits
from governance.sentinel.bounded import Bounded
from governance.sentinel.fencing import (
    FENCE_CODES,
    REBUILD_DELAY_S,
    FenceWatch,
    InstanceTakenOver,
    instance_conflict,
    is_fence,
)
from governance.sentinel.routing import Counters, Judge, Outbox, RouterStats, Verdict

log = logging.getLogger(__name__)

Guarantee = Literal["exactly_once", "at_least_once"]

RouterEvent = Literal["assigned", "revoked", "lost", "routed"]
EventHook = Callable[[RouterEvent, int], None]
"""(event, count): partitions assigned, revoked or lost (before the router acts on them),
or records routed into the open transaction (after). Called on the routing thread."""


@dataclass(frozen=True)
class RouterConfig:
    sources: tuple[str, ...]
    valid_topic: str
    dlq_topic: str
    group_id: str
    pipeline_name: str
    transactional_id_prefix: str
    commit_every_records: int = 1000
    commit_every_ms: int = 1000
    guarantee: Guarantee = "exactly_once"
    instance_id: str | None = None
    """Stable per process slot: the transactional id suffix and the static group
    member id. None: a random id, and dynamic group membership."""
    batch_size: int = 1000
    transaction_timeout_ms: int = 60_000
    session_timeout_ms: int = 45_000
    operation_timeout_s: float = 60.0


_RECORD_CODES = {
    KafkaError.MSG_SIZE_TOO_LARGE,
    KafkaError.INVALID_RECORD,
    KafkaError.INVALID_TIMESTAMP,
    KafkaError.RECORD_LIST_TOO_LARGE,
    KafkaError.INVALID_MSG,
    KafkaError.INVALID_MSG_SIZE,
    KafkaError._INVALID_ARG,
}
"""Errors about one record (or its batch), not about the cluster: retrying cannot help."""

_REFUSAL_KINDS = {
    KafkaError.MSG_SIZE_TOO_LARGE: ("size", "org.apache.kafka.common.errors.RecordTooLargeException"),
    KafkaError.RECORD_LIST_TOO_LARGE: ("size", "org.apache.kafka.common.errors.RecordBatchTooLargeException"),
    KafkaError.INVALID_MSG_SIZE: ("size", "org.apache.kafka.common.errors.InvalidRecordException"),
    KafkaError.INVALID_TIMESTAMP: ("timestamp", "org.apache.kafka.common.errors.InvalidTimestampException"),
}


class DeadLetterRefused(Exception):
    """Even a dead-letter record without the value was refused: the DLQ itself needs fixing."""


_REBUILD_CODES = FENCE_CODES | {KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED}


class _Ahead:
    """A batch handed to a judge that works ahead, and its ticket for the verdicts."""

    def __init__(self, messages: list[Message], ticket: Any) -> None:
        self.messages, self.ticket = messages, ticket

    def firsts(self) -> dict[tuple[str, int], int]:
        """The offset of its first record in each partition."""
        out: dict[tuple[str, int], int] = {}
        for m in self.messages:
            key = (m.topic(), m.partition())
            if key not in out:
                out[key] = m.offset()  # type: ignore[assignment]
        return out


class Router:
    def __init__(self, settings: KafkaSettings, config: RouterConfig, judge: Judge, outbox: Outbox | None = None,
                 limits: Callable[[], OutputLimits] | None = None, on_event: EventHook | None = None) -> None:
        """`limits` reads what the output topics refuse; by default from their configs on the cluster."""
        if not config.sources:
            raise ValueError("a router needs at least one source topic")
        self.settings = settings
        self.config = config
        self.judge = judge
        self.outbox = outbox
        self.on_event = on_event
        self.assigned = threading.Event()
        self.instance_id = config.instance_id or uuid.uuid4().hex
        self.transactional_id = f"{config.transactional_id_prefix}-{self.instance_id}"
        self._exactly_once = config.guarantee == "exactly_once"
        self._lock = threading.Lock()
        self._stats = RouterStats()
        self._pending = Counters()
        self._in_txn = False
        self._opened_at = 0.0
        self._delivery_errors: list[KafkaError] = []
        self._producer: Producer | None = None
        self._consumer: Consumer | None = None
        self._on_commit: Callable[[RouterStats], None] | None = None
        self._failed = False
        self._read_limits = limits or self._limits_from_cluster
        self._limits = OutputLimits(())
        self._careful = False
        self._ahead: _Ahead | None = None
        """A batch consumed and being judged, routed on the next step (a judge with `submit`)."""
        self._refused: dict[tuple[str, int, int, str], Refusal] = {}
        """(source topic, partition, offset, output topic) -> what that output refused, found in careful mode."""
        self._fences = FenceWatch(config.transaction_timeout_ms / 1000)
        self._bounded = Bounded(log.warning)
        self._takeover: InstanceTakenOver | None = None
        """Set once another process works under this one's instance id (`fencing.py`): stop, commit nothing."""

    # -- what others read -------------------------------------------------

    def stats(self) -> RouterStats:
        with self._lock:
            return RouterStats(
                self._stats.committed.copy(), self._stats.commits, self._stats.aborts, self._stats.producer_rebuilds
            )

    # -- the loop -----------------------------------------------------------

    def run(self, stop: threading.Event, on_commit: Callable[[RouterStats], None] | None = None) -> None:
        """Route until `stop` is set, then commit what is open and leave the group. Raises
        `InstanceTakenOver`, having committed nothing more, when another process uses its instance id."""
        self._on_commit = on_commit
        self._limits = self._read_limits()
        self._producer = self._new_producer()
        self._consumer = Consumer(self._consumer_config())
        self._consumer.subscribe(
            list(self.config.sources), on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost
        )
        try:
            while not stop.is_set() and self._takeover is None:
                self._step()
            if self._takeover is None:
                self._drain_or_recover()
                self._commit_or_recover(rewind=False, final=True)
            else:
                self._failed = True  # _step dropped the open transaction; the revoke must not commit
        except BaseException:
            # The consumer's position may be past records that were never routed
            # (a judge that raised, say): leave without committing anything.
            self._failed = True
            if self._takeover is None:  # a fenced producer is left alone: it has nothing open
                self._abort_open()
            raise
        finally:
            self._consumer.close()  # revokes: commits anything still open
            if self._producer is not None and self._takeover is None:
                self._producer.flush(self.config.operation_timeout_s)
        if self._takeover is not None:
            raise self._takeover

    def _step(self) -> None:
        assert self._consumer is not None
        messages = self._consumer.consume(self._room(), 0.1)
        good = []
        for message in messages:
            err = message.error()
            if err is None:
                good.append(message)
            elif instance_conflict(err):
                self._take_over(f"Kafka fenced its consumer: another member of group {self.config.group_id} "
                                f"joined with group.instance.id {self.instance_id}")
            elif err.fatal() or err.code() == KafkaError._FATAL:
                raise KafkaException(err)
            else:
                log.warning("consumer: %s", err)
        if self._takeover is not None:  # also when a rebalance callback inside consume() found it
            self._forget_ahead()
            self._abort_open()
            return
        try:
            routed = self._advance(good)
            if routed and self.on_event is not None:
                self.on_event("routed", routed)
        except KafkaException as e:
            self._recover(e.args[0], rewind=True)
            return
        if self._due() or (self.outbox is not None and self.outbox.due()):
            self._commit_or_recover(rewind=True)

    def _advance(self, messages: list[Message]) -> int:
        """Route what is judged: `messages` now, or, for a judge that works ahead (`submit`),
        the batch before them while it judges these. Returns how many records were routed."""
        submit = getattr(self.judge, "submit", None)
        if submit is None or len(messages) < self.judge.min_split:  # type: ignore[attr-defined]
            routed = self._drain()
            if messages:
                self._route(messages, self.judge(messages))
            return routed + len(messages)
        previous, self._ahead = self._ahead, _Ahead(messages, submit(messages))
        return self._route_ahead(previous)

    def _drain(self) -> int:
        """Route the batch judged ahead, if any."""
        ahead, self._ahead = self._ahead, None
        return self._route_ahead(ahead)

    def _route_ahead(self, ahead: _Ahead | None) -> int:
        if ahead is None:
            return 0
        self._route(ahead.messages, ahead.ticket.verdicts())
        return len(ahead.messages)

    def _forget_ahead(self) -> None:
        """Drop the batch judged ahead: it was not routed and is read again from the committed offsets."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.ticket.discard()

    def _room(self) -> int:
        left = self.config.commit_every_records - self._pending.records_in
        return max(1, min(self.config.batch_size, left))

    def _due(self) -> bool:
        if self._pending.records_in == 0:
            return False
        if self._pending.records_in >= self.config.commit_every_records:
            return True
        return (time.monotonic() - self._opened_at) * 1000 >= self.config.commit_every_ms

    # -- routing --------------------------------------------------------------

    def _route(self, messages: list[Message], verdicts: Sequence[Verdict]) -> None:
        if len(verdicts) != len(messages):
            raise ValueError(f"judge returned {len(verdicts)} verdicts for {len(messages)} records")
        producer = self._producer
        assert producer is not None
        if self._pending.records_in == 0:
            self._opened_at = time.monotonic()
        if self._exactly_once and not self._in_txn:
            self._fences.began()
            producer.begin_transaction()
            self._in_txn = True
        config = self.config
        pending = self._pending
        limits = self._limits
        clear_below = limits.clear_below
        weigh_headers = not limits.client_checks_size
        check_each = self._careful
        ts_low, ts_high = limits.timestamp_window(int(time.time() * 1000))
        keyless_refused = limits.any_compacted
        for message, verdict in zip(messages, verdicts):
            ts_type, ts = message.timestamp()
            timestamp = 0 if ts_type == TIMESTAMP_NOT_AVAILABLE else ts
            key, value = message.key(), message.value()
            headers = message.headers()
            if verdict.valid:
                topic = config.valid_topic
                pending.valid += 1
            else:
                stage = verdict.stage or "validate"
                topic = config.dlq_topic
                headers = self._dlq_headers(message, headers, stage, verdict.failed_rules,
                                            verdict.exception_class, verdict.exception_message)
                pending.invalid += 1
                pending.invalid_by_stage[stage] = pending.invalid_by_stage.get(stage, 0) + 1
            size = (len(value) if value else 0) + (len(key) if key else 0)
            if headers and weigh_headers:
                size += _headers_size(headers)
            if (check_each or size > clear_below or (key is None and keyless_refused)
                    or (timestamp and not ts_low <= timestamp <= ts_high)):
                self._place(message, verdict.valid, topic, key, value, headers, timestamp)
                continue
            try:
                self._produce(topic, key, value, headers, timestamp)
            except KafkaException as e:
                if e.args[0].code() != KafkaError.MSG_SIZE_TOO_LARGE:
                    raise
                # refused in produce(), nothing sent: its headers made it too large for the topic
                self._place(message, verdict.valid, topic, key, value, headers, timestamp)
        pending.records_in += len(messages)
        producer.poll(0)

    def _dlq_headers(self, message: Message, original: Sequence[tuple[str, bytes]] | None, stage: str,
                     failed_rules: Sequence[tuple[str, str]], exception_class: str | None,
                     exception_message: str | None) -> list[tuple[str, bytes]]:
        return dlq_headers(
            original, topic=message.topic(), partition=message.partition(), offset=message.offset(), stage=stage,
            pipeline=self.config.pipeline_name, failed_rules=failed_rules,
            exception_class=exception_class, exception_message=exception_message,
        )

    def _place(self, message: Message, valid: bool, topic: str, key: bytes | None, value: bytes | None,
               headers: list[tuple[str, bytes]] | None, timestamp: int) -> None:
        """Write the record where it is judged to go, else one step down the ladder:
        a valid record its topic refuses goes to the DLQ with the reason, and a DLQ
        record the DLQ refuses goes there with the refused part changed or left out."""
        refusal = self._try(message, topic, key, value, headers, timestamp)
        if refusal is None:
            return
        dlq = self.config.dlq_topic
        if valid:
            pending = self._pending
            pending.valid -= 1
            pending.invalid += 1
            pending.invalid_by_stage["produce"] = pending.invalid_by_stage.get("produce", 0) + 1
            if self.outbox is not None:
                self.outbox.rerouted(1)
            log.warning("%s[%d] offset %d goes to %s: %s refused it: %s", message.topic(), message.partition(),
                        message.offset(), dlq, topic, refusal.reason)
            headers = self._dlq_headers(message, message.headers(), "produce", (), refusal.exception_class,
                                        f"{topic} refused the record: {refusal.reason}")
            refusal = self._try(message, dlq, key, value, headers, timestamp)
        omitted: list[str] = []
        while refusal is not None:
            log.warning("%s[%d] offset %d: %s refused its dead-letter record (%s); writing it %s",
                        message.topic(), message.partition(), message.offset(), dlq, refusal.reason,
                        "without its value" if refusal.kind == "size" else "with that fixed")
            key, value, headers, timestamp = self._fallback(message, refusal, key, value, headers or [], timestamp, omitted)
            refusal = self._try(message, dlq, key, value, headers, timestamp)

    def _fallback(self, message: Message, refusal: Refusal, key: bytes | None, value: bytes | None,
                  headers: list[tuple[str, bytes]], timestamp: int, omitted: list[str],
                  ) -> tuple[bytes | None, bytes | None, list[tuple[str, bytes]], int]:
        """The DLQ record changed so that what was refused no longer is."""
        coordinates = f"{message.topic()}/{message.partition()}/{message.offset()}".encode()
        if refusal.kind == "timestamp" and timestamp > 0:
            return key, value, [*headers, (ORIGINAL_TIMESTAMP, str(timestamp).encode())], 0
        if refusal.kind == "key" and key is None:
            return coordinates, value, headers, timestamp
        # A refusal of another kind (a broker-side check we do not model) is met like size: leave things out.
        if refusal.kind in ("size", "record") and "value" not in omitted:
            omitted.append("value")
            return key, None, _omitting(headers, omitted, refusal.reason, value), timestamp
        if refusal.kind in ("size", "record") and "headers" not in omitted:
            # What is left too large is the key or the record's own headers: keep only ours, shortened.
            omitted += ["key", "headers"]
            ours = [(k, v[:2000]) for k, v in headers if k.startswith(("__connect.errors.", "__sentinel."))]
            return (coordinates if self._limits_compacted() else None), None, _omitting(ours, omitted, refusal.reason), timestamp
        raise DeadLetterRefused(
            f"{self.config.dlq_topic} refuses even a small dead-letter record for {message.topic()}[{message.partition()}] "
            f"offset {message.offset()}: {refusal.reason}")

    def _limits_compacted(self) -> bool:
        dlq = self._limits.topics.get(self.config.dlq_topic)
        return dlq is not None and dlq.compacted

    def _try(self, message: Message, topic: str, key: bytes | None, value: bytes | None,
             headers: Sequence[tuple[str, bytes]] | None, timestamp: int) -> Refusal | None:
        """Produce unless the topic is known to refuse the record; the refusal otherwise."""
        refusal = self._refused.get((message.topic(), message.partition(), message.offset(), topic))
        if refusal is None:
            refusal = self._limits.refusal(topic, key, value, headers, timestamp)
        if refusal is not None:
            return refusal
        errors: list[KafkaError | None] = []
        try:
            self._produce(topic, key, value, headers, timestamp,
                          on_delivery=(lambda err, _: errors.append(err)) if self._careful else None)
        except KafkaException as e:
            err: KafkaError = e.args[0]
            if err.code() not in _RECORD_CODES:
                raise
            # refused by the client before anything was sent: the transaction is intact
            return _refusal_of(err, topic)
        if self._careful:
            self._await_delivery(message, topic, errors)
        return None

    def _await_delivery(self, message: Message, topic: str, errors: list[KafkaError | None]) -> None:
        """Careful mode: one record in flight at a time, so a refusal names its record.
        The refusal is remembered for when the span is routed again, and the transaction
        it spoiled is dropped."""
        producer = self._producer
        assert producer is not None
        producer.flush(self.config.operation_timeout_s)
        err = errors[0] if errors else None
        if err is None:
            return
        if err.code() in _RECORD_CODES:
            self._refused[(message.topic(), message.partition(), message.offset(), topic)] = _refusal_of(err, topic)
        raise KafkaException(err)

    def _produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]] | None,
        timestamp: int = 0,
        on_delivery: Callable[[KafkaError | None, Message], None] | None = None,
    ) -> None:
        producer = self._producer
        assert producer is not None
        extra: dict[str, object] = {"on_delivery": on_delivery} if on_delivery is not None else {}
        if headers:
            extra["headers"] = headers
        while True:
            try:
                producer.produce(topic, value, key, timestamp=timestamp, **extra)
                return
            except BufferError:
                producer.poll(0.05)

    # -- committing -------------------------------------------------------------

    def _commit(self, final: bool = False) -> None:
        producer, consumer = self._producer, self._consumer
        assert producer is not None and consumer is not None
        outbox = self.outbox
        if self._pending.records_in == 0 and not self._in_txn and not (outbox is not None and (final or outbox.due())):
            return
        if self._exactly_once and not self._in_txn:
            self._fences.began()
            producer.begin_transaction()
            self._in_txn = True
        if outbox is not None:
            for topic, key, value in outbox.records(final):
                self._produce(topic, key, value, None)
        offsets = [tp for tp in consumer.position(consumer.assignment()) if tp.offset >= 0]
        if self._ahead is not None:  # consumed but not routed: commit up to its first record
            firsts = self._ahead.firsts()
            offsets = [TopicPartition(tp.topic, tp.partition, firsts.get((tp.topic, tp.partition), tp.offset))
                       for tp in offsets]
        timeout = self.config.operation_timeout_s
        if self._exactly_once:
            metadata = consumer.consumer_group_metadata()
            if offsets:
                self._retrying(producer, lambda: producer.send_offsets_to_transaction(offsets, metadata, timeout),
                               "add the consumer offsets to the transaction")
            self._retrying(producer, lambda: producer.commit_transaction(timeout), "commit the transaction")
            self._in_txn = False
        else:
            if producer.flush(timeout) > 0:
                raise KafkaException(KafkaError(KafkaError._MSG_TIMED_OUT, "records still in flight after flush"))
            if self._delivery_errors:
                raise KafkaException(self._delivery_errors[0])
            if offsets:
                consumer.commit(offsets=offsets, asynchronous=False)
        with self._lock:
            self._stats.committed.add(self._pending)
            self._stats.commits += 1
        self._pending = Counters()
        if self._careful:
            log.info("careful routing done: back to batches")
        self._careful = False
        self._refused.clear()
        if outbox is not None:
            outbox.committed()
        if self._on_commit is not None:
            self._on_commit(self.stats())

    def _retrying(self, producer: Producer, operation: Callable[[], object], what: str) -> None:
        """`operation` (given `operation_timeout_s`) again while it fails retriably, for that long;
        each attempt bounded here too (`bounded.py`)."""
        timeout = self.config.operation_timeout_s
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._bounded.call(operation, what, timeout, serve=lambda: producer.poll(0))
                return
            except KafkaException as e:
                err: KafkaError = e.args[0]
                if err.retriable() and not err.txn_requires_abort() and time.monotonic() < deadline:
                    log.info("retrying after %s", err)
                    time.sleep(0.1)
                    continue
                raise

    def _drain_or_recover(self) -> None:
        try:
            self._drain()
        except KafkaException as e:
            self._recover(e.args[0], rewind=False)

    def _commit_or_recover(self, *, rewind: bool, final: bool = False) -> None:
        try:
            self._commit(final)
        except KafkaException as e:
            self._recover(e.args[0], rewind=rewind)

    # -- recovery ---------------------------------------------------------------

    def _recover(self, err: KafkaError, *, rewind: bool) -> None:
        """Drop the open transaction (abort, or a new producer when this one is
        fenced or fatally broken), then read again from the committed offsets; or, when
        another process took over the instance id, drop it and read nothing more."""
        self._forget_ahead()
        if self._fenced_for_good(err):
            self._rebuild_producer(err)
            return
        log.warning("routing failed, resuming from committed offsets: %s", err)
        if err.fatal() or err.code() in _REBUILD_CODES:
            self._rebuild_producer(err)
        else:
            self._abort_open()
        if err.code() in _RECORD_CODES:
            self._learn_limits()
        if rewind:
            self._rewind()

    def _abort_open(self) -> None:
        producer = self._producer
        assert producer is not None
        timeout = self.config.operation_timeout_s
        try:
            producer.flush(timeout)  # see the module docstring: abort with records in flight is fatal
            if self._exactly_once and self._in_txn:
                self._bounded.call(lambda: producer.abort_transaction(timeout), "abort the transaction", timeout,
                                   serve=lambda: producer.poll(0))
        except KafkaException as e:
            if not self._fenced_for_good(e.args[0]):
                log.warning("abort failed, starting a new producer: %s", e.args[0])
            self._rebuild_producer(e.args[0])
            return
        self._discard_pending()

    def _fenced_for_good(self, err: KafkaError) -> bool:
        """Is this fence (if it is one) the work of another process that uses this one's instance id?"""
        if self._takeover is None and is_fence(err) and (evidence := self._fences.takeover()) is not None:
            self._take_over(evidence)
        return self._takeover is not None

    def _take_over(self, evidence: str) -> None:
        if self._takeover is None:
            self._takeover = InstanceTakenOver(self.instance_id, self.transactional_id, evidence)
            log.warning("%s; stopping without committing anything more", self._takeover)

    def _learn_limits(self) -> None:
        """An output refused a record: re-read the limits (they may have changed) and route
        the span again one record at a time, so that whatever was not predicted is found."""
        if not self._careful:
            log.warning("an output topic refused a record: routing the uncommitted records one by one to find it")
        self._careful = True
        before = self._limits.producer_config
        try:
            self._limits = self._read_limits()
        except KafkaException as e:
            log.warning("could not re-read the output topics' limits: %s", e.args[0])
        if self._limits.producer_config != before:
            self._rebuild_producer()

    def _limits_from_cluster(self) -> OutputLimits:
        topics = (self.config.valid_topic, self.config.dlq_topic)
        try:
            return read_limits(self.settings, topics, self.config.operation_timeout_s)
        except KafkaException as e:
            log.warning("cannot read the limits of %s (%s): assuming Kafka's defaults", ", ".join(topics), e.args[0])
            return OutputLimits(())

    def _rebuild_producer(self, cause: KafkaError | None = None) -> None:
        old = self._producer
        if old is not None:
            old.purge()
        self._discard_pending()
        if self._takeover is not None:
            return  # keep the fenced one: a new producer would fence the process that took over
        self._producer = None
        fenced = cause is not None and is_fence(cause)
        if fenced:
            time.sleep(REBUILD_DELAY_S)  # let another client's init_transactions finish first (fencing.py)
        self._producer = self._new_producer(replacing_fenced=fenced)
        with self._lock:
            self._stats.producer_rebuilds += 1

    def _discard_pending(self) -> None:
        with self._lock:
            self._stats.aborts += 1 if (self._in_txn or self._pending.records_in) else 0
        self._in_txn = False
        self._pending = Counters()
        self._delivery_errors.clear()
        if self.outbox is not None:
            self.outbox.aborted()

    def _rewind(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        assignment = consumer.assignment()
        if not assignment:
            return
        committed = consumer.committed(assignment, timeout=self.config.operation_timeout_s)
        for tp in committed:
            offset = tp.offset if tp.offset >= 0 else OFFSET_BEGINNING
            self._seek(TopicPartition(tp.topic, tp.partition, offset))

    def _seek(self, tp: TopicPartition) -> None:
        assert self._consumer is not None
        deadline = time.monotonic() + self.config.operation_timeout_s
        while True:
            try:
                self._consumer.seek(tp)
                return
            except KafkaException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def lag(self) -> int:
        """Records between this process's position and the cached high watermarks of its
        partitions (no broker round trip). Call from the routing thread, e.g. in an outbox."""
        consumer = self._consumer
        if consumer is None:
            return 0
        total = 0
        for tp in consumer.position(consumer.assignment()):
            _, high = consumer.get_watermark_offsets(tp, cached=True)
            if high >= 0 and tp.offset >= 0:
                total += max(0, high - tp.offset)
        return total

    # -- rebalance callbacks (they run inside consume(); they must not raise) ---

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self.on_event is not None:
            self.on_event("assigned", len(partitions))
        log.info("assigned %s", _partitions(partitions))
        self.assigned.set()

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self.on_event is not None:
            self.on_event("revoked", len(partitions))
        log.info("revoked %s: committing the open transaction", _partitions(partitions))
        if not self._failed:
            self._drain_or_recover()
            self._commit_or_recover(rewind=False)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self.on_event is not None:
            self.on_event("lost", len(partitions))
        log.warning("lost %s: aborting the open transaction", _partitions(partitions))
        self._forget_ahead()
        self._abort_open()

    # -- clients ------------------------------------------------------------------

    def _new_producer(self, replacing_fenced: bool = False) -> Producer:
        sizes = {k.replace(".", "_"): v for k, v in self._limits.producer_config.items()}
        if self._exactly_once:
            producer = Producer(
                self.settings.client_config(
                    transactional_id=self.transactional_id,
                    transaction_timeout_ms=self.config.transaction_timeout_ms,
                    enable_idempotence=True,
                    acks="all",
                    linger_ms=5,
                    logger=client_logger(),
                    **sizes,
                )
            )
            self._retrying(producer, lambda: producer.init_transactions(self.config.operation_timeout_s),
                           f"initialise a producer with transactional.id {self.transactional_id}")
            self._fences.started(replacing_fenced)
            return producer
        config = self.settings.client_config(enable_idempotence=True, acks="all", linger_ms=5, logger=client_logger(), **sizes)
        config["on_delivery"] = self._on_delivery
        return Producer(config)

    def _on_delivery(self, err: KafkaError | None, message: Message) -> None:
        if err is not None:
            self._delivery_errors.append(err)

    def _consumer_config(self) -> dict[str, object]:
        config = self.settings.client_config(
            group_id=self.config.group_id,
            isolation_level="read_committed",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            partition_assignment_strategy="roundrobin",
            session_timeout_ms=self.config.session_timeout_ms,
            logger=client_logger(),
        )
        if self.config.instance_id is not None:
            config["group.instance.id"] = self.config.instance_id
        return config


def _refusal_of(err: KafkaError, topic: str) -> Refusal:
    kind, exception_class = _REFUSAL_KINDS.get(err.code(), ("record", "org.apache.kafka.common.InvalidRecordException"))
    return Refusal(kind, exception_class, f"topic {topic} refused it: {err.str()} ({err.name()})")


def _omitting(headers: list[tuple[str, bytes]], omitted: list[str], reason: str,
              value: bytes | None = None) -> list[tuple[str, bytes]]:
    kept = [(k, v) for k, v in headers if k not in (OMITTED, OMITTED_REASON)]
    what = ",".join(omitted)
    size = f" of {len(value):,} bytes" if value is not None else ""
    return [*kept, (OMITTED, what.encode()),
            (OMITTED_REASON, f"left out the {what}{size}: {reason}; read the record from its source "
                             "topic at the partition and offset in __connect.errors.*".encode())]


def _partitions(partitions: list[TopicPartition]) -> str:
    """`orders[0,1,2], payments[0]` for log lines."""
    by_topic: dict[str, list[int]] = {}
    for tp in partitions:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    return ", ".join(f"{t}[{','.join(map(str, sorted(ps)))}]" for t, ps in sorted(by_topic.items())) or "no partitions"


def _headers_size(headers: Sequence[tuple[str, bytes | None]]) -> int:
    """Names and values plus two per header, unzipped and joined in C (on a record of a
    thousand headers: 41 µs, against 60 µs mapping itemgetters and 65 µs summing lengths)."""
    names, values = zip(*headers)
    try:
        return len("".join(names)) + len(b"".join(values)) + 2 * len(headers)
    except TypeError:  # a null header value
        return sum(len(k) + len(v or b"") + 2 for k, v in headers)

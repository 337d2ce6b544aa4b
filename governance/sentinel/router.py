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
- The transactional producer is `kafka/transactions.py`'s: it flushes before each abort,
  rebuilds itself when fenced, and knows which errors concern one record.
- A judge may work ahead (`JudgeAhead`, the sentinel's judge workers): while this
  process routes a batch, the workers judge the next one. A commit then covers
  offsets only up to the first record of the batch judged ahead; a revoke or a
  stop routes that batch first, and an abort or a lost assignment forgets it
  (it is read again from the committed offsets).
- One record must never stall the pipeline: each goes down the refusal ladder
  (`refusals.py`). A refusal that the output topics' configs did not predict makes
  the router abort, re-read them and route the span again record by record.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from governance.kafka import KafkaSettings
from governance.kafka.bounded import Bounded
from governance.kafka.fencing import InstanceTakenOver, instance_conflict
from governance.kafka.limits import OutputLimits
from governance.kafka.logs import client_logger
from governance.kafka.transactions import TransactionalProducer, about_one_record, needs_new_producer
from governance.sentinel.consuming import consumer_config, lag, partitions_text, rewind_to_committed
from governance.sentinel.refusals import RefusalLadder, headers_size, limits_from_cluster
from governance.sentinel.routing import AheadBatch, Counters, Judge, JudgeAhead, Outbox, RouterStats, Verdict

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


class Router:
    def __init__(self, settings: KafkaSettings, config: RouterConfig, judge: Judge | JudgeAhead, outbox: Outbox | None = None,
                 limits: Callable[[], OutputLimits] | None = None, on_event: EventHook | None = None) -> None:
        """`limits` reads what the output topics refuse; by default from their configs on the cluster."""
        if not config.sources:
            raise ValueError("a router needs at least one source topic")
        self.settings = settings
        self.config = config
        self.judge = judge
        self._judge_ahead = judge if isinstance(judge, JudgeAhead) else None
        self.outbox, self.on_event = outbox, on_event
        self.assigned = threading.Event()
        self.instance_id = config.instance_id or uuid.uuid4().hex
        self.transactional_id = f"{config.transactional_id_prefix}-{self.instance_id}"
        self._exactly_once = config.guarantee == "exactly_once"
        self._lock, self._stats, self._pending = threading.Lock(), RouterStats(), Counters()
        self._opened_at, self.looped_at = 0.0, 0.0
        """`looped_at`: `time.monotonic()` when the routing loop last turned (the sentinel's /healthz reads it)."""
        self._delivery_errors: list[KafkaError] = []
        self._txn: TransactionalProducer | None = None
        """Exactly once: the transactional producer. At least once: `_plain`."""
        self._plain: Producer | None = None
        self._consumer: Consumer | None = None
        self._on_commit: Callable[[RouterStats], None] | None = None
        self._failed = False
        self._read_limits = limits or (lambda: limits_from_cluster(
            settings, (config.valid_topic, config.dlq_topic), config.operation_timeout_s))
        self._ladder = RefusalLadder(config.dlq_topic, config.pipeline_name, lambda: self._producer,
                                     config.operation_timeout_s)
        self._ahead: AheadBatch | None = None
        """A batch consumed and being judged, routed on the next step (a `JudgeAhead`)."""
        self.bounded = Bounded(log.warning)
        self._takeover: InstanceTakenOver | None = None
        """Set once another process works under this one's instance id (`fencing.py`): stop, commit nothing."""

    @property
    def _producer(self) -> Producer | None:
        return self._txn.producer if self._txn is not None else self._plain

    @property
    def _in_txn(self) -> bool:
        return self._txn is not None and self._txn.in_transaction

    # -- what others read -------------------------------------------------

    def stats(self) -> RouterStats:
        with self._lock:
            return self._stats.copy()

    @property
    def transactions(self) -> TransactionalProducer | None:
        """The transactional producer (exactly once; None before it started, or at least once)."""
        return self._txn

    # -- the loop -----------------------------------------------------------

    def run(self, stop: threading.Event, on_commit: Callable[[RouterStats], None] | None = None) -> None:
        """Route until `stop` is set, then commit what is open and leave the group. Raises
        `InstanceTakenOver`, having committed nothing more, when another process uses its instance id."""
        self._on_commit = on_commit
        self._ladder.limits = self._read_limits()
        self._start_producer()
        config = self.config
        self._consumer = Consumer(consumer_config(self.settings, config.group_id, config.session_timeout_ms,
                                                  config.instance_id))
        self._consumer.subscribe(list(config.sources), on_assign=self._on_assign, on_revoke=self._on_revoke,
                                 on_lost=self._on_lost)
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
        self.looped_at = time.monotonic()
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
        """Route what is judged: `messages` now, or, for a judge that works ahead,
        the batch before them while it judges these. Returns how many records were routed."""
        ahead = self._judge_ahead
        if ahead is None or len(messages) < ahead.min_split:
            routed = self._drain()
            if messages:
                self._route(messages, self.judge(messages))
            return routed + len(messages)
        previous, self._ahead = self._ahead, AheadBatch(messages, ahead.submit(messages))
        return self._route_ahead(previous)

    def _drain(self) -> int:
        """Route the batch judged ahead, if any."""
        ahead, self._ahead = self._ahead, None
        return self._route_ahead(ahead)

    def _route_ahead(self, ahead: AheadBatch | None) -> int:
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
        if self._txn is not None:
            self._txn.begin()
        config = self.config
        pending = self._pending
        ladder = self._ladder
        limits = ladder.limits
        clear_below = limits.clear_below
        weigh_headers = not limits.client_checks_size
        check_each = ladder.careful
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
                headers = ladder.dead_letter_headers(message, headers, stage, verdict.failed_rules, verdict.exception_class,
                                                     verdict.exception_message, verdict.contract)
                pending.invalid += 1
                pending.invalid_by_stage[stage] = pending.invalid_by_stage.get(stage, 0) + 1
            size = (len(value) if value else 0) + (len(key) if key else 0)
            if headers and weigh_headers:
                size += headers_size(headers)
            if (check_each or size > clear_below or (key is None and keyless_refused)
                    or (timestamp and not ts_low <= timestamp <= ts_high)):
                self._place(message, verdict.valid, topic, key, value, headers, timestamp)
                continue
            try:
                ladder.produce(topic, key, value, headers, timestamp)
            except KafkaException as e:
                if e.args[0].code() != KafkaError.MSG_SIZE_TOO_LARGE:
                    raise
                # refused in produce(), nothing sent: its headers made it too large for the topic
                self._place(message, verdict.valid, topic, key, value, headers, timestamp)
        pending.records_in += len(messages)
        producer.poll(0)

    def _place(self, message: Message, valid: bool, topic: str, key: bytes | None, value: bytes | None,
               headers: list[tuple[str, bytes]] | None, timestamp: int) -> None:
        """Down the refusal ladder; a valid record it sends to the DLQ counts as refused there."""
        if self._ladder.place(message, valid, topic, key, value, headers, timestamp) is None:
            return
        pending = self._pending
        pending.valid -= 1
        pending.invalid += 1
        pending.invalid_by_stage["produce"] = pending.invalid_by_stage.get("produce", 0) + 1
        if self.outbox is not None:
            self.outbox.rerouted(1)

    # -- committing -------------------------------------------------------------

    def _commit(self, final: bool = False) -> None:
        producer, consumer = self._producer, self._consumer
        assert producer is not None and consumer is not None
        outbox = self.outbox
        if self._pending.records_in == 0 and not self._in_txn and not (outbox is not None and (final or outbox.due())):
            return
        if self._txn is not None:
            self._txn.begin()
        if outbox is not None:
            for topic, key, value in outbox.records(final):
                self._ladder.produce(topic, key, value, None)
        offsets = [tp for tp in consumer.position(consumer.assignment()) if tp.offset >= 0]
        if self._ahead is not None:  # consumed but not routed: commit up to its first record
            firsts = self._ahead.firsts()
            offsets = [TopicPartition(tp.topic, tp.partition, firsts.get((tp.topic, tp.partition), tp.offset))
                       for tp in offsets]
        if self._txn is not None:
            if offsets:
                self._txn.send_offsets(offsets, consumer.consumer_group_metadata())
            self._txn.commit()
        else:
            if producer.flush(self.config.operation_timeout_s) > 0:
                raise KafkaException(KafkaError(KafkaError._MSG_TIMED_OUT, "records still in flight after flush"))
            if self._delivery_errors:
                raise KafkaException(self._delivery_errors[0])
            if offsets:
                consumer.commit(offsets=offsets, asynchronous=False)
        with self._lock:
            self._stats.committed.add(self._pending)
            self._stats.commits += 1
        self._pending = Counters()
        if self._ladder.careful:
            log.info("careful routing done: back to batches")
        self._ladder.careful = False
        self._ladder.refused.clear()
        if outbox is not None:
            outbox.committed()
        if self._on_commit is not None:
            self._on_commit(self.stats())

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
        if needs_new_producer(err):
            self._rebuild_producer(err)
        else:
            self._abort_open()
        if about_one_record(err):
            self._learn_limits()
        if rewind:
            assert self._consumer is not None
            rewind_to_committed(self._consumer, self.config.operation_timeout_s)

    def _abort_open(self) -> None:
        producer = self._producer
        assert producer is not None
        opened = self._in_txn
        try:
            if self._txn is not None:
                self._txn.abort()
            else:
                producer.flush(self.config.operation_timeout_s)
        except KafkaException as e:
            if not self._fenced_for_good(e.args[0]):
                log.warning("abort failed, starting a new producer: %s", e.args[0])
            self._rebuild_producer(e.args[0])
            return
        self._discard_pending(opened)

    def _fenced_for_good(self, err: KafkaError) -> bool:
        """Is this fence (if it is one) the work of another process that uses this one's instance id?"""
        if self._takeover is None and self._txn is not None and (evidence := self._txn.takeover(err)) is not None:
            self._take_over(evidence)
        return self._takeover is not None

    def _take_over(self, evidence: str) -> None:
        if self._takeover is None:
            self._takeover = InstanceTakenOver(self.instance_id, self.transactional_id, evidence)
            log.warning("%s; stopping without committing anything more", self._takeover)

    def _learn_limits(self) -> None:
        """An output refused a record: re-read the limits (they may have changed) and route
        the span again one record at a time, so that whatever was not predicted is found."""
        ladder = self._ladder
        if not ladder.careful:
            log.warning("an output topic refused a record: routing the uncommitted records one by one to find it")
        ladder.careful = True
        before = ladder.limits.producer_config
        try:
            ladder.limits = self._read_limits()
        except KafkaException as e:
            log.warning("could not re-read the output topics' limits: %s", e.args[0])
        if ladder.limits.producer_config != before:
            self._rebuild_producer()

    def _rebuild_producer(self, cause: KafkaError | None = None) -> None:
        opened = self._in_txn
        if self._txn is not None:
            self._txn.purge()
        elif self._plain is not None:
            self._plain.purge()
        self._discard_pending(opened)
        if self._takeover is not None:
            return  # keep the fenced one: a new producer would fence the process that took over
        if self._txn is not None:
            self._txn.rebuild(cause, self._producer_config())
        else:
            self._plain = None
            self._start_producer()
        with self._lock:
            self._stats.producer_rebuilds += 1

    def _discard_pending(self, opened: bool) -> None:
        """`opened`: a transaction was open."""
        with self._lock:
            self._stats.aborts += 1 if (opened or self._pending.records_in) else 0
        self._pending = Counters()
        self._delivery_errors.clear()
        if self.outbox is not None:
            self.outbox.aborted()

    def lag(self) -> int:
        """Records between this process's position and the cached high watermarks of its
        partitions (no broker round trip). Call from the routing thread, e.g. in an outbox."""
        return lag(self._consumer) if self._consumer is not None else 0

    # -- rebalance callbacks (they run inside consume(); they must not raise) ---

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self.on_event is not None:
            self.on_event("assigned", len(partitions))
        log.info("assigned %s", partitions_text(partitions))
        self.assigned.set()

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self.on_event is not None:
            self.on_event("revoked", len(partitions))
        log.info("revoked %s: committing the open transaction", partitions_text(partitions))
        if not self._failed:
            self._drain_or_recover()
            self._commit_or_recover(rewind=False)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self.on_event is not None:
            self.on_event("lost", len(partitions))
        log.warning("lost %s: aborting the open transaction", partitions_text(partitions))
        self._forget_ahead()
        self._abort_open()

    # -- clients ------------------------------------------------------------------

    def _start_producer(self) -> None:
        if self._exactly_once:
            self._txn = TransactionalProducer(self._producer_config(), self.config.operation_timeout_s, log, self.bounded)
        else:
            self._plain = Producer(self._producer_config())

    def _producer_config(self) -> dict[str, object]:
        sizes = {k.replace(".", "_"): v for k, v in self._ladder.limits.producer_config.items()}
        config = self.settings.client_config(enable_idempotence=True, acks="all", linger_ms=5, logger=client_logger(), **sizes)
        if self._exactly_once:
            config["transactional.id"] = self.transactional_id
            config["transaction.timeout.ms"] = self.config.transaction_timeout_ms
        else:
            config["on_delivery"] = self._on_delivery
        return config

    def _on_delivery(self, err: KafkaError | None, message: Message) -> None:
        if err is not None:
            self._delivery_errors.append(err)

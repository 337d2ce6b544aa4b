"""The transactional producer, wrapped once for every transactional lifecycle here (the
sentinel's router, the registry's schema log, `sentinel replay`, the demo's smoke check).

- Starting one initialises its transactions, retrying what is retriable until the timeout.
  That fences any earlier producer with the same `transactional.id` and aborts what it left open.
- `abort` flushes first: librdkafka 2.16 against Kafka 4.x fails an abort fatally
  (INVALID_TXN_STATE) while records are in flight or their partitions are still being added.
- `rebuild` replaces a fenced or broken producer, after `REBUILD_DELAY_S` when it was fenced;
  `takeover` tells a fence that passes from another process that keeps using the id (`fencing.py`).
- Each transactional call is bounded by this process too (`bounded.py`): librdkafka does not
  always keep a call's timeout, and a call it never returns from gives the producer up.
- `RECORD_CODES`: the errors about one record (or its batch), not about the cluster.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from governance.kafka.bounded import Bounded
from governance.kafka.fencing import FENCE_CODES, REBUILD_DELAY_S, FenceWatch, is_fence
from governance.kafka.limits import Refusal

log = logging.getLogger(__name__)

RECORD_CODES = frozenset({
    KafkaError.MSG_SIZE_TOO_LARGE,
    KafkaError.RECORD_LIST_TOO_LARGE,
    KafkaError.INVALID_MSG_SIZE,
    KafkaError.INVALID_RECORD,
    KafkaError.INVALID_TIMESTAMP,
    KafkaError.INVALID_MSG,
    KafkaError._INVALID_ARG,
})
"""Errors about one record (or its batch), not about the cluster: retrying cannot help."""

REBUILD_CODES = FENCE_CODES | {KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED}
"""Errors after which the producer cannot go on, besides fatal ones: only a new one can."""

_REFUSAL_KINDS = {
    KafkaError.MSG_SIZE_TOO_LARGE: ("size", "org.apache.kafka.common.errors.RecordTooLargeException"),
    KafkaError.RECORD_LIST_TOO_LARGE: ("size", "org.apache.kafka.common.errors.RecordBatchTooLargeException"),
    KafkaError.INVALID_MSG_SIZE: ("size", "org.apache.kafka.common.errors.InvalidRecordException"),
    KafkaError.INVALID_TIMESTAMP: ("timestamp", "org.apache.kafka.common.errors.InvalidTimestampException"),
}


def about_one_record(err: KafkaError) -> bool:
    return err.code() in RECORD_CODES


def needs_new_producer(err: KafkaError) -> bool:
    return err.fatal() or err.code() in REBUILD_CODES


def refusal_of(err: KafkaError, topic: str) -> Refusal:
    """A refusal the broker or the client reported (`about_one_record`), as the limits would have named it."""
    kind, exception_class = _REFUSAL_KINDS.get(err.code(), ("record", "org.apache.kafka.common.InvalidRecordException"))
    return Refusal(kind, exception_class, f"topic {topic} refused it: {err.str()} ({err.name()})")


class TransactionalProducer:
    """A producer with a `transactional.id` and at most one open transaction.

    `producer` is the current confluent-kafka producer (for `produce`, `poll`, `flush`);
    it changes when `rebuild` replaces it."""

    def __init__(self, config: Mapping[str, Any], timeout_s: float = 60.0, logger: logging.Logger = log,
                 bounded: Bounded | None = None) -> None:
        """`config`: a librdkafka config with `transactional.id`. Initialises its transactions.
        `logger`: where retries, a failed abort and a long wait for Kafka are said (the caller's own, say)."""
        self._log = logger
        self._bounded = bounded if bounded is not None else Bounded(logger.warning)
        self._config = dict(config)
        self.transactional_id = str(self._config["transactional.id"])
        self.timeout_s = timeout_s
        self.opened_at: float | None = None
        """`time.monotonic()` when the open transaction began; None: none is open."""
        self.starting = False
        """A producer is initialising its transactions (the first, or a replacement)."""
        self._fences = FenceWatch(int(self._config.get("transaction.timeout.ms", 60_000)) / 1000)
        self.producer = self._start(replacing_fenced=False)

    @property
    def in_transaction(self) -> bool:
        return self.opened_at is not None

    def begin(self) -> None:
        """Open a transaction unless one is open."""
        if not self.in_transaction:
            self._fences.began()
            self.producer.begin_transaction()
            self.opened_at = time.monotonic()

    def send_offsets(self, offsets: list[Any], group_metadata: Any) -> None:
        self._retrying(self.producer, lambda: self.producer.send_offsets_to_transaction(offsets, group_metadata, self.timeout_s),
                       "add the consumer offsets to the transaction")

    def commit(self) -> None:
        self._retrying(self.producer, lambda: self.producer.commit_transaction(self.timeout_s), "commit the transaction")
        self.opened_at = None

    def abort(self) -> None:
        """Flush, then abort the open transaction (if any). Raises KafkaException when it cannot:
        the producer is then fenced or broken (`rebuild`)."""
        self.producer.flush(self.timeout_s)
        if self.in_transaction:
            producer = self.producer
            self._bounded.call(lambda: producer.abort_transaction(self.timeout_s), "abort the transaction",
                               self.timeout_s, serve=lambda: producer.poll(0))
            self.opened_at = None

    @contextmanager
    def transaction(self) -> Iterator[Producer]:
        """One transaction around the block: committed at its end, aborted when it raises
        (the block's error is raised, an abort that fails too is logged)."""
        self.begin()
        try:
            yield self.producer
            self.commit()
        except BaseException:
            try:
                self.abort()
            except KafkaException as e:
                self._log.warning("could not abort the transaction of %s: %s", self.transactional_id, e.args[0])
            raise

    def takeover(self, err: KafkaError) -> str | None:
        """When `err` fences this producer: why that means another process keeps using the
        transactional.id (`FenceWatch`), or None for anything else, a fence that passes included."""
        return self._fences.takeover() if is_fence(err) else None

    def rebuild(self, cause: KafkaError | None = None, config: Mapping[str, Any] | None = None) -> None:
        """Drop what the producer holds and start a new one (with `config`, when the settings changed),
        after a pause when it was fenced: another client's InitProducerId finishes first (`fencing.py`)."""
        self.purge()
        if config is not None:
            self._config = {**config, "transactional.id": self.transactional_id}
        fenced = cause is not None and is_fence(cause)
        if fenced:
            time.sleep(REBUILD_DELAY_S)
        self.producer = self._start(replacing_fenced=fenced)

    def purge(self) -> None:
        """Drop the records not sent yet and forget the open transaction, keeping the producer
        (one fenced by another process that took over the id is left alone)."""
        self.producer.purge()
        self.opened_at = None

    def _start(self, replacing_fenced: bool) -> Producer:
        self.starting = True
        try:
            producer = Producer(self._config)
            self._retrying(producer, lambda: producer.init_transactions(self.timeout_s),
                           f"initialise a producer with transactional.id {self.transactional_id}")
        finally:
            self.starting = False
        self._fences.started(replacing_fenced)
        return producer

    def _retrying(self, producer: Producer, operation: Callable[[], object], what: str) -> None:
        """`operation` (given `timeout_s`) again while it fails retriably, for that long; each
        attempt bounded here too, polling `producer` meanwhile so its log lines come out."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                self._bounded.call(operation, what, self.timeout_s, serve=lambda: producer.poll(0))
                return
            except KafkaException as e:
                err: KafkaError = e.args[0]
                if err.retriable() and not err.txn_requires_abort() and time.monotonic() < deadline:
                    self._log.info("retrying after %s", err)
                    time.sleep(0.1)
                    continue
                raise

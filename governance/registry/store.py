"""The `_schemas` topic as the registry's log: tail it into the state, append to it.

A write returns only after this instance's reader has applied it, so the
answer to a request always reflects that request's own write.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence

from governance.errors import GovernanceError
from governance.kafka.limits import CLIENT_MESSAGE_MAX, OutputLimits, TopicLimits, read_limits
from governance.kafka.logs import client_logger
from governance.kafka.settings import KafkaSettings
from governance.registry import errors
from governance.registry.state import RegistryState

logger = logging.getLogger(__name__)
SCHEMAS_TOPIC = "_schemas"
Record = tuple[bytes, bytes | None]


class KafkaSchemaLog:
    def __init__(self, settings: KafkaSettings, state: RegistryState, topic: str = SCHEMAS_TOPIC) -> None:
        self.settings = settings
        self.state = state
        self.topic = topic
        self._applied = threading.Condition()
        self._position = 0  # next offset to read
        self._stop = threading.Event()
        self._reader: threading.Thread | None = None
        self._write_lock = threading.Lock()
        self._txn = None  # a TransactionalProducer while this instance is the writer
        self._consumer = None
        self._limits = OutputLimits([TopicLimits(topic)])
        self.reader_error: str | None = None

    # -- life cycle ----------------------------------------------------------

    def start(self, timeout: float = 60.0) -> None:
        """Create the topic if needed and replay it; writing needs `become_writer` too."""
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        self._ensure_topic(timeout)
        self._consumer = Consumer(
            self.settings.client_config(
                group_id=f"schema-registry-reader-{uuid.uuid4()}",
                enable_auto_commit=False,
                isolation_level="read_committed",
                enable_partition_eof=False,
                logger=client_logger(),
            )
        )
        self._consumer.assign([TopicPartition(self.topic, 0, OFFSET_BEGINNING)])
        # The reader thread owns `_consumer`; watermark queries use their own handle.
        self._probe = Consumer(
            self.settings.client_config(group_id=f"schema-registry-probe-{uuid.uuid4()}", logger=client_logger())
        )
        self._watermarks = Consumer(self.settings.client_config(
            group_id=f"schema-registry-watermarks-{uuid.uuid4()}", isolation_level="read_uncommitted",
            logger=client_logger()))
        self._reader = threading.Thread(target=self._read_forever, name="schemas-reader", daemon=True)
        self._reader.start()
        self.catch_up(timeout)

    def close(self) -> None:
        self.stop_writing()
        self._stop.set()
        if self._reader is not None:
            self._reader.join(10)
        if self._consumer is not None:
            self._consumer.close()
            self._probe.close()
            self._watermarks.close()

    # -- the single writer ----------------------------------------------------

    @property
    def is_writer(self) -> bool:
        return self._txn is not None

    def become_writer(self, transactional_id: str, timeout: float = 30.0) -> None:
        """Take the write role: fence any earlier writer with the same transactional id,
        then read everything it committed, so no id or version is handed out twice."""
        from governance.kafka.transactions import TransactionalProducer

        limits = read_limits(self.settings, [self.topic], timeout)
        # The topic's max.message.bytes is the one limit (read again after a refusal, so an operator
        # can raise it live): the client's own ceiling stays out of its way.
        txn = TransactionalProducer(
            self.settings.client_config(
                transactional_id=transactional_id, acks="all", linger_ms=0, logger=client_logger(),
                message_max_bytes=CLIENT_MESSAGE_MAX,
            ),
            timeout, logger,
        )
        self.catch_up(timeout)
        with self._write_lock:
            self._txn = txn
            self._limits = limits

    def stop_writing(self) -> None:
        with self._write_lock:
            txn, self._txn = self._txn, None
        if txn is not None:
            txn.producer.flush(5)

    def _ensure_topic(self, timeout: float) -> None:
        from governance.kafka.connect import first_contact
        from governance.kafka.topics import TopicSpec, create_topics

        admin, metadata = first_contact(
            self.settings, timeout, logger=client_logger(),
            hint="check --bootstrap-servers, or start the local stack with `governance stack up`")
        existing = metadata.topics.get(self.topic)
        if existing is not None and existing.error is None:
            if len(existing.partitions) != 1:
                raise GovernanceError(
                    f"Topic {self.topic} has {len(existing.partitions)} partitions; the schema log needs exactly one."
                )
            self._require_compaction(admin, timeout)
            return
        replication = min(3, len(metadata.brokers))
        create_topics(admin, [TopicSpec(self.topic, 1, replication, {
            "cleanup.policy": "compact", "min.insync.replicas": str(min(2, replication))})], timeout)

    def _require_compaction(self, admin, timeout: float) -> None:
        """Without compaction, retention would one day delete schemas: refuse, as Confluent does."""
        from confluent_kafka.admin import ConfigResource

        resource = ConfigResource(ConfigResource.Type.TOPIC, self.topic)
        configs = admin.describe_configs([resource])[resource].result(timeout=timeout)
        policy = configs["cleanup.policy"].value or ""
        if "compact" not in policy:
            raise GovernanceError(
                f"Topic {self.topic} has cleanup.policy={policy}; the schema log must be compacted, "
                "or retention would delete schemas.",
                hint=f"kafka-configs --alter --entity-type topics --entity-name {self.topic} "
                "--add-config cleanup.policy=compact",
            )

    # -- reading ---------------------------------------------------------------

    def _read_forever(self) -> None:
        """The reader thread: when it stops, reads and writes fail with `reader_error`, never hang."""
        from confluent_kafka import KafkaException

        try:
            self._read_until_stopped()
        except (KafkaException, RuntimeError) as exc:  # the consumer is closed or broken
            self.reader_error = str(exc)
        except Exception as exc:  # a bug: say so on every request rather than serve a stale state
            logger.exception("the %s reader stopped", self.topic)
            self.reader_error = f"{type(exc).__name__}: {exc}"

    def _read_until_stopped(self) -> None:
        while not self._stop.is_set():
            # poll() returns as soon as one record is there; consume() would wait out
            # its whole timeout for a full batch, adding that to every write.
            first = self._consumer.poll(0.1)
            messages = [first, *self._consumer.consume(1000, 0)] if first is not None else []
            for message in messages:
                if message.error() is not None:
                    continue
                self.state.apply(message.offset(), message.key(), message.value())  # skips what it cannot read
                self._position = message.offset() + 1
            # Transaction markers take offsets but are never delivered: the
            # consumer's position moves past them all the same.
            position = self._consumer_position()
            if messages or position > self._position:
                with self._applied:
                    self._position = max(self._position, position)
                    self._applied.notify_all()

    @property
    def applied_position(self) -> int:
        """The offset the reader reads next: every record before it has been applied to the state."""
        return self._position

    @property
    def reader_alive(self) -> bool:
        return self._reader is not None and self._reader.is_alive() and self.reader_error is None

    def end_offset(self, timeout: float) -> int:
        """The topic's high watermark now, records of open transactions included (which the read_committed
        reader cannot pass until they end, so a hanging one shows as lag); KafkaException if the broker
        does not answer."""
        from confluent_kafka import TopicPartition

        _, high = self._watermarks.get_watermark_offsets(TopicPartition(self.topic, 0), timeout=timeout)
        return high

    def reached(self, position: int, timeout: float) -> bool:
        """Whether the reader applies everything before `position` within `timeout`; never raises."""
        deadline = time.monotonic() + timeout
        with self._applied:
            while self._position < position and self.reader_error is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._applied.wait(min(remaining, 0.1))
            return self._position >= position

    def catch_up(self, timeout: float = 30.0) -> None:
        """Wait until everything in the topic right now has been applied."""
        from confluent_kafka import KafkaException, TopicPartition

        deadline = time.monotonic() + timeout
        while True:
            try:
                _, high = self._probe.get_watermark_offsets(TopicPartition(self.topic, 0), timeout=timeout)
                break
            except KafkaException as exc:
                # A topic created a moment ago may not be known to every broker yet.
                if time.monotonic() > deadline:
                    raise errors.store_timeout(f"Cannot read the end offset of {self.topic}: {exc.args[0].str()}")
                time.sleep(0.2)
        self._wait_for_position(high, max(1.0, deadline - time.monotonic()))

    def _wait_for_position(self, position: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._applied:
            while self._position < position:
                if self.reader_error:
                    raise errors.store_error(f"the {self.topic} reader stopped: {self.reader_error}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise errors.store_timeout(
                        f"Timed out after {timeout:.0f}s waiting to read back offset {position - 1} of {self.topic}"
                    )
                self._applied.wait(min(remaining, 0.5))

    def _consumer_position(self) -> int:
        from confluent_kafka import TopicPartition

        (partition,) = self._consumer.position([TopicPartition(self.topic, 0)])
        return max(partition.offset, 0)

    # -- writing ---------------------------------------------------------------

    def write(self, records: Sequence[Record], timeout: float = 30.0) -> None:
        """Append `records` in one transaction; return once they have been applied to the state.

        A record the topic would refuse is answered 422 before anything is sent: inside the
        transaction, the broker's refusal would cost the writer (and the primary) its role."""
        from confluent_kafka import KafkaException

        from governance.kafka.transactions import about_one_record

        offsets: list[int] = []
        failures: list = []

        def on_delivery(err, message) -> None:
            if err is None:
                offsets.append(message.offset())
            else:
                failures.append(err)

        with self._write_lock:
            txn = self._txn
            if txn is None:
                raise errors.unknown_leader()
            if self._refusal(records) is not None:
                self._refresh_limits(timeout)
                refusal = self._refusal(records)
                if refusal is not None:
                    raise errors.schema_too_large(_too_large(refusal.reason))
            try:
                txn.begin()
                try:
                    for key, value in records:
                        txn.producer.produce(self.topic, key=key, value=value, on_delivery=on_delivery)
                except KafkaException as exc:  # refused by the client: nothing of this record was sent
                    self._abort(txn)
                    raise self._refused(exc.args[0]) from None
                txn.producer.flush(timeout)
                txn.commit()
            except KafkaException as exc:
                error = exc.args[0]
                if error.txn_requires_abort() and not error.fatal():
                    self._abort(txn)
                    refused = next((f for f in failures if about_one_record(f)), None)
                    if refused is not None:
                        self._refresh_limits(timeout)
                        raise self._refused(refused) from None
                    raise errors.store_error(error.str()) from None
                # Fenced by a newer primary, or a fatal producer error: stop writing here.
                self._txn = None
                raise errors.unknown_leader() from None
        if len(offsets) != len(records):
            raise errors.store_error(f"{len(records) - len(offsets)} record(s) were not acknowledged")
        self._wait_for_position(max(offsets) + 1, timeout)

    def _refusal(self, records: Sequence[Record]):
        for key, value in records:
            refusal = self._limits.refusal(self.topic, key, value, None, 0)
            if refusal is not None:
                return refusal
        return None

    def _abort(self, txn) -> None:
        from confluent_kafka import KafkaException

        try:
            txn.abort()
        except KafkaException:
            self._txn = None  # cannot abort: a new primary election gives a fresh writer
            raise errors.unknown_leader() from None

    def _refused(self, error) -> errors.ServiceError:
        """A record the topic or the client refused: too large (422), or refused for another reason (500)."""
        from governance.kafka.transactions import about_one_record, refusal_of

        if not about_one_record(error):
            return errors.store_error(error.str())
        if refusal_of(error, self.topic).kind == "size":
            return errors.schema_too_large(_too_large(f"the {self.topic} topic refused the record: {error.str()}"))
        return errors.store_error(f"the {self.topic} topic refused the record: {error.str()}")

    def _refresh_limits(self, timeout: float) -> None:
        """The broker refused what the limits allowed: its config changed since they were read."""
        from confluent_kafka import KafkaException

        try:
            self._limits = read_limits(self.settings, [self.topic], timeout)
        except KafkaException as exc:
            logger.warning("could not re-read the limits of %s: %s", self.topic, exc.args[0])


def _too_large(reason: str) -> str:
    return f"Schema too large to store: {reason}. Or split the schema into smaller ones joined by references."

"""The refusal ladder: one record must never stall a pipeline.

A broker that refuses one record (too large, a timestamp out of bounds, no key for a
compacted topic) makes the whole transaction abortable, and writing the batch again would
fail again forever. So each record goes down a ladder: its topic, else the DLQ with the
reason, else a DLQ record with what was refused left out (`RefusalLadder.place`). What the
output topics refuse is predicted from their configs (`kafka/limits.py`); a refusal that was
not predicted makes the writer re-read the configs and write the failed span again record by
record (`careful`), so the refused record is found and placed on the ladder while its
neighbours flow. The router and `sentinel replay` both write through it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from governance.kafka import KafkaSettings
from governance.kafka.limits import OutputLimits, Refusal, read_limits
from governance.kafka.transactions import about_one_record, refusal_of
from governance.sentinel.headers import (CONTEXT_PREFIXES, OMITTED, OMITTED_REASON, ORIGINAL_TIMESTAMP, ContractBreach,
                                         dlq_headers)

log = logging.getLogger(__name__)

Headers = list[tuple[str, bytes]]


class DeadLetterRefused(Exception):
    """Even a dead-letter record without the value was refused: the DLQ itself needs fixing."""


class RefusalLadder:
    """Writes records to the output topics of one pipeline, down the ladder when one is refused.

    `message` in each call is the source record (its topic, partition, offset and headers name it
    in dead-letter records and logs)."""

    def __init__(self, dlq_topic: str, pipeline: str, producer: Callable[[], Producer], flush_timeout_s: float) -> None:
        """`producer` returns the current producer (a rebuild replaces it)."""
        self.dlq_topic, self.pipeline = dlq_topic, pipeline
        self._producer = producer
        self._flush_timeout_s = flush_timeout_s
        self.limits = OutputLimits(())
        self.careful = False
        """One record in flight at a time, so that a refusal names its record."""
        self.refused: dict[tuple[str, int, int, str], Refusal] = {}
        """(source topic, partition, offset, output topic) -> what that output refused, found in careful mode."""

    def dead_letter_headers(self, message: Any, original: Sequence[tuple[str, bytes]] | None, stage: str,
                            failed_rules: Sequence[tuple[str, str]], exception_class: str | None,
                            exception_message: str | None, contract: ContractBreach | None = None) -> Headers:
        return dlq_headers(
            original, topic=message.topic(), partition=message.partition(), offset=message.offset(), stage=stage,
            pipeline=self.pipeline, failed_rules=failed_rules,
            exception_class=exception_class, exception_message=exception_message, contract=contract,
        )

    def place(self, message: Any, valid: bool, topic: str, key: bytes | None, value: bytes | None,
              headers: Headers | None, timestamp: int) -> Refusal | None:
        """Write the record where it is judged to go, else one step down the ladder:
        a valid record its topic refuses goes to the DLQ with the reason, and a DLQ
        record the DLQ refuses goes there with the refused part changed or left out.
        Returns what sent a valid record to the DLQ instead, if anything did."""
        refusal = self.offer(message, topic, key, value, headers, timestamp)
        if refusal is None:
            return None
        rerouted = refusal if valid else None
        dlq = self.dlq_topic
        if valid:
            log.warning("%s[%d] offset %d goes to %s: %s refused it: %s", message.topic(), message.partition(),
                        message.offset(), dlq, topic, refusal.reason)
            headers = self.dead_letter_headers(message, message.headers(), "produce", (), refusal.exception_class,
                                               f"{topic} refused the record: {refusal.reason}")
            refusal = self.offer(message, dlq, key, value, headers, timestamp)
        omitted: list[str] = []
        while refusal is not None:
            log.warning("%s[%d] offset %d: %s refused its dead-letter record (%s); writing it %s",
                        message.topic(), message.partition(), message.offset(), dlq, refusal.reason,
                        "without its value" if refusal.kind == "size" else "with that fixed")
            key, value, headers, timestamp = self._fallback(message, refusal, key, value, headers or [], timestamp, omitted)
            refusal = self.offer(message, dlq, key, value, headers, timestamp)
        return rerouted

    def produce(self, topic: str, key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]] | None = None,
                timestamp: int = 0, on_delivery: Callable[[KafkaError | None, Any], None] | None = None) -> None:
        """Produce, waiting while the producer's queue is full."""
        producer = self._producer()
        extra: dict[str, object] = {"on_delivery": on_delivery} if on_delivery is not None else {}
        if headers:
            extra["headers"] = headers
        while True:
            try:
                producer.produce(topic, value, key, timestamp=timestamp, **extra)
                return
            except BufferError:
                producer.poll(0.05)

    def _fallback(self, message: Any, refusal: Refusal, key: bytes | None, value: bytes | None,
                  headers: Headers, timestamp: int, omitted: list[str],
                  ) -> tuple[bytes | None, bytes | None, Headers, int]:
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
            ours = [(k, v[:2000]) for k, v in headers if k.startswith(CONTEXT_PREFIXES)]
            return (coordinates if self._dlq_compacted() else None), None, _omitting(ours, omitted, refusal.reason), timestamp
        raise DeadLetterRefused(
            f"{self.dlq_topic} refuses even a small dead-letter record for {message.topic()}[{message.partition()}] "
            f"offset {message.offset()}: {refusal.reason}")

    def _dlq_compacted(self) -> bool:
        dlq = self.limits.topics.get(self.dlq_topic)
        return dlq is not None and dlq.compacted

    def offer(self, message: Any, topic: str, key: bytes | None, value: bytes | None,
             headers: Sequence[tuple[str, bytes]] | None, timestamp: int) -> Refusal | None:
        """Produce unless the topic is known to refuse the record; the refusal otherwise."""
        refusal = self.refused.get((message.topic(), message.partition(), message.offset(), topic))
        if refusal is None:
            refusal = self.limits.refusal(topic, key, value, headers, timestamp)
        if refusal is not None:
            return refusal
        errors: list[KafkaError | None] = []
        try:
            self.produce(topic, key, value, headers, timestamp,
                         on_delivery=(lambda err, _: errors.append(err)) if self.careful else None)
        except KafkaException as e:
            err: KafkaError = e.args[0]
            if not about_one_record(err):
                raise
            # refused by the client before anything was sent: the transaction is intact
            return refusal_of(err, topic)
        if self.careful:
            self._await_delivery(message, topic, errors)
        return None

    def _await_delivery(self, message: Any, topic: str, errors: list[KafkaError | None]) -> None:
        """Careful mode: one record in flight at a time, so a refusal names its record.
        The refusal is remembered for when the span is written again, and the transaction
        it spoiled is dropped."""
        self._producer().flush(self._flush_timeout_s)
        err = errors[0] if errors else None
        if err is None:
            return
        if about_one_record(err):
            self.refused[(message.topic(), message.partition(), message.offset(), topic)] = refusal_of(err, topic)
        raise KafkaException(err)


def limits_from_cluster(settings: KafkaSettings, topics: Sequence[str], timeout_s: float) -> OutputLimits:
    """What `topics` refuse, from their configs; Kafka's defaults when they cannot be read."""
    try:
        return read_limits(settings, topics, timeout_s)
    except KafkaException as e:
        log.warning("cannot read the limits of %s (%s): assuming Kafka's defaults", ", ".join(topics), e.args[0])
        return OutputLimits(())


def headers_size(headers: Sequence[tuple[str, bytes | None]]) -> int:
    """Names and values plus two per header, unzipped and joined in C (on a record of a
    thousand headers: 41 µs, against 60 µs mapping itemgetters and 65 µs summing lengths)."""
    names, values = zip(*headers)
    try:
        return len("".join(names)) + len(b"".join(values)) + 2 * len(headers)
    except TypeError:  # a null header value
        return sum(len(k) + len(v or b"") + 2 for k, v in headers)


def _omitting(headers: Headers, omitted: list[str], reason: str, value: bytes | None = None) -> Headers:
    kept = [(k, v) for k, v in headers if k not in (OMITTED, OMITTED_REASON)]
    what = ",".join(omitted)
    size = f" of {len(value):,} bytes" if value is not None else ""
    return [*kept, (OMITTED, what.encode()),
            (OMITTED_REASON, f"left out the {what}{size}: {reason}; read the record from its source "
                             "topic at the partition and offset in __connect.errors.*".encode())]

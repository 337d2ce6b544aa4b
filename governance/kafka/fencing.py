"""Another process with this process's instance id, told apart from a fence that passes.

Kafka lets one process at a time work under an id: the newest producer to initialise
transactions (InitProducerId) with a `transactional.id` fences the older one, and the newest consumer
to join with a `group.instance.id` fences the older one. Two live processes given the same
`--instance-id` would fence each other back and forth for ever, each rebuilding its producer.

A fence also passes on its own: a transaction the broker aborted after
`transaction.timeout.ms` (a stalled process) bumps the producer's epoch, and so does a
one-off InitProducerId with the id by some other client. Such a process rebuilds its
producer and goes on. Told apart by:

- the consumer: a fatal error naming `group.instance.id` is the broker saying that another
  member joined with this process's id. Nothing but a second process does that.
- the producer: fenced three times in a row, each replacement fenced in a transaction younger
  than `transaction.timeout.ms` (or before its first). The broker's timeout cannot fence a
  producer in such a transaction: it aborts only one open that long. The age is the
  transaction's, not the producer's: a fence is only seen when the producer is next used, which
  in a quiet pipeline (no input, a KPI commit once a window) can be long after it happened, and
  a replacement's age would then count as a fence that passes, for ever.
  A one-off InitProducerId elsewhere can fence more than once: while it retries
  (CONCURRENT_TRANSACTIONS) each attempt that finds a transaction open aborts it and bumps the
  epoch again, so a replacement that starts at once is fenced by the next attempt (seen: three
  in a row). So a fenced producer is replaced only after `REBUILD_DELAY_S`, by when such an
  init has finished; the replacement's init then fences the other client for good. A process
  that keeps using the id inits again when it is fenced, and so fences the replacement again,
  however long the pause.

The consumer's signal is the one two sentinels meet (the instance id is both ids); the
producer's covers a client that shares only the transactional.id.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from confluent_kafka import KafkaError

FENCE_CODES = frozenset({KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH})
REBUILD_DELAY_S = 2.0
"""The pause before a fenced producer is replaced (librdkafka retries InitProducerId every 0.5 s or so)."""


class InstanceTakenOver(Exception):
    """Another process works under this one's instance id; this one stopped and committed nothing more."""

    def __init__(self, instance_id: str, transactional_id: str, evidence: str) -> None:
        super().__init__(f"another process took over instance id {instance_id} (transactional.id "
                         f"{transactional_id}): {evidence}")
        self.instance_id, self.transactional_id, self.evidence = instance_id, transactional_id, evidence


def is_fence(err: KafkaError) -> bool:
    return err.code() in FENCE_CODES


def instance_conflict(err: KafkaError) -> bool:
    """A consumer's fatal error saying that another member of the group uses its group.instance.id
    (FENCED_INSTANCE_ID, or UNRELEASED_INSTANCE_ID in the new group protocol). librdkafka hands it
    over as _FATAL with the broker's reason in the text only."""
    return err.code() == KafkaError._FATAL and "group.instance.id" in err.str()


class FenceWatch:
    """Counts the producers fenced in a row, each replacement fenced soon: in a transaction
    younger than the transaction timeout, or before its first."""

    STREAK = 3

    def __init__(self, transaction_timeout_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = transaction_timeout_s
        self._clock = clock
        self._since: float | None = None
        self._replacing_fenced = False
        self._streak = 0

    def started(self, replacing_fenced: bool) -> None:
        """A producer finished initialising its transactions; `replacing_fenced`: the one it replaces was fenced."""
        self._since = self._clock()
        self._replacing_fenced = replacing_fenced
        if not replacing_fenced:
            self._streak = 0

    def began(self) -> None:
        """The producer begins a transaction (call before `begin_transaction`)."""
        self._since = self._clock()

    def takeover(self) -> str | None:
        """The current producer was fenced: why that means another process uses the id, or None
        (a fence that passes: rebuild the producer)."""
        age = self._clock() - self._since if self._since is not None else None
        soon = age is not None and age < self.window_s and self._replacing_fenced
        self._streak = self._streak + 1 if soon else 1
        if self._streak < self.STREAK:
            return None
        return (f"its producer was fenced {self._streak} times in a row, the last {age:.1f} s into a transaction "
                "after it replaced the one before: another producer keeps initialising that transactional.id")

"""Transactional Kafka calls bounded by this process, and a wait for Kafka said while it lasts.

librdkafka's transactional calls take a timeout but do not all keep it:
`send_offsets_to_transaction` sends the offsets to the consumer group's coordinator through a
request that, once its coordinator's broker is gone, waits for some broker's connection to
change state, not for the timeout (confluentinc/librdkafka#5456). When the coordinator's broker
left the cluster's metadata (killed, and back after more than `broker.session.timeout.ms`),
nothing may change state again (#5511): a sentinel stopped committing for good, without a word,
while the broker was back. So each call runs on a thread of its own. Past `say_after_s` the
router says once what it waits for; past the call's own timeout and `grace_s` it gives the
producer up as broken (`Unanswered`, a fatal error): the router replaces it, and the
replacement's InitProducerId fences the stuck one and has the broker abort its transaction.
`pending` says which call is waited for and since when (the sentinel's /healthz reads it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from confluent_kafka import KafkaError, KafkaException

T = TypeVar("T")
SERVE_EVERY_S = 0.2


def unanswered(what: str, waited_s: float) -> KafkaException:
    """A call librdkafka did not return from in time: fatal, the producer is replaced."""
    return KafkaException(KafkaError(KafkaError._TIMED_OUT, f"Kafka did not answer when asked to {what} in "
                                     f"{waited_s:.0f} s, past the call's own timeout: replacing the producer",
                                     fatal=True))


class Pending(NamedTuple):
    what: str
    since: float
    """`time.monotonic()` when the call started."""
    limit_s: float
    """When it is given up: its own timeout and the grace."""


class Bounded:
    def __init__(self, say: Callable[[str], None], say_after_s: float = 10.0, grace_s: float = 5.0) -> None:
        self.say, self.say_after_s, self.grace_s = say, say_after_s, grace_s
        self.pending: Pending | None = None
        self.settled_at = time.monotonic()
        """When the last call returned, raised or was given up."""

    def call(self, operation: Callable[[], T], what: str, timeout_s: float,
             serve: Callable[[], object] | None = None) -> T:
        """`operation()` (a call given `timeout_s`), raising `unanswered` once it overran that by `grace_s`.
        `what` completes "waiting for Kafka to ...", say "commit the transaction". `serve` is called
        while it waits: the client's own log lines (a lost broker said) come out only when it is polled."""
        outcome: list[tuple[bool, object]] = []
        done = threading.Event()

        def run() -> None:
            try:
                outcome.append((True, operation()))
            except BaseException as e:  # noqa: BLE001 - handed to the caller
                outcome.append((False, e))
            finally:
                done.set()

        started = time.monotonic()
        self.pending = Pending(what, started, timeout_s + self.grace_s)
        threading.Thread(target=run, name=f"kafka call: {what}", daemon=True).start()
        said = False
        try:
            while not done.wait(SERVE_EVERY_S):
                if serve is not None:
                    serve()
                waited = time.monotonic() - started
                if not said and waited >= self.say_after_s:
                    said = True
                    self.say(f"waiting for Kafka to {what}: no answer for {waited:.0f} s (a broker or coordinator it "
                             f"needs is unreachable?); giving this producer up after {timeout_s + self.grace_s:.0f} s")
                if waited >= timeout_s + self.grace_s:
                    raise unanswered(what, waited)
        finally:
            self.pending, self.settled_at = None, time.monotonic()
        if said:
            self.say(f"Kafka answered after {time.monotonic() - started:.0f} s (asked to {what})")
        ok, value = outcome[0]
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return value  # type: ignore[return-value]

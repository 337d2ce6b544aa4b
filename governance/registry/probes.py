"""What the registry's liveness and readiness probes answer, and the `_schemas` reader's lag behind them.

Caught up means: the reader has applied every record before the topic's end offset (its high watermark,
records of open transactions included), that end offset read from the broker at most `END_OFFSET_REFRESH_S`
ago, the reader given `CATCH_UP_GRACE_S` to reach it (so that a write committed a moment after the end offset
was read does not fail a probe; a transaction left open does, since a read_committed reader sees nothing
after it until it ends). Probes and scrapes share the cached end offset: the broker is asked at most once per
`END_OFFSET_REFRESH_S`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from governance.registry.election import PrimaryElection
from governance.registry.store import KafkaSchemaLog

END_OFFSET_REFRESH_S = 5.0
END_OFFSET_TIMEOUT_S = 2.0
END_OFFSET_STALE_S = 30.0
"""An end offset older than this (the broker has not answered since) cannot show that the reader caught up."""
CATCH_UP_GRACE_S = 0.5


@dataclass(frozen=True)
class ReaderStatus:
    applied_offset: int | None
    """The offset the reader reads next: every record before it is applied (None: no reader)."""
    end_offset: int | None
    """The topic's high watermark as last read; None if never read."""
    end_offset_age_s: float | None
    problem: str | None
    """Why the reader is not caught up, None if it is."""

    @property
    def lag(self) -> int | None:
        if self.applied_offset is None or self.end_offset is None:
            return None
        return max(0, self.end_offset - self.applied_offset)

    def json(self) -> dict[str, Any]:
        age = None if self.end_offset_age_s is None else round(self.end_offset_age_s, 3)
        return {"applied_offset": self.applied_offset, "end_offset": self.end_offset, "lag": self.lag,
                "end_offset_age_seconds": age, "caught_up": self.problem is None}


class ReaderWatch:
    """The `_schemas` reader's position against the topic's end offset, the end offset cached."""

    def __init__(self, log: KafkaSchemaLog | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.log = log
        self._clock = clock
        self._lock = threading.Lock()
        self._end: int | None = None
        self._read_at: float | None = None
        self._tried_at: float | None = None
        self._error: str | None = None

    def status(self, grace: float = CATCH_UP_GRACE_S) -> ReaderStatus:
        """May block up to END_OFFSET_TIMEOUT_S + `grace`: call it off the event loop."""
        log = self.log
        if log is None:  # a state not read from Kafka (an in-process test app): nothing to catch up with
            return ReaderStatus(None, None, None, None)
        if not log.reader_alive:
            return self._status(log, f"the {log.topic} reader stopped: {log.reader_error or 'its thread is not running'}")
        end = self._end_offset(log)
        if end is None:
            return self._status(log, f"the end offset of {log.topic} is unknown: {self._error}")
        age = self._clock() - self._read_at
        if age > END_OFFSET_STALE_S:
            return self._status(log, f"the end offset of {log.topic} was last read {age:.0f}s ago: {self._error}")
        if not log.reached(end, grace):
            return self._status(log, f"the {log.topic} reader is at offset {log.applied_position}, "
                                     f"behind the end offset {end} read {age:.1f}s ago")
        return self._status(log, None)

    def _status(self, log: KafkaSchemaLog, problem: str | None) -> ReaderStatus:
        age = None if self._read_at is None else self._clock() - self._read_at
        return ReaderStatus(log.applied_position, self._end, age, problem)

    def _end_offset(self, log: KafkaSchemaLog) -> int | None:
        from confluent_kafka import KafkaException

        with self._lock:
            now = self._clock()
            if self._tried_at is None or now - self._tried_at >= END_OFFSET_REFRESH_S:
                self._tried_at = now  # a failed read waits its turn too: probes must not queue on a broker outage
                try:
                    self._end, self._read_at, self._error = log.end_offset(END_OFFSET_TIMEOUT_S), now, None
                except KafkaException as exc:
                    self._error = exc.args[0].str()
            return self._end


def health(log: KafkaSchemaLog | None) -> tuple[int, dict[str, Any]]:
    """Liveness: the process answers and its `_schemas` reader thread runs."""
    reasons = []
    if log is not None and not log.reader_alive:
        reasons.append(f"the {log.topic} reader stopped: {log.reader_error or 'its thread is not running'}")
    return (503, {"status": "unhealthy", "reasons": reasons}) if reasons else (200, {"status": "healthy", "reasons": []})


def readiness(election: PrimaryElection | None, reader: ReaderStatus) -> tuple[int, dict[str, Any]]:
    """Ready: this instance is the primary or knows the primary's URL, and its reader has caught up."""
    is_primary = election is None or election.is_primary
    known = election is None or election.primary_known
    reasons = [] if known else ["no primary known: the election has not settled (writes would answer 50004)"]
    if reader.problem is not None:
        reasons.append(reader.problem)
    body = {
        "status": "not ready" if reasons else "ready",
        "primary": is_primary,
        "primary_url": election.primary_url if election is not None and known else None,
        "reader": reader.json(),
        "reasons": reasons,
    }
    return (503 if reasons else 200), body

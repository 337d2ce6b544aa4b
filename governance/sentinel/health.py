"""Is the sentinel alive, is it ready: one verdict each, computed when asked (GET /healthz and
GET /readyz on the metrics port, and the sentinel_healthy and sentinel_ready gauges) from what
the router, its bounded Kafka calls and the judge workers record anyway; nothing runs between probes.

Alive: the routing loop turns (idle with nothing to read, it turns every 0.1 s) or waits for a
Kafka call within that call's own limit. Failing: the loop has not turned for `loop_s` outside
such a call, a call is still pending past its own limit (the bound in `kafka/bounded.py` did not
hold), a transaction neither commits nor aborts within `transaction_s`, a judge worker process
died, or routing ended (stopped, or an error). The bounds come from the router's own timeouts, so
the probe fails only once the sentinel's own recovery should have happened.

Ready: routing runs, partitions are assigned (none before the group's first assignment and during
an eager rebalance) and the transactional producer is initialised (not while it is replaced).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from governance.sentinel.router import Router, RouterConfig, RouterEvent


@dataclass(frozen=True)
class Bounds:
    loop_s: float
    """The routing loop may go this long without turning, outside a bounded Kafka call: a judge
    waiting out the registry or a rewind to the committed offsets each take up to one Kafka timeout."""
    transaction_s: float
    """A transaction open this long neither commits nor aborts: it is due after commit_every_ms,
    the broker aborts it after transaction.timeout.ms, and the next Kafka call finds that out."""
    call_slack_s: float
    """A bounded Kafka call may still be pending this long past its own limit (timeout and grace)."""

    @classmethod
    def of(cls, config: RouterConfig, grace_s: float) -> Bounds:
        """From the router's timeouts and the grace its bounded calls get (defaults: 130 s, 126 s, 5 s)."""
        call_s = config.operation_timeout_s + grace_s
        commit_s, abort_s = config.commit_every_ms / 1000, config.transaction_timeout_ms / 1000
        return cls(loop_s=2 * call_s, transaction_s=commit_s + abort_s + call_s, call_slack_s=grace_s)


@dataclass(frozen=True)
class Probe:
    ok: bool
    body: dict[str, Any]
    """{"status": "ok" | "failing" | "not ready", "reasons": [sentences], then facts}."""


class Health:
    """What a running `Sentinel` tells about itself. `on_event` is the router's event hook,
    `committed` is called after each commit and `routing()` wraps the routing loop."""

    def __init__(self, pipeline: str, router: Router, bounds: Bounds,
                 dead_workers: Callable[[], list[str]] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        """`dead_workers`: the judge worker processes that exited, described (None: no workers)."""
        self.pipeline, self.router, self.bounds = pipeline, router, bounds
        self.dead_workers, self.clock = dead_workers, clock
        self.assigned = 0
        self.last_commit: float | None = None
        """Unix time of the last committed transaction."""
        self._routed_at: float | None = None
        self._started_at: float | None = None
        self._ended: str | None = None
        """Why routing ended; None while it runs (or before)."""
        self._lock = threading.Lock()

    # -- what the sentinel tells it ------------------------------------------------

    def on_event(self, event: RouterEvent, count: int) -> None:
        with self._lock:
            if event == "assigned":
                self.assigned += count
            elif event in ("revoked", "lost"):
                self.assigned = max(0, self.assigned - count)
            else:
                self._routed_at = self.clock()

    def committed(self) -> None:
        self.last_commit = time.time()

    @contextmanager
    def routing(self) -> Iterator[None]:
        self._started_at = self.clock()
        try:
            yield
        except BaseException as e:
            self._ended = f"routing stopped on an error: {type(e).__name__}: {e}"
            raise
        self._ended = "routing stopped (the sentinel is shutting down)"

    # -- the verdicts ------------------------------------------------------------------

    def healthz(self) -> Probe:
        now, facts = self.clock(), self._facts()
        reasons = [self._ended] if self._ended is not None else []
        pending = self.router.bounded.pending
        if pending is not None:
            waited = now - pending.since
            if waited > pending.limit_s + self.bounds.call_slack_s:
                reasons.append(f"Kafka was asked to {pending.what} {waited:.0f} s ago and the call was not given up "
                               f"after its own limit of {pending.limit_s:.0f} s: the routing thread is stuck in it")
        elif self._started_at is not None and self._ended is None:
            quiet = now - max(self.router.looped_at, self.router.bounded.settled_at, self._started_at)
            if quiet > self.bounds.loop_s:
                reasons.append(f"the routing loop has not turned for {quiet:.0f} s (bound {self.bounds.loop_s:.0f} s): "
                               "stuck in the judge or in a Kafka call")
        age = facts["open_transaction_seconds"]
        if age is not None and age > self.bounds.transaction_s:
            reasons.append(f"a transaction has been open for {age:.0f} s without committing or aborting "
                           f"(bound {self.bounds.transaction_s:.0f} s)")
        reasons += [f"judge worker {worker} died" for worker in facts.get("dead_judge_workers", ())]
        return Probe(not reasons, {"status": "failing" if reasons else "ok", "reasons": reasons, **facts})

    def readyz(self) -> Probe:
        facts = self._facts()
        reasons = [self._ended] if self._ended is not None else []
        if self._started_at is None:
            reasons.append("routing has not started")
        elif not self.assigned:
            reasons.append("no partitions assigned: the consumer group is forming or rebalancing")
        txn = self.router.transactions
        if txn is not None and txn.starting:
            reasons.append("the transactional producer is being initialised (replacing one fenced or broken)")
        return Probe(not reasons, {"status": "not ready" if reasons else "ok", "reasons": reasons, **facts})

    def _facts(self) -> dict[str, Any]:
        now, router = self.clock(), self.router
        pending, txn = router.bounded.pending, router.transactions
        opened = txn.opened_at if txn is not None else None

        def since(moment: float | None) -> float | None:
            return None if moment is None else round(now - moment, 1)

        facts: dict[str, Any] = {
            "pipeline": self.pipeline,
            "assigned_partitions": self.assigned,
            "seconds_since_loop": since(router.looped_at or None),
            "seconds_since_records_routed": since(self._routed_at),
            "open_transaction_seconds": since(opened),
            "kafka_call": None if pending is None else {"what": pending.what, "seconds": since(pending.since),
                                                         "gives_up_after_s": pending.limit_s},
            "last_commit": self.last_commit,
            "seconds_since_commit": None if self.last_commit is None else round(time.time() - self.last_commit, 1),
            "bounds": asdict(self.bounds),
        }
        if self.dead_workers is not None:
            facts["dead_judge_workers"] = self.dead_workers()
        return facts

"""Garbage collection on the router's schedule instead of the allocator's.

CPython's cyclic collector runs whenever 700 more container objects are alive than
before. A record's headers are a list of tuples, so while a batch holding records with
a thousand headers each is routed, the collector runs dozens of times, and each run
walks every one of those tuples that is still alive. On the poisoned run of
bench/poison.py that took the routing thread 1.5 s of 13 s (0.2 s on the clean run).
Between two batches almost nothing young is alive, so while a sentinel routes, the
automatic collector is off and each commit collects instead: the young generations
after every commit (cheap then), everything once a minute.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from types import TracebackType

FULL_EVERY_S = 60.0


class CommitCollector:
    def __init__(self, full_every_s: float = FULL_EVERY_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.full_every_s = full_every_s
        self._clock = clock
        self._was_enabled = True
        self._full_at = 0.0

    def __enter__(self) -> CommitCollector:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._full_at = self._clock() + self.full_every_s
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._was_enabled:
            gc.enable()

    def after_commit(self) -> None:
        now = self._clock()
        if now >= self._full_at:
            gc.collect()
            self._full_at = now + self.full_every_s
        else:
            gc.collect(1)


def freeze_setup_heap() -> None:
    """For a process that only routes from now on: set-up (and Great Expectations with pandas, when
    the rules need them in this process) left a heap of long-lived objects; unfrozen, every full
    collection walks all of it, which cost a quarter of the routing rate with GX loaded. A program
    that embeds a Sentinel decides this for itself."""
    gc.collect()
    gc.freeze()

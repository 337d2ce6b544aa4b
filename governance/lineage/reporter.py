"""The sentinel reporting to DataHub while it runs: its job lineage when it starts, and its
assertion results every window.

Emission never slows or stops routing: the routing thread only appends a window's KPI
record to a bounded queue; a thread of its own maps and sends. When DataHub cannot be
reached the reporter keeps what it holds (dropping the oldest windows past a bound),
retries with back-off, counts failures for /metrics, and says so once on the console
(and once more when DataHub is back).
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.kafka.settings import KafkaSettings
from governance.lineage.emit import Target

log = logging.getLogger("governance.sentinel.datahub")


@dataclass
class ReporterStats:
    emitted: int = 0
    """Aspects DataHub took."""
    failures: int = 0
    """Attempts that failed."""
    dropped_windows: int = 0
    pending_windows: int = 0


class DataHubReporter:
    def __init__(self, target: Target, job_mcps: Callable[[], list[Any]], window_mcps: Callable[[dict[str, Any]], list[Any]],
                 *, max_windows: int = 1000, max_backoff_s: float = 30.0) -> None:
        """`job_mcps` and `window_mcps` build metadata in the reporter's thread, off the routing path."""
        self.target = target
        self._job_mcps, self._window_mcps = job_mcps, window_mcps
        self._queue: collections.deque[dict[str, Any]] = collections.deque()
        self._max_windows, self._max_backoff = max_windows, max_backoff_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._stats = ReporterStats()
        self._thread = threading.Thread(target=self._run, name="datahub-reporter", daemon=True)
        self._job_sent = False

    def start(self) -> None:
        self._thread.start()

    def window(self, kpi: dict[str, Any]) -> None:
        """Called by the routing thread: never blocks, never raises."""
        with self._lock:
            self._queue.append(kpi)
            while len(self._queue) > self._max_windows:
                self._queue.popleft()
                self._stats.dropped_windows += 1
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Send what is held if DataHub answers within `timeout`, then stop."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def stats(self) -> ReporterStats:
        with self._lock:
            return ReporterStats(self._stats.emitted, self._stats.failures, self._stats.dropped_windows, len(self._queue))

    def _run(self) -> None:
        from governance.lineage.emit import open_emitter

        delay, failing = 1.0, False
        emitter = None
        while True:
            try:
                if emitter is None:
                    emitter = open_emitter(self.target)
                if not self._job_sent:
                    mcps = self._job_mcps()
                    emitter.emit(mcps)
                    self._job_sent = True
                    self._count(len(mcps))
                while True:
                    with self._lock:
                        kpi = self._queue[0] if self._queue else None
                    if kpi is None:
                        break
                    mcps = self._window_mcps(kpi)
                    emitter.emit(mcps)
                    with self._lock:
                        if self._queue and self._queue[0] is kpi:
                            self._queue.popleft()
                    self._count(len(mcps))
                if failing:
                    log.warning("DataHub (%s) takes metadata again; sent what was held", self.target.describe())
                failing, delay = False, 1.0
            except Exception as e:  # the target is down or refuses: keep routing, hold, retry
                with self._lock:
                    self._stats.failures += 1
                if not failing:
                    log.warning("DataHub (%s) cannot be reached: %s; routing goes on, window results are held "
                                "(up to %d windows) and sent when it answers", self.target.describe(),
                                getattr(e, "message", None) or e, self._max_windows)
                failing = True
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, self._max_backoff)
                continue
            if self._stop.is_set():
                if emitter is not None:
                    emitter.close()
                return
            self._wake.wait()
            self._wake.clear()

    def _count(self, n: int) -> None:
        with self._lock:
            self._stats.emitted += n


def pipeline_reporter(datahub: str, pipeline_file: Path, registry_url: str | None,
                      settings: KafkaSettings) -> DataHubReporter:
    """`sentinel run --datahub TARGET`: a reporter of the pipeline's job and window results. A
    `kafka://` target on the sentinel's own cluster uses its client properties too."""
    from governance.lineage.build import pipeline_estate
    from governance.lineage.datahub import Mapper
    from governance.lineage.emit import parse_target

    def kafka(servers: str | None) -> KafkaSettings:
        return settings if servers in (None, settings.bootstrap_servers) else KafkaSettings(servers, source="--datahub")

    target = parse_target(datahub, registry_url=registry_url, kafka=kafka)
    mapper = Mapper(pipeline_estate(pipeline_file, registry_url))
    (job,) = [j for j in mapper.estate.jobs if j.kind == "sentinel"]
    return DataHubReporter(target, mapper.mcps, lambda kpi: mapper.window_results(job, kpi))

"""What an operator sees: a live status line in a terminal and one line per window.

The live line is redrawn in place about once a second, only when the output is a
terminal; window lines are always printed, so logs show the KPIs too.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import TextIO

from governance.sentinel.kpi import KpiWindow, Snapshot


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def window_line(pipeline: str, record: KpiWindow, subject: str | None = None) -> str:
    """`subject`: the pipeline's, named beside records whose schema ids belong to other subjects."""
    start = dt.datetime.fromtimestamp(record.window_start / 1000).strftime("%H:%M:%S")
    end = dt.datetime.fromtimestamp(record.window_end / 1000).strftime("%H:%M:%S")
    w = record.window
    text = (f"{pipeline} window {start}-{end}{' (partial, stopping)' if record.final else ''}: "
            f"{w.records_in:,} in, {w.valid:,} valid, {w.invalid:,} to the DLQ ({_pct(w.dlq_rate)}), "
            f"valid share {_pct(w.valid_share)}, schema-conformant share {_pct(w.schema_conformant_share)}, "
            f"{w.invalid_records_per_minute:,.1f} invalid/min, lag {record.consumer_lag:,}")
    failed = [v.rule + (f" (observed {_observed(v.observed_value)})" if v.observed_value is not None else "")
              for v in record.failed_window_rules]
    if failed:
        text += f"; window rule{'s' if len(failed) > 1 else ''} failed: {', '.join(failed)}"
    if record.unseen_columns:
        text += (f"; no record had column(s) {', '.join(record.unseen_columns)}: "
                 "the rules on them checked nothing (a typo in the pipeline file?)")
    mine = subject or "the pipeline's subject"
    for other, count in record.foreign_subjects:
        text += f"; {count:,} record(s) carry schema ids of subject {other}, not {mine}"
    if record.dlq_limit_streak:
        text += f"; {record.dlq_limit_streak} window(s) in a row above the DLQ limit"
    return text


def _observed(value: str) -> str:
    """GX's observed value (kept as JSON in the KPI record), short: numbers rounded, long values cut."""
    import json

    try:
        parsed = json.loads(value)
    except ValueError:
        return value[:80]
    if isinstance(parsed, float):
        return f"{parsed:,.4g}"
    text = json.dumps(parsed) if not isinstance(parsed, str) else parsed
    return text if len(text) <= 80 else text[:77] + "..."


def status_text(pipeline: str, snapshot: Snapshot, now: float, rate: float) -> str:
    t = snapshot.total
    up = int(now - snapshot.started)
    return (f"{pipeline} | {t.records_in:,} in | {t.valid:,} valid | {t.invalid:,} DLQ ({_pct(t.dlq_rate)}) | "
            f"valid share {_pct(t.valid_share)} | schema-conformant {_pct(t.schema_conformant_share)} | {rate:,.0f} rec/s | lag {snapshot.lag:,} | up {up // 60}m{up % 60:02d}s")


class Console:
    """Serialises writes to the terminal so window lines do not tear the status line."""

    def __init__(self, out: TextIO, live: bool) -> None:
        self.out, self.live = out, live
        self._lock = threading.RLock()  # a signal handler may print while the main thread holds it
        self._shown = False

    def line(self, text: str) -> None:
        with self._lock:
            if self._shown:
                self.out.write("\r\x1b[2K")
                self._shown = False
            self.out.write(text + "\n")
            self.out.flush()

    def status(self, text: str) -> None:
        with self._lock:
            self.out.write("\r\x1b[2K" + text)
            self.out.flush()
            self._shown = True

    def clear(self) -> None:
        with self._lock:
            if self._shown:
                self.out.write("\r\x1b[2K")
                self.out.flush()
                self._shown = False


class StatusLine:
    def __init__(self, console: Console, pipeline: str, snapshot: Callable[[], Snapshot], interval: float = 1.0) -> None:
        self.console, self.pipeline, self.snapshot, self.interval = console, pipeline, snapshot, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="status-line", daemon=True)

    def start(self) -> None:
        if self.console.live:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)
        self.console.clear()

    def _run(self) -> None:
        last_n, last_t = 0, time.monotonic()
        while not self._stop.wait(self.interval):
            snap = self.snapshot()
            now = time.monotonic()
            rate = (snap.total.records_in - last_n) / max(now - last_t, 1e-6)
            last_n, last_t = snap.total.records_in, now
            self.console.status(status_text(self.pipeline, snap, time.time(), rate))

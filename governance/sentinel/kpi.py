"""Compliance KPIs per tumbling window, kept exact under exactly-once routing.

The tracker is the router's `Outbox`. Counts from a batch stay *pending* until
the transaction holding the batch commits; an abort drops them (the batch is
read and counted again). A window's KPI record is written into the transaction
that commits the window's last batch, so the KPI topic agrees with the valid and
DLQ topics. Windows are aligned to the epoch on the wall clock, so all processes
of a pipeline share window boundaries and their records can be summed.
"""

from __future__ import annotations

import io
import json
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

from governance.sentinel.judge import BatchTally
from governance.sentinel.routing import ExtraRecord


def kpi_schema_text() -> str:
    return resources.files("governance.sentinel").joinpath("kpi.avsc").read_text(encoding="utf-8")


@dataclass(frozen=True)
class WindowStats:
    """Counts and rates of a window (or of the process so far): kpi.avsc's `WindowStats`."""

    records_in: int
    valid: int
    invalid: int
    schema_failures: int
    warning_records: int
    rule_failures: Mapping[str, int]
    invalid_records_per_minute: float
    schema_compliance_rate: float | None
    """Deprecated name of `schema_conformant_share` (kpi.avsc keeps it for earlier readers). None: no records."""
    dlq_rate: float | None
    tombstones: int = 0
    replayed: int = 0
    """Dead letters a replay moved to the valid topic (only in a replay's KPI record)."""
    valid_share: float | None = None
    """Passed the schema and every critical rule: valid / records_in. None: no records."""
    schema_conformant_share: float | None = None
    """Deserialized against the subject, whatever the rules said. None: no records."""


@dataclass(frozen=True)
class WindowVerdict:
    rule: str
    success: bool
    observed_value: str | None
    """GX's observed value, as JSON."""


@dataclass(frozen=True)
class KpiWindow:
    """One KPI record: a window of one process of a pipeline (kpi.avsc's `SentinelKpi`)."""

    pipeline: str
    instance: str
    window_start: int
    window_end: int
    final: bool
    window: WindowStats
    total: WindowStats
    consumer_lag: int
    window_expectations: tuple[WindowVerdict, ...]
    dlq_limit_streak: int
    unseen_columns: tuple[str, ...]
    open: bool = False
    """Running counts of a window still open (written with each transaction); no window verdicts yet."""
    foreign_subjects: tuple[tuple[str, int], ...] = ()
    """(subject, records) of records whose schema id is registered under another subject (not in kpi.avsc)."""

    @property
    def failed_window_rules(self) -> list[WindowVerdict]:
        return [v for v in self.window_expectations if not v.success]

    def as_avro(self) -> dict[str, Any]:
        """The record as kpi.avsc has it (also what the KPI topic's readers get back)."""
        record = asdict(self)
        del record["foreign_subjects"]
        record["window_expectations"] = [asdict(v) for v in self.window_expectations]
        record["unseen_columns"] = list(self.unseen_columns)
        for stats in ("window", "total"):
            record[stats]["rule_failures"] = dict(record[stats]["rule_failures"])
        return record


class WindowCounts(BatchTally):
    """Counts that add up; the rates of KPI records and of the status line come from here."""

    def merged(self, other: BatchTally | None) -> WindowCounts:
        out = WindowCounts()
        out.add(self)
        if other is not None:
            out.add(other)
        return out

    @property
    def valid_share(self) -> float | None:
        """Records that passed the schema and every critical rule (reached the valid topic)."""
        return self.valid / self.records_in if self.records_in else None

    @property
    def schema_conformant_share(self) -> float | None:
        """Records that deserialized against the subject, whatever the rules said."""
        return (self.records_in - self.schema_failures) / self.records_in if self.records_in else None

    @property
    def dlq_rate(self) -> float | None:
        return self.invalid / self.records_in if self.records_in else None

    def invalid_per_minute(self, minutes: float) -> float:
        return self.invalid / minutes if minutes > 0 else 0.0

    def stats(self, rules: Sequence[str], minutes: float) -> WindowStats:
        """`rules` are listed even when nothing failed them; other rules that failed (the data-contract
        rules of a schema version registered after the start) follow them."""
        return WindowStats(
            records_in=self.records_in, valid=self.valid, invalid=self.invalid,
            schema_failures=self.schema_failures, warning_records=self.warning_records,
            rule_failures={**{rule: self.rule_failures.get(rule, 0) for rule in rules}, **{
                rule: n for rule, n in self.rule_failures.items() if rule not in rules}},
            invalid_records_per_minute=self.invalid_per_minute(minutes),
            schema_compliance_rate=self.schema_conformant_share, dlq_rate=self.dlq_rate, tombstones=self.tombstones,
            valid_share=self.valid_share, schema_conformant_share=self.schema_conformant_share,
        )


def json_kpi(record: dict[str, Any]) -> bytes:
    """A KPI record as JSON with kpi.avsc's field names (for pipelines run without a registry)."""
    return json.dumps(record, separators=(",", ":")).encode()


class DlqLimit:
    """Trips when the invalid ratio stays above `ratio` for `windows` windows in a row,
    in the spirit of Sentry Arroyo's DlqLimit. Windows without records neither
    extend nor break a streak."""

    def __init__(self, ratio: float, windows: int) -> None:
        self.ratio, self.windows = ratio, windows
        self.streak = 0
        self.last_ratio = 0.0

    def observe(self, counts: WindowCounts) -> bool:
        if counts.records_in == 0:
            return self.tripped
        self.last_ratio = counts.invalid / counts.records_in
        self.streak = self.streak + 1 if self.last_ratio > self.ratio else 0
        return self.tripped

    @property
    def tripped(self) -> bool:
        return self.streak >= self.windows


class FirstRecordsLimit:
    """Trips when the first `records` records a process routes all go to the DLQ: a `subject` that
    is not the producers' one, or a rule no record can meet. Disarmed by the first valid record."""

    def __init__(self, records: int) -> None:
        self.records = records
        self.tripped = False
        self.disarmed = records <= 0

    def observe(self, records_in: int, valid: int) -> bool:
        """Committed counts of this process so far; True once tripped."""
        if not self.disarmed:
            if valid > 0:
                self.disarmed = True
            elif records_in >= self.records:
                self.tripped = self.disarmed = True
        return self.tripped


class AvroKpiEncoder:
    """Confluent wire format for KPI records: magic byte, schema id, Avro body."""

    def __init__(self, schema_id: int, schema_text: str | None = None) -> None:
        import fastavro

        self._schema = fastavro.parse_schema(json.loads(schema_text or kpi_schema_text()))
        self._header = struct.pack(">bI", 0, schema_id)
        self._write = fastavro.schemaless_writer

    def __call__(self, record: dict[str, Any]) -> bytes:
        buf = io.BytesIO()
        buf.write(self._header)
        self._write(buf, self._schema, record)
        return buf.getvalue()


WindowJudge = Callable[[list[dict[str, Any]]], list[tuple[str, bool, Any]]]
"""Window rows -> (rule, success, observed value) per window rule."""


@dataclass(frozen=True)
class Snapshot:
    """What /metrics and the status line read: committed numbers only."""

    total: WindowCounts
    last_window: KpiWindow | None
    lag: int
    started: float
    dlq_limit_streak: int


class KpiTracker:
    def __init__(
        self,
        pipeline: str,
        instance: str,
        kpi_topic: str | None,
        window_seconds: int,
        record_rules: Sequence[str],
        encode: Callable[[dict[str, Any]], bytes] | None = None,
        window_judge: WindowJudge | None = None,
        dlq_limit: DlqLimit | None = None,
        clock: Callable[[], float] = time.time,
        watched_columns: Sequence[str] = (),
    ) -> None:
        """`watched_columns`: rule columns reported per window when no record had them
        (JSON pipelines, where no schema says which fields exist)."""
        self.pipeline, self.instance, self.kpi_topic = pipeline, instance, kpi_topic
        self.watched_columns = tuple(watched_columns)
        self.record_rules = tuple(record_rules)
        self.encode, self.window_judge, self.dlq_limit = encode, window_judge, dlq_limit
        self.clock = clock
        self.lag: Callable[[], int] = lambda: 0
        self.on_window: Callable[[KpiWindow], None] | None = None
        self.on_trip: Callable[[], None] | None = None
        self._ws = window_seconds * 1000
        self._lock = threading.Lock()
        self._started = clock()
        self._next = self._window_of(self._now())
        self._committed: dict[int, WindowCounts] = {}
        self._pending: dict[int, WindowCounts] = {}
        self._outgoing: list[tuple[int, KpiWindow]] = []
        self._total = WindowCounts()
        self._last: KpiWindow | None = None
        self._lag = 0
        self._run = uuid.uuid4().hex[:12]
        """Part of every key: a restarted process (even with the same instance id) never
        overwrites what its killed predecessor committed."""

    def _now(self) -> int:
        return int(self.clock() * 1000)

    def _window_of(self, ms: int) -> int:
        return ms - ms % self._ws

    # -- fed by the judge ---------------------------------------------------------

    def observe(self, tally: BatchTally) -> None:
        window = self._window_of(self._now())
        self._pending.setdefault(window, WindowCounts()).add(tally)

    # -- the router's Outbox -------------------------------------------------------

    def due(self) -> bool:
        return self._now() >= self._next + self._ws

    def records(self, final: bool) -> Iterable[ExtraRecord]:
        now = self._now()
        current = self._window_of(now)
        windows = {w for w in (*self._committed, *self._pending) if w < current}
        if current - self._ws >= self._next:
            windows.add(current - self._ws)  # a closed window is reported even without records
        if final:
            windows.add(current)
        pending_total = WindowCounts()
        for counts in self._pending.values():
            pending_total.add(counts, rows=False)
        total = self._total.merged(pending_total)
        lag = self.lag()
        self._lag = lag
        self._outgoing = []
        streak = self.dlq_limit.streak if self.dlq_limit is not None else 0
        for window in sorted(windows):
            counts = self._committed.get(window, WindowCounts()).merged(self._pending.get(window))
            is_final = final and window == current
            if self.dlq_limit is not None and counts.records_in and not is_final:
                streak = streak + 1 if counts.invalid / counts.records_in > self.dlq_limit.ratio else 0
            record = self._record(window, counts, total, lag, is_final, now, streak)
            self._outgoing.append((window, record))
            if self.encode is not None and self.kpi_topic is not None:
                yield self.kpi_topic, self.key(window), self.encode(record.as_avro())
        if current in self._pending and current not in windows and self.encode is not None and self.kpi_topic is not None:
            # The open window's running counts, in the transaction that commits the records they
            # count: whatever kills the process next, the last record under this key is the truth.
            counts = self._committed.get(current, WindowCounts()).merged(self._pending[current])
            running = self._record(current, counts, total, lag, False, now, streak, open=True)
            yield self.kpi_topic, self.key(current), self.encode(running.as_avro())

    def key(self, window: int) -> bytes:
        """The KPI record's key: one per process run and window (`pipeline/instance/run/window start`)."""
        return f"{self.pipeline}/{self.instance}/{self._run}/{window}".encode()

    def committed(self) -> None:
        tripped = False
        with self._lock:
            for window, counts in self._pending.items():
                self._committed.setdefault(window, WindowCounts()).add(counts)
                self._total.add(counts, rows=False)
            self._pending = {}
            for window, record in self._outgoing:
                counts = self._committed.pop(window, WindowCounts())
                self._next = max(self._next, window + self._ws)
                self._last = record
                if self.dlq_limit is not None and not record.final:
                    tripped = self.dlq_limit.observe(counts) or tripped
            published, self._outgoing = self._outgoing, []
            self._lag = self.lag()
        for _, record in published:
            if self.on_window is not None:
                self.on_window(record)
        if tripped and self.on_trip is not None:
            self.on_trip()

    def aborted(self) -> None:
        self._pending = {}
        self._outgoing = []

    def rerouted(self, records: int) -> None:
        self.observe(BatchTally(valid=-records, invalid=records))

    # -- read by other threads --------------------------------------------------------

    def snapshot(self) -> Snapshot:
        with self._lock:
            total = self._total.merged(None)
            streak = self.dlq_limit.streak if self.dlq_limit is not None else 0
            return Snapshot(total, self._last, self._lag, self._started, streak)

    # ------------------------------------------------------------------------------------

    def _record(self, window: int, counts: WindowCounts, total: WindowCounts, lag: int,
                final: bool, now: int, streak: int, open: bool = False) -> KpiWindow:
        verdicts = []
        if self.window_judge is not None and not open:  # GX on every transaction would cost the routing rate
            for rule, success, observed in self.window_judge(counts.rows):
                verdicts.append(WindowVerdict(rule, bool(success),
                                              None if observed is None else json.dumps(observed, default=str)))
        elapsed_min = max(now / 1000 - self._started, 1.0) / 60
        return KpiWindow(
            pipeline=self.pipeline, instance=self.instance, window_start=window, window_end=window + self._ws,
            final=final, window=counts.stats(self.record_rules, self._ws / 60_000),
            total=total.stats(self.record_rules, elapsed_min), consumer_lag=lag,
            window_expectations=tuple(verdicts), dlq_limit_streak=streak,
            unseen_columns=tuple(c for c in self.watched_columns if c not in counts.columns_seen)
            if counts.records_in else (),
            open=open, foreign_subjects=tuple(sorted(counts.foreign_subjects.items())),
        )

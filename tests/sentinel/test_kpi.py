"""KPI windows follow the transactions: counts become visible when the transaction
holding them commits, vanish when it aborts, and each window is published once."""

from __future__ import annotations

import io
import json

import fastavro
import pytest

from governance.sentinel.judge import BatchTally
from governance.sentinel.kpi import AvroKpiEncoder, DlqLimit, KpiTracker, WindowCounts, kpi_schema_text

RULES = ("zip", "total")


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def tally(records_in: int = 10, invalid: int = 1, schema_failures: int = 0, warnings: int = 0,
          rule_failures: dict[str, int] | None = None, rows: list[dict] | None = None) -> BatchTally:
    return BatchTally(records_in, records_in - invalid, invalid, schema_failures, warnings,
                      dict(rule_failures or {}), list(rows or []))


def tracker(clock: Clock, **kwargs: object) -> KpiTracker:
    t = KpiTracker("p", "i-1", "p-kpi", 60, RULES, encode=lambda record: json.dumps(record).encode(),
                   clock=clock, **kwargs)  # type: ignore[arg-type]
    return t


def published(t: KpiTracker, final: bool = False) -> list[dict]:
    return [json.loads(value) for _, _, value in t.records(final)]


def test_counts_are_invisible_until_their_transaction_commits() -> None:
    t = tracker(Clock(600.0))
    t.observe(tally(10, 2, rule_failures={"zip": 2}))
    assert t.snapshot().total.records_in == 0
    list(t.records(False))
    t.committed()
    snap = t.snapshot()
    assert (snap.total.records_in, snap.total.invalid, snap.total.rule_failures) == (10, 2, {"zip": 2})


def test_an_aborted_transaction_drops_its_counts() -> None:
    t = tracker(Clock(600.0))
    t.observe(tally(10, 2))
    t.aborted()
    t.observe(tally(5, 0))
    list(t.records(False))
    t.committed()
    assert t.snapshot().total.records_in == 5


def test_a_window_is_published_once_after_it_closes_with_the_counts_of_its_batches() -> None:
    clock = Clock(600.0)
    t = tracker(clock)
    t.observe(tally(10, 1, rule_failures={"zip": 1}))
    assert not t.due() and published(t) == []
    t.committed()
    clock.t = 630.0
    t.observe(tally(20, 4, schema_failures=2, warnings=3, rule_failures={"total": 2}))
    clock.t = 661.0
    assert t.due()
    (record,) = published(t)
    t.committed()
    assert (record["window_start"], record["window_end"], record["final"]) == (600_000, 660_000, False)
    w = record["window"]
    assert (w["records_in"], w["valid"], w["invalid"], w["schema_failures"], w["warning_records"]) == (30, 25, 5, 2, 3)
    assert w["rule_failures"] == {"zip": 1, "total": 2}
    assert w["invalid_records_per_minute"] == 5.0
    assert w["schema_compliance_rate"] == pytest.approx(28 / 30) and w["dlq_rate"] == pytest.approx(5 / 30)
    assert not t.due() and published(t) == []


def test_window_kpis_written_in_an_aborted_transaction_are_written_again() -> None:
    clock = Clock(600.0)
    t = tracker(clock)
    t.observe(tally(10, 1))
    t.committed()
    clock.t = 661.0
    t.observe(tally(7, 0))  # lands in the next window
    first = published(t)
    t.aborted()
    assert t.due()
    again = published(t)
    t.committed()
    assert [r["window"]["records_in"] for r in first] == [r["window"]["records_in"] for r in again] == [10]


def test_a_closed_window_without_records_is_still_reported() -> None:
    clock = Clock(600.0)
    t = tracker(clock)
    clock.t = 665.0
    assert t.due()
    (record,) = published(t)
    assert record["window"]["records_in"] == 0
    assert record["window"]["schema_compliance_rate"] is None and record["window"]["dlq_rate"] is None
    assert record["window"]["rule_failures"] == {"zip": 0, "total": 0}


def test_stopping_publishes_the_open_window_marked_final() -> None:
    clock = Clock(600.0)
    t = tracker(clock)
    t.observe(tally(10, 1))
    clock.t = 610.0
    (record,) = published(t, final=True)
    assert record["final"] and record["window"]["records_in"] == 10 and record["total"]["records_in"] == 10


def test_window_rules_judge_the_valid_rows_of_the_window() -> None:
    clock = Clock(600.0)
    seen: list[list[dict]] = []

    def judge(rows: list[dict]) -> list[tuple[str, bool, object]]:
        seen.append(rows)
        return [("mean", sum(r["x"] for r in rows) / len(rows) > 1, 1.5)]

    t = tracker(clock, window_judge=judge)
    t.observe(tally(2, 0, rows=[{"x": 1}, {"x": 2}]))
    t.committed()
    clock.t = 661.0
    (record,) = published(t)
    assert seen == [[{"x": 1}, {"x": 2}]]
    assert record["window_expectations"] == [{"rule": "mean", "success": True, "observed_value": "1.5"}]


def test_the_dlq_limit_trips_after_k_windows_in_a_row_above_the_ratio() -> None:
    limit = DlqLimit(0.5, 3)
    assert not limit.observe(WindowCounts(records_in=10, invalid=6))
    assert not limit.observe(WindowCounts(records_in=10, invalid=7))
    assert not limit.observe(WindowCounts(records_in=0))  # no records: no evidence either way
    assert limit.observe(WindowCounts(records_in=10, invalid=10))
    assert limit.streak == 3 and limit.last_ratio == 1.0


def test_a_good_window_resets_the_dlq_limit_streak() -> None:
    limit = DlqLimit(0.5, 2)
    limit.observe(WindowCounts(records_in=10, invalid=9))
    limit.observe(WindowCounts(records_in=10, invalid=5))  # exactly at the ratio is not above it
    assert not limit.observe(WindowCounts(records_in=10, invalid=9))


def test_the_tracker_calls_on_trip_when_a_committed_window_trips_the_limit() -> None:
    clock = Clock(600.0)
    t = tracker(clock, dlq_limit=DlqLimit(0.5, 2))
    trips: list[bool] = []
    t.on_trip = lambda: trips.append(True)
    for start in (600.0, 660.0):
        clock.t = start
        t.observe(tally(10, 9))
        clock.t = start + 61
        records = published(t)
        t.committed()
    assert trips == [True]
    assert records[-1]["dlq_limit_streak"] == 2


def test_kpi_records_are_confluent_wire_format_avro_of_the_shipped_schema() -> None:
    clock = Clock(600.0)
    t = KpiTracker("p", "i-1", "p-kpi", 60, RULES, encode=AvroKpiEncoder(42), clock=clock)
    t.observe(tally(10, 1, rule_failures={"zip": 1}))
    clock.t = 661.0
    ((topic, key, value),) = list(t.records(False))
    assert (topic, key, value[:5]) == ("p-kpi", b"p", b"\x00\x00\x00\x00\x2a")
    schema = fastavro.parse_schema(json.loads(kpi_schema_text()))
    record = fastavro.schemaless_reader(io.BytesIO(value[5:]), schema, None)
    assert record["window"]["records_in"] == 10 and record["window"]["rule_failures"] == {"zip": 1, "total": 0}

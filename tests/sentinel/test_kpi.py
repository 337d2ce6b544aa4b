"""KPI windows follow the transactions: counts become visible when the transaction
holding them commits, vanish when it aborts, and each window is published once."""

from __future__ import annotations

import io
import json
from pathlib import Path

import fastavro
import pytest

from governance.sentinel.judge import BatchTally
from governance.sentinel.kpi import AvroKpiEncoder, DlqLimit, FirstRecordsLimit, KpiTracker, WindowCounts, kpi_schema_text

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


def written(t: KpiTracker, final: bool = False) -> list[tuple[bytes, dict]]:
    """Every KPI record of the transaction being committed: (key, record)."""
    return [(key, json.loads(value)) for _, key, value in t.records(final)]


def published(t: KpiTracker, final: bool = False) -> list[dict]:
    """The records that close a window (not the open window's running counts)."""
    return [r for _, r in written(t, final) if not r["open"]]


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
    assert w["valid_share"] == pytest.approx(25 / 30) and w["dlq_rate"] == pytest.approx(5 / 30)
    assert w["schema_conformant_share"] == w["schema_compliance_rate"] == pytest.approx(28 / 30)
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
    assert record["window"]["valid_share"] is None and record["window"]["schema_conformant_share"] is None
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


def test_the_first_records_limit_trips_only_when_none_of_the_first_n_was_valid() -> None:
    limit = FirstRecordsLimit(1000)
    assert not limit.observe(600, 0)
    assert limit.observe(1200, 0) and limit.tripped
    once_valid = FirstRecordsLimit(1000)
    assert not once_valid.observe(500, 1)
    assert not once_valid.observe(50_000, 1), "a valid record disarms it for good"
    assert not FirstRecordsLimit(0).observe(10_000, 0), "0: never"


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
    assert topic == "p-kpi" and key.startswith(b"p/i-1/") and key.endswith(b"/600000") and value[:5] == b"\x00\x00\x00\x00\x2a"
    schema = fastavro.parse_schema(json.loads(kpi_schema_text()))
    record = fastavro.schemaless_reader(io.BytesIO(value[5:]), schema, None)
    assert record["window"]["records_in"] == 10 and record["window"]["rule_failures"] == {"zip": 1, "total": 0}


def test_every_transaction_with_records_writes_the_open_windows_running_counts_under_one_key() -> None:
    clock = Clock(600.0)
    t = tracker(clock)
    t.observe(tally(10, 1))
    ((key, running),) = written(t)
    t.committed()
    assert running["open"] and running["window"]["records_in"] == 10 and running["window_expectations"] == []
    clock.t = 630.0
    t.observe(tally(5, 2))
    ((again, running),) = written(t)
    t.committed()
    assert again == key and running["window"]["records_in"] == 15 and running["window"]["invalid"] == 3
    assert written(t) == []  # a transaction without records of the open window writes nothing
    clock.t = 661.0
    ((closing_key, closed),) = written(t)
    t.committed()
    assert closing_key == key and not closed["open"] and closed["window"]["records_in"] == 15


def test_a_restarted_process_never_writes_under_its_predecessors_keys() -> None:
    clock = Clock(600.0)
    first, second = tracker(clock), tracker(clock)  # the same pipeline and instance id, two runs
    first.observe(tally(10, 1))
    second.observe(tally(4, 0))
    ((key1, _),), ((key2, _),) = written(first), written(second)
    assert key1 != key2 and key1.endswith(b"/600000") and key2.endswith(b"/600000")


def test_the_last_record_per_key_sums_to_the_committed_records_whatever_was_aborted() -> None:
    clock = Clock(600.0)
    t = tracker(clock)
    topic: dict[bytes, dict] = {}  # what a compacted KPI topic keeps: the last record per key
    committed = 0
    for step in range(12):
        t.observe(tally(10, step % 3))
        records = written(t)
        if step % 4 == 3:
            t.aborted()  # the records of this batch are read and counted again next time
            continue
        t.committed()
        committed += 10
        topic.update(records)
        clock.t += 17.0
    assert sum(r["window"]["records_in"] for r in topic.values()) == committed


SHIPPED = sorted((Path(__file__).parent / "kpi_history").glob("v*.avsc"), key=lambda p: int(p.name[1:].split("-")[0]))
"""Every kpi.avsc a release registered under `<kpi_topic>-value`, oldest first (from git history)."""


def test_the_kpi_schema_is_full_transitive_compatible_with_every_version_shipped_before() -> None:
    from governance.avro import Level, check_compatibility, parse_schema

    previous = [(n, parse_schema(p.read_text())) for n, p in enumerate(SHIPPED, 1)]
    assert len(previous) == 5
    assert check_compatibility(parse_schema(kpi_schema_text()), previous, Level.FULL_TRANSITIVE) == []


def test_readers_of_the_previous_kpi_schema_keep_their_figure_and_new_readers_get_null_from_old_records() -> None:
    clock = Clock(600.0)
    t = KpiTracker("p", "i-1", "p-kpi", 60, RULES, encode=AvroKpiEncoder(42), clock=clock)
    t.observe(tally(10, 3, schema_failures=1))
    clock.t = 661.0
    ((_, _, value),) = list(t.records(False))
    old = fastavro.parse_schema(json.loads(SHIPPED[-1].read_text()))
    new = fastavro.parse_schema(json.loads(kpi_schema_text()))
    as_old = fastavro.schemaless_reader(io.BytesIO(value[5:]), new, old)
    assert as_old["window"]["schema_compliance_rate"] == pytest.approx(0.9)
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, old, as_old)
    as_new = fastavro.schemaless_reader(io.BytesIO(buf.getvalue()), old, new)
    assert as_new["window"]["valid_share"] is None and as_new["window"]["schema_conformant_share"] is None
    assert as_new["window"]["schema_compliance_rate"] == pytest.approx(0.9)


def test_a_sentinel_of_this_release_registers_its_kpi_schema_over_the_last_shipped_one(registry_url: str,
                                                                                      unique_name: str) -> None:
    from types import SimpleNamespace

    from governance.registry.client import RegistryClient
    from governance.sentinel.topics import register_kpi_schema

    pipeline = SimpleNamespace(kpi_topic=f"{unique_name}-kpi")
    client = RegistryClient(registry_url)
    client.call("PUT", f"/config/{pipeline.kpi_topic}-value", {"compatibility": "FULL_TRANSITIVE"})
    for shipped in SHIPPED:
        client.call("POST", f"/subjects/{pipeline.kpi_topic}-value/versions", {"schema": shipped.read_text()})
    register_kpi_schema(registry_url, pipeline)  # type: ignore[arg-type]
    assert client.call("GET", f"/subjects/{pipeline.kpi_topic}-value/versions") == [1, 2, 3, 4, 5, 6]

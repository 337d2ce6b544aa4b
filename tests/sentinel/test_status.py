"""The operator's window line says what a window held, and which window rules failed with what GX observed."""

from __future__ import annotations

from governance.sentinel.kpi import KpiWindow, WindowCounts, WindowVerdict
from governance.sentinel.status import window_line


def window(*verdicts: WindowVerdict) -> KpiWindow:
    stats = WindowCounts(records_in=40, valid=38, invalid=2).stats([], 1.0)
    return KpiWindow("orders", "i-1", 1_700_000_000_000, 1_700_000_060_000, False, stats, stats, 3, verdicts, 0, ())


def test_a_failing_window_rule_is_named_with_the_value_gx_observed() -> None:
    line = window_line("orders", window(
        WindowVerdict("expect_column_mean_to_be_between(totalCents)", False, "89.33333333333333"),
        WindowVerdict("expect_table_row_count_to_be_between", True, "40")))
    assert "40 in, 38 valid, 2 to the DLQ (5.0%)" in line
    assert line.endswith("; window rule failed: expect_column_mean_to_be_between(totalCents) (observed 89.33)")
    assert "row_count" not in line


def test_several_failures_are_listed_and_long_observations_cut() -> None:
    line = window_line("orders", window(
        WindowVerdict("mean", False, "1e+20"),
        WindowVerdict("values", False, '{"values": [' + ", ".join(['"x"'] * 60) + "]}")))
    assert "window rules failed: mean (observed 1e+20), values (observed {" in line
    assert line.endswith('...)')


def test_records_of_another_subject_are_named_with_the_pipelines_subject() -> None:
    record = window()
    record = KpiWindow(*[getattr(record, f) for f in record.__dataclass_fields__ if f != "foreign_subjects"],
                       foreign_subjects=(("trial-sensors-value", 711),))
    line = window_line("trial", record, "trial-sensor-value")
    assert line.endswith("; 711 record(s) carry schema ids of subject trial-sensors-value, not trial-sensor-value")
    assert "foreign_subjects" not in record.as_avro(), "not part of kpi.avsc"


def test_a_window_where_every_rule_held_says_nothing_of_rules() -> None:
    assert "window rule" not in window_line("orders", window(WindowVerdict("mean", True, "12.0")))

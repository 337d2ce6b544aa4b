"""The KPI chart's columns: a null point where no window was written, none between windows that follow each other."""

from __future__ import annotations

from typing import Any

from governance.console.chart import chart_columns

MINUTE = 60_000


def window(end_minute: int, records: int = 10) -> dict[str, Any]:
    end = end_minute * MINUTE
    return {"start": end - MINUTE, "end": end, "records_in": records, "schema_conformant_share": 0.9 if records else None,
            "dlq_rate": 0.1 if records else None, "invalid_per_minute": 1.0 if records else 0.0}


def test_windows_that_follow_each_other_draw_one_line() -> None:
    columns = chart_columns([window(m) for m in (1, 2, 3)])
    assert columns["t"] == [60, 120, 180] and None not in columns["conformant"] and columns["window_s"] == 60


def test_a_gap_of_more_than_one_and_a_half_windows_gets_a_null_point_one_window_after_the_last() -> None:
    columns = chart_columns([window(1), window(2), window(31), window(32)])
    assert columns["t"] == [60, 120, 180, 1860, 1920]
    assert columns["conformant"] == [0.9, 0.9, None, 0.9, 0.9]
    assert columns["dlq"] == [0.1, 0.1, None, 0.1, 0.1] and columns["invalid"] == [1.0, 1.0, None, 1.0, 1.0]


def test_an_idle_window_is_a_window_not_a_gap_and_has_no_rates() -> None:
    columns = chart_columns([window(1), window(2, records=0), window(3)])
    assert columns["t"] == [60, 120, 180]
    assert columns["conformant"] == [0.9, None, 0.9] and columns["invalid"] == [1.0, 0.0, 1.0]


def test_no_windows_no_points() -> None:
    assert chart_columns([])["t"] == []

"""A pipeline's health says what it is and why: ok, warn, failing, stale or unknown, with its reasons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from governance.lineage.health import WRITTEN, health, summarize, windows

MINUTE = 60_000
T0 = int(dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.timezone.utc).timestamp() * 1000)


def kpi(window: int, records_in: int, invalid: int, *, final: bool = False, open: bool = False,
        expectations: tuple[tuple[str, bool], ...] = (), instance: str = "i-1") -> dict[str, Any]:
    start = T0 + window * MINUTE
    return {"pipeline": "orders", "instance": instance, "window_start": start, "window_end": start + MINUTE,
            "final": final, "open": open, "consumer_lag": 0,
            "window": {"records_in": records_in, "valid": records_in - invalid, "invalid": invalid, "schema_failures": 0,
                       "rule_failures": {}},
            "window_expectations": [{"rule": r, "success": ok, "observed_value": "1.0"} for r, ok in expectations]}


def at(records: list[dict[str, Any]], minutes_after_last_end: float) -> Any:
    series = windows(records)
    return health(series, series[-1]["end"] + minutes_after_last_end * MINUTE)


def test_a_running_pipeline_with_few_dead_letters_is_ok_and_says_so() -> None:
    h = at([kpi(0, 1000, 2, expectations=(("mean", True),))], 0.5)
    assert (h.state, h.running) == ("ok", True)
    assert h.reasons == ("DLQ rate 0.2% < 1%, every window rule held",)


def test_a_dlq_rate_of_one_percent_or_more_is_a_warning_that_names_the_rate_and_the_threshold() -> None:
    h = at([kpi(0, 1000, 45)], 0.5)
    assert (h.state, h.reasons, h.running) == ("warn", ("DLQ rate 4.5% ≥ 1%",), True)
    assert str(h) == "warn: DLQ rate 4.5% ≥ 1%"


def test_ten_percent_to_the_dlq_or_a_failed_window_rule_is_failing_with_each_reason() -> None:
    assert at([kpi(0, 100, 12)], 0).reasons == ("DLQ rate 12.0% ≥ 10%",)
    h = at([kpi(0, 1000, 20, expectations=(("expect_column_mean_to_be_between(totalCents)", False),))], 0)
    assert h.state == "failing"
    assert h.reasons == ("window rule expect_column_mean_to_be_between(totalCents) failed",)


def test_a_sentinel_that_stopped_makes_the_pipeline_stale_whatever_its_last_window_said() -> None:
    h = at([kpi(0, 1000, 45), kpi(1, 10, 0), kpi(2, 0, 0, final=True)], 10)
    assert (h.state, h.running) == ("stale", False)
    assert h.reasons[0] == "sentinel stopped, last heard of 10 min ago (window ending 2026-12-05 06:03:00 UTC)"
    assert h.reasons[1:] == ("as last seen, DLQ rate 0.0% < 1%",)


def test_a_sentinel_silent_for_more_than_three_window_lengths_is_stale_too() -> None:
    records = [kpi(0, 1000, 45), kpi(1, 0, 0)]
    assert at(records, 2.9).state == "warn"
    h = at(records, 10)
    assert (h.state, h.running) == ("stale", False)
    assert h.reasons[0] == ("no window for 10 min (windows of 60 s): sentinel not running, "
                          "last heard of in the window ending 2026-12-05 06:02:00 UTC")
    assert h.reasons[1] == "as last seen, DLQ rate 4.5% ≥ 1%"


def test_short_windows_are_not_called_stale_before_thirty_seconds() -> None:
    second = [{**kpi(0, 100, 2), "window_end": T0 + 1000}]
    assert at(second, 20 / 60).state == "warn" and at(second, 31 / 60).state == "stale"


def test_one_stopped_process_of_two_leaves_the_pipeline_running() -> None:
    h = at([kpi(0, 1000, 0, final=True), kpi(0, 1000, 0, instance="i-2")], 0.5)
    assert (h.state, h.running) == ("ok", True)


def test_no_kpi_records_or_no_routed_records_is_unknown() -> None:
    assert health([], T0).state == "unknown" and health([], T0).reasons == ("no KPI records: the sentinel never reported",)
    h = at([kpi(0, 0, 0)], 0.5)
    assert (h.state, h.reasons) == ("unknown", ("no records routed yet",))


def test_lineage_show_tells_the_same_state_and_reasons_before_the_window() -> None:
    records = [kpi(0, 1000, 45), kpi(1, 0, 0, final=True)]
    line = summarize(records, T0 + 14 * MINUTE)
    assert line == ("stale: sentinel stopped, last heard of 12 min ago (window ending 2026-12-05 06:02:00 UTC); "
                    "as last seen, DLQ rate 4.5% ≥ 1%; last window ended 2026-12-05 06:01:00 UTC: "
                    "95.5% valid, 100.0% schema-conformant, 4.5% to the DLQ, 1,000 records")


def test_lineage_show_tells_the_state_of_a_pipeline_that_routed_nothing_and_nothing_without_kpi_records() -> None:
    assert summarize([kpi(0, 0, 0)], T0 + 1.5 * MINUTE) == "unknown: no records routed yet"
    assert summarize([kpi(0, 0, 0, final=True)], T0 + 1.5 * MINUTE) == \
        "stale: sentinel stopped, last heard of 30 s ago (window ending 2026-12-05 06:01:00 UTC); as last seen, no records routed yet"
    assert summarize([], T0) is None


def test_a_window_every_process_stopped_in_ends_when_it_was_published_not_at_its_nominal_end() -> None:
    stopped = {**kpi(1, 100, 1, final=True), WRITTEN: T0 + MINUTE + 20_000}
    [_, last] = windows([kpi(0, 100, 1), stopped])
    assert last["end"] == T0 + MINUTE + 20_000, "the stop, 40 s before the window's nominal end"
    assert last["invalid_per_minute"] == 3.0, "one invalid record in the 20 s the window lasted"
    assert "last window ended 2026-12-05 06:01:20 UTC" in summarize([kpi(0, 100, 1), stopped], T0 + 2 * MINUTE)

    other = {**kpi(1, 100, 1, instance="i-2"), WRITTEN: T0 + MINUTE + 30_000}
    [_, shared] = windows([kpi(0, 100, 1), stopped, other])
    assert shared["end"] == T0 + 2 * MINUTE, "another process still routes in it: the window runs its length"

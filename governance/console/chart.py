"""A pipeline's KPI windows as chart columns that draw no line where there were no windows."""

from __future__ import annotations

from typing import Any

GAP = 1.5
"""Consecutive windows whose ends lie more than this many window lengths apart have a gap between them."""


def chart_columns(series: list[dict[str, Any]]) -> dict[str, Any]:
    """uPlot's columns (window end in seconds, then one column per measure), with a point of nulls
    one window after each window that no window follows in time, so the line breaks there."""
    length = max((w["end"] - w["start"] for w in series), default=60_000) or 60_000  # a stopped process's window is shorter
    columns: dict[str, list[Any]] = {"t": [], "conformant": [], "dlq": [], "invalid": []}
    previous: dict[str, Any] | None = None
    for w in series:
        if previous is not None and w["end"] - previous["end"] > GAP * length:
            _append(columns, (previous["end"] + length) / 1000, None, None, None)
        _append(columns, w["end"] / 1000, w["schema_conformant_share"], w["dlq_rate"], w["invalid_per_minute"])
        previous = w
    return {**columns, "window_s": length / 1000}


def _append(columns: dict[str, list[Any]], t: float, conformant: float | None, dlq: float | None,
            invalid: float | None) -> None:
    columns["t"].append(t)
    columns["conformant"].append(conformant)
    columns["dlq"].append(dlq)
    columns["invalid"].append(invalid)

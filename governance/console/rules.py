"""A rule as a steward reads it: its arguments as the pipeline file gives them, and a window rule's
observed value rounded and set next to the bounds it was held to."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def arguments(rule: str, kwargs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, value) of each argument, as in the pipeline file; the column only when the rule's name lacks it."""
    return [(k, _literal(v)) for k, v in kwargs.items()
            if v is not None and not (k == "column" and f"({v})" in rule)]


def observed(value: str | None, kwargs: Mapping[str, Any]) -> str:
    """`observed 14,398.73, expected between 100 and 10,000,000`; GX's observed value is kept as JSON."""
    if value is None:
        return ""
    try:
        parsed = json.loads(value)
    except ValueError:
        return f"observed {_cut(value)}"
    if isinstance(parsed, dict) and "unexpected_percent" in parsed:
        n = parsed.get("element_count")
        seen = f"observed {_number(parsed['unexpected_percent'])}% unexpected" + (f" of {n:,} records" if isinstance(n, int) else "")
        mostly = kwargs.get("mostly")
        return seen + (f", expected at most {_number((1 - mostly) * 100)}% (mostly {mostly})" if _is_number(mostly) else "")
    seen = f"observed {_number(parsed) if _is_number(parsed) else _cut(json.dumps(parsed))}"
    expected = _expected(kwargs)
    return f"{seen}, expected {expected}" if expected else seen


def _expected(kwargs: Mapping[str, Any]) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    above = ">" if kwargs.get("strict_min") else "≥"
    below = "<" if kwargs.get("strict_max") else "≤"
    if low is not None and high is not None:
        if kwargs.get("strict_min") or kwargs.get("strict_max"):
            return f"{above} {_number(low)} and {below} {_number(high)}"
        return f"between {_number(low)} and {_number(high)}"
    if low is not None:
        return f"{above} {_number(low)}"
    if high is not None:
        return f"{below} {_number(high)}"
    if "value_set" in kwargs:
        return f"in {_literal(kwargs['value_set'])}"
    return ""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value: Any) -> str:
    """Rounded for reading: integers whole, large numbers to two decimals, small ones to four significant digits."""
    if not _is_number(value):
        return _literal(value)
    value = round(value, 9)  # (1 - 0.95) * 100 is 5.000000000000004
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0") if abs(value) >= 1 else f"{value:.4g}"


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    return str(value)


def _cut(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."

"""Rules a profile supports, each with what was observed and why its severity: pure.

Severities, chosen so that a proposal rejects only what is surely wrong:
- not null: critical. The field was never null in the sample; a null is most likely a producer bug.
- a well-known format (UUID, ISO date, email, URL): critical. Values that are not one are broken.
- a range, a set of values, a length or an inferred pattern: warning. They describe the sample;
  real values outside them may be legitimate (a bigger order, a new currency), so they are
  counted and shown, and a person promotes them to critical.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from governance.rules.profile import FieldProfile, Profile

NOT_NULL = "expect_column_values_to_not_be_null"
BETWEEN = "expect_column_values_to_be_between"
IN_SET = "expect_column_values_to_be_in_set"
LENGTHS = "expect_column_value_lengths_to_be_between"
REGEX = "expect_column_values_to_match_regex"

WHY = {
    NOT_NULL: "critical: never null in the sample; a null is most likely a producer bug",
    BETWEEN: "warning: the range of a sample; values outside it may be legitimate",
    IN_SET: "warning: the values of a sample; a new value may be legitimate",
    LENGTHS: "warning: the lengths of a sample; longer or shorter values may be legitimate",
    REGEX: "warning: a pattern inferred from the sample; other values may be legitimate",
}
WHY_WELL_KNOWN = "critical: every value is a {label}; a value that is not one is broken"


@dataclass(frozen=True)
class Thresholds:
    min_records: int = 100
    """Decoded records below which nothing is proposed."""
    min_values: int = 50
    """Non-null values a field needs for a range, set, length or pattern rule."""
    max_distinct: int = 20
    """At most this many distinct strings make a set rule ..."""
    min_each: int = 5
    """... each seen at least this often."""
    margin: float = 0.1
    """A range rule widens the observed range by this share of its span on each side (never to or across 0)."""


@dataclass(frozen=True)
class Proposal:
    expectation: str
    column: str
    kwargs: dict[str, Any]
    severity: str
    observed: str
    why: str
    kind: str | None = None
    """The kind of the field's values (`int`, `float`, `decimal`, `str`): how a CEL literal is written."""


@dataclass(frozen=True)
class Proposals:
    records: int
    rules: tuple[Proposal, ...]
    notes: tuple[tuple[str, str], ...]
    """(column, why no value rule) for fields that got none."""


class TooSmall(Exception):
    """Fewer decoded records than `Thresholds.min_records`."""


def propose(profile: Profile, thresholds: Thresholds = Thresholds()) -> Proposals:
    if profile.records < thresholds.min_records:
        raise TooSmall(f"{profile.records:,} decoded records; proposing rules needs at least {thresholds.min_records:,}")
    rules: list[Proposal] = []
    notes: list[tuple[str, str]] = []
    for path in profile.paths():
        f = profile.fields[path]
        nulls = profile.nulls(path)
        seen = f"{nulls:,} nulls in {profile.records:,} records"
        if nulls == 0:
            rules.append(Proposal(NOT_NULL, path, {}, "critical", seen, WHY[NOT_NULL]))
        value_rules, why_none = _value_rules(f, seen, thresholds)
        rules.extend(value_rules)
        if why_none:
            notes.append((path, f"{seen}; {why_none}"))
    return Proposals(profile.records, tuple(rules), tuple(notes))


def _value_rules(f: FieldProfile, seen: str, t: Thresholds) -> tuple[list[Proposal], str | None]:
    kind = f.kind
    if kind is None:
        return [], "no rule: null in every record"
    if f.values < t.min_values:
        return [], f"no value rule: {f.values:,} non-null values, fewer than the {t.min_values:,} a rule needs"
    if kind in ("int", "float", "decimal", "number"):
        return _range(f, seen, t)
    if kind == "str":
        return _strings(f, seen, t), None
    return [], f"no value rule: {'values of several types' if kind == 'mixed' else f'{kind} values'}"


def _range(f: FieldProfile, seen: str, t: Thresholds) -> tuple[list[Proposal], str | None]:
    if f.not_finite:
        return [], f"no range rule: {f.not_finite:,} values are NaN or infinite"
    if f.low is None or f.high is None:
        return [], None
    if looks_like_a_time(f):
        return [], ("no range rule: the values look like epoch times, and a range of times from a sample "
                    "would fail every later record")
    integral = f.kind == "int"
    lo, hi = widen(f.low, f.high, t.margin, integral)
    observed = f"{seen}; min {_number(f.low)}, max {_number(f.high)}"
    if t.margin:
        span = float(f.high - f.low) * t.margin
        kept = " (halfway to 0 where it would reach 0)" if 0 < f.low <= span or 0 > f.high >= -span else ""
        observed += f"; widened by {t.margin:.0%} of the span each side{kept}: {_number(lo)} to {_number(hi)}"
    kind = "int" if integral else "float"
    return [Proposal(BETWEEN, f.path, {"min_value": lo, "max_value": hi}, "warning", observed, WHY[BETWEEN], kind)], None


_EPOCH_MS = (946_684_800_000, 4_102_444_800_000)
_EPOCH_S = (946_684_800, 4_102_444_800)
"""2000-01-01 to 2100-01-01 in epoch milliseconds and seconds."""
_TIME_NAME = re.compile(r"(at|time|ts|timestamp|date|epoch)$", re.IGNORECASE)


def looks_like_a_time(f: FieldProfile) -> bool:
    """Integers that are all epoch milliseconds of this century, or epoch seconds in a field named like a time."""
    if f.kind != "int" or f.low is None or f.high is None:
        return False
    if _EPOCH_MS[0] <= f.low and f.high <= _EPOCH_MS[1]:
        return True
    return _EPOCH_S[0] <= f.low and f.high <= _EPOCH_S[1] and bool(_TIME_NAME.search(f.path.rsplit(".", 1)[-1]))


def _strings(f: FieldProfile, seen: str, t: Thresholds) -> list[Proposal]:
    distinct = f.distinct
    if distinct is not None and len(distinct) <= t.max_distinct and min(distinct.values()) >= t.min_each:
        values = sorted(distinct)
        counts = ", ".join(f"{v} {distinct[v]:,}" for v in sorted(distinct, key=lambda v: -distinct[v]))
        return [Proposal(IN_SET, f.path, {"value_set": values}, "warning",
                         f"{seen}; {len(values)} distinct values: {counts}", WHY[IN_SET], "str")]
    lengths = f"lengths {f.shortest:,} to {f.longest:,}"
    rules = []
    shape = f.shapes.shape()
    if shape is not None:
        severity, why = ("critical", WHY_WELL_KNOWN.format(label=shape.label)) if shape.well_known else ("warning", WHY[REGEX])
        rules.append(Proposal(REGEX, f.path, {"regex": shape.regex}, severity,
                              f"{seen}; every value matches {shape.regex}", why, "str"))
    if shape is None or f.shortest != f.longest:  # a shape that fits values of one length also fixes it
        rules.append(Proposal(LENGTHS, f.path, {"min_value": f.shortest, "max_value": f.longest}, "warning",
                              f"{seen}; {lengths}", WHY[LENGTHS], "str"))
    return rules


def widen(low: int | float | Decimal, high: int | float | Decimal, margin: float,
          integral: bool) -> tuple[int | float, int | float]:
    """The observed range widened by `margin` of its span on each side, but never to 0 or across it: such a
    side goes halfway to 0 (or stays at 0 when 0 was observed).
    Integers stay integers; other numbers are rounded outwards to two digits below the span's magnitude."""
    lo, hi = float(low), float(high)
    span = (hi - lo) * margin
    wide_lo, wide_hi = lo - span, hi + span
    if lo > 0 and wide_lo <= 0:  # values all above 0 say that 0 is not one: halfway to 0 at most
        wide_lo = lo / 2
    elif lo == 0:
        wide_lo = 0.0
    if hi < 0 and wide_hi >= 0:
        wide_hi = hi / 2
    elif hi == 0:
        wide_hi = 0.0
    if integral:
        return max(math.floor(wide_lo), 1) if lo > 0 else math.floor(wide_lo), \
            min(math.ceil(wide_hi), -1) if hi < 0 else math.ceil(wide_hi)
    if span == 0:
        return lo, hi
    step = 10.0 ** (math.floor(math.log10(hi - lo)) - 2)
    rounded_lo, rounded_hi = _round_to(wide_lo, step, math.floor), _round_to(wide_hi, step, math.ceil)
    return (wide_lo if lo > 0 >= rounded_lo else rounded_lo), (wide_hi if hi < 0 <= rounded_hi else rounded_hi)


def _round_to(x: float, step: float, direction: Any) -> float:
    digits = max(0, -int(math.floor(math.log10(step))))
    return round(direction(x / step) * step, digits)


def _number(x: int | float | Decimal) -> str:
    return f"{x:,}"

"""Compiled record checks for the common Great Expectations map expectations.

GX judges a micro-batch by building a pandas frame and resolving a metric graph
per expectation: 65-85 ms for 10,000 records whatever the rules. Most record rules
are a null check, a bound, a set, a regex or a length on one field, which plain
Python decides per value in well under a millisecond per rule for the same batch.

A compiled checker reproduces GX 1.24's pandas verdict exactly, including its
quirks: map expectations skip null values (None and NaN), except the null
expectations themselves; `mostly` passes a whole batch; regexes are
`re.search`, not `match`; a pair rule skips rows where both values are null and
fails rows where one is. It only claims that on the values whose pandas
behaviour is plain Python semantics: strings, ints within +-2**53 (pandas may
store them as float64), floats and nulls. A batch with any other value for a
rule (bools, huge ints, lists, numbers in a string rule, ...) returns None and
that rule is judged by GX for that batch. Kwargs the compiler does not model
(`row_condition`, `result_format`, suite parameters, ...) leave the rule to GX
for good: `compile_rule` returns None.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from governance.sentinel.gx import instantiate
from governance.sentinel.pipeline import Rule

#: Failing record indices, or None when the batch is outside what the checker models.
Checker = Callable[[Sequence[Mapping[str, Any]]], "list[int] | None"]
#: For one column's values: (failing indices, rows GX counts for `mostly`) or None.
#: The null expectations count every row; the others only the non-null ones.
_Judge = Callable[[list[Any]], "tuple[list[int], int] | None"]

_NONE = type(None)
_EXACT = 2**53  # ints beyond this change value when pandas stores them as float64
_INF = float("inf")
_COMMON = frozenset({"mostly"})


class _Unsupported(Exception):
    pass


def compile_rule(rule: Rule) -> Checker | None:
    """A checker equivalent to GX for `rule`, or None if the rule must stay on GX."""
    build = _BUILDERS.get(rule.expectation_type)
    if build is None:
        return None
    try:
        kwargs = dict(rule.checked if rule.checked is not None
                      else instantiate(rule.expectation_type, rule.kwargs, _Unsupported).configuration.kwargs)
        allowed, builder = build
        if not set(kwargs) <= allowed | _COMMON:
            return None
        mostly = kwargs.get("mostly", 1)
        if not _is_number(mostly):
            return None
        return builder(kwargs, float(mostly))
    except _Unsupported:
        return None


# ---------------------------------------------------------------- helpers


def _is_number(v: Any) -> bool:
    return (type(v) is int and -_EXACT <= v <= _EXACT) or type(v) is float


def _is_null(v: Any) -> bool:
    return v is None or (type(v) is float and v != v)


def _mostly_success(considered: int, unexpected: int, mostly: float) -> bool:
    """GX's own float arithmetic for `mostly`, so borderline ratios agree."""
    return (float(considered) - float(unexpected)) / float(considered) >= mostly


def _small_ints(values: list[Any], kinds: set[type]) -> bool:
    ints = values if kinds == {int} else [v for v in values if type(v) is int]
    return not ints or (min(ints) >= -_EXACT and max(ints) <= _EXACT)


def _numeric(values: list[Any]) -> bool:
    kinds = set(map(type, values))
    return kinds <= {int, float, _NONE} and (int not in kinds or _small_ints(values, kinds))


def _text(values: list[Any]) -> Literal["strings", "nullable", "other"]:
    """Only strings; strings and nulls (a NaN is a null, any other float is not text); or other values."""
    kinds = set(map(type, values))
    if kinds == {str}:
        return "strings"
    if float in kinds and any(v == v for v in values if type(v) is float):
        return "other"
    return "nullable" if kinds <= {str, float, _NONE} else "other"


def _column_rule(kwargs: Mapping[str, Any], judge: _Judge, mostly: float) -> Checker:
    column = kwargs["column"]
    if not isinstance(column, str):
        raise _Unsupported

    def check(flat: Sequence[Mapping[str, Any]]) -> list[int] | None:
        values = [r.get(column) for r in flat]
        verdict = judge(values)
        if verdict is None:
            return None
        bad, considered = verdict
        if not bad:
            return bad
        if considered == 0 or _mostly_success(considered, len(bad), mostly):
            return []
        return bad

    return check


def _non_null_count(values: list[Any]) -> int:
    return sum(1 for v in values if not _is_null(v))


# ---------------------------------------------------------------- column expectations


def _not_null(kwargs: Mapping[str, Any], mostly: float) -> Checker:
    plain = {_NONE, bool, int, float, str, bytes, list}

    def judge(values: list[Any]) -> tuple[list[int], int] | None:
        kinds = set(map(type, values))
        if not kinds <= plain:
            return None
        if float in kinds:
            return [i for i, v in enumerate(values) if v is None or v != v], len(values)
        return [i for i, v in enumerate(values) if v is None], len(values)

    return _column_rule(kwargs, judge, mostly)


def _null(kwargs: Mapping[str, Any], mostly: float) -> Checker:
    plain = {_NONE, bool, int, float, str, bytes, list}

    def judge(values: list[Any]) -> tuple[list[int], int] | None:
        if not set(map(type, values)) <= plain:
            return None
        return [i for i, v in enumerate(values) if not _is_null(v)], len(values)

    return _column_rule(kwargs, judge, mostly)


def _between(kwargs: Mapping[str, Any], mostly: float) -> Checker:
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    strict_lo, strict_hi = kwargs.get("strict_min", False), kwargs.get("strict_max", False)
    if lo is None and hi is None:
        raise _Unsupported
    if any(b is not None and not _is_number(b) for b in (lo, hi)) or {type(strict_lo), type(strict_hi)} - {bool, _NONE}:
        raise _Unsupported
    if lo is not None and hi is not None and lo > hi:
        raise _Unsupported  # GX raises for the whole batch
    # A missing bound is an infinite one: GX ignores strict_* without its bound.
    lo, strict_lo = (-_INF, False) if lo is None else (lo, bool(strict_lo))
    hi, strict_hi = (_INF, False) if hi is None else (hi, bool(strict_hi))
    outside = _outside(lo, hi, strict_lo, strict_hi)

    def judge(values: list[Any]) -> tuple[list[int], int] | None:
        if not _numeric(values):
            return None
        bad = [i for i in outside(values) if values[i] == values[i]]  # NaN is a null, not outside
        return bad, _non_null_count(values) if bad else 0

    return _column_rule(kwargs, judge, mostly)


def _outside(lo: float, hi: float, strict_lo: bool, strict_hi: bool) -> Callable[[list[Any]], list[int]]:
    """Indices of non-None values outside the bounds (NaN included: it compares False)."""
    if strict_lo and strict_hi:
        return lambda vs: [i for i, v in enumerate(vs) if v is not None and not lo < v < hi]
    if strict_lo:
        return lambda vs: [i for i, v in enumerate(vs) if v is not None and not lo < v <= hi]
    if strict_hi:
        return lambda vs: [i for i, v in enumerate(vs) if v is not None and not lo <= v < hi]
    return lambda vs: [i for i, v in enumerate(vs) if v is not None and not lo <= v <= hi]


def _set_members(kwargs: Mapping[str, Any]) -> frozenset[Any]:
    value_set = kwargs.get("value_set")
    if not isinstance(value_set, (list, tuple, set, frozenset)):
        raise _Unsupported
    if not all(v is None or type(v) in (str, bool) or _is_number(v) for v in value_set):
        raise _Unsupported
    return frozenset(value_set)


def _set_domain(values: list[Any]) -> bool:
    kinds = set(map(type, values))
    return kinds <= {str, int, float, _NONE} and (int not in kinds or _small_ints(values, kinds))


def _in_set(kwargs: Mapping[str, Any], mostly: float) -> Checker:
    members = _set_members(kwargs)

    def judge(values: list[Any]) -> tuple[list[int], int] | None:
        if not _set_domain(values):
            return None
        bad = [i for i, v in enumerate(values) if v not in members and not _is_null(v)]
        return bad, _non_null_count(values) if bad else 0

    return _column_rule(kwargs, judge, mostly)


def _not_in_set(kwargs: Mapping[str, Any], mostly: float) -> Checker:
    members = _set_members(kwargs)

    def judge(values: list[Any]) -> tuple[list[int], int] | None:
        if not _set_domain(values):
            return None
        bad = [i for i, v in enumerate(values) if v in members and not _is_null(v)]
        return bad, _non_null_count(values) if bad else 0

    return _column_rule(kwargs, judge, mostly)


def _regex(kwargs: Mapping[str, Any]) -> re.Pattern[str]:
    regex = kwargs.get("regex")
    if type(regex) is not str:
        raise _Unsupported
    try:
        return re.compile(regex)
    except re.error:
        raise _Unsupported from None


def _match_regex(kwargs: Mapping[str, Any], mostly: float) -> Checker:
    search = _regex(kwargs).search

    def judge(values: list[Any]) -> tuple[list[int], int] | None:
        text = _text(values)
        if text == "strings":
            return [i for i, m in enumerate(map(search, values)) if m is None], len(values)
        if text == "other":
            return None
        bad = [i for i, v in enumerate(values) if type(v) is str and search(v) is None]
        return bad, _non_null_count(values) if bad else 0

    return _column_rule(kwargs, judge, mostly)


def _not_match_regex(kwargs: Mapping[str, Any], mostly: float) -> Checker:
    search = _regex(kwargs).search

    def judge(values: list[Any]) -> tuple[list[int], int] | None:
        text = _text(values)
        if text == "strings":
            return [i for i, m in enumerate(map(search, values)) if m is not None], len(values)
        if text == "other":
            return None
        bad = [i for i, v in enumerate(values) if type(v) is str and search(v) is not None]
        return bad, _non_null_count(values) if bad else 0

    return _column_rule(kwargs, judge, mostly)


def _lengths_between(kwargs: Mapping[str, Any], mostly: float) -> Checker:
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    strict_lo, strict_hi = kwargs.get("strict_min", False), kwargs.get("strict_max", False)
    if lo is None and hi is None:
        raise _Unsupported
    if any(b is not None and type(b) is not int for b in (lo, hi)) or {type(strict_lo), type(strict_hi)} - {bool, _NONE}:
        raise _Unsupported
    lo, strict_lo = (-_INF, False) if lo is None else (lo, bool(strict_lo))
    hi, strict_hi = (_INF, False) if hi is None else (hi, bool(strict_hi))
    outside = _outside(lo, hi, strict_lo, strict_hi)

    def judge(values: list[Any]) -> tuple[list[int], int] | None:
        text = _text(values)
        if text == "strings":
            return outside(list(map(len, values))), len(values)
        if text == "other":
            return None
        bad = outside([len(v) if type(v) is str else None for v in values])
        return bad, _non_null_count(values) if bad else 0

    return _column_rule(kwargs, judge, mostly)


def _lengths_equal(kwargs: Mapping[str, Any], mostly: float) -> Checker:
    value = kwargs.get("value")  # GX hands it over as a float: 2.0
    if not _is_number(value):
        raise _Unsupported

    def judge(values: list[Any]) -> tuple[list[int], int] | None:
        text = _text(values)
        if text == "other":
            return None
        bad = [i for i, v in enumerate(values) if type(v) is str and len(v) != value]
        return bad, _non_null_count(values) if bad else 0

    return _column_rule(kwargs, judge, mostly)


# ---------------------------------------------------------------- row expectations


def _row_rule(mostly: float, judge: Callable[[Sequence[Mapping[str, Any]]], "tuple[list[int], int] | None"]
              ) -> Checker:
    def check(flat: Sequence[Mapping[str, Any]]) -> list[int] | None:
        verdict = judge(flat)
        if verdict is None:
            return None
        bad, considered = verdict
        if not bad or considered == 0 or _mostly_success(considered, len(bad), mostly):
            return []
        return bad

    return check


def _pair_greater(kwargs: Mapping[str, Any], mostly: float) -> Checker:
    a, b = kwargs["column_A"], kwargs["column_B"]
    or_equal = kwargs.get("or_equal") or False
    ignore = kwargs.get("ignore_row_if", "both_values_are_missing")
    if not isinstance(a, str) or not isinstance(b, str) or type(or_equal) is not bool:
        raise _Unsupported
    if ignore not in ("both_values_are_missing", "either_value_is_missing", "neither"):
        raise _Unsupported

    def judge(flat: Sequence[Mapping[str, Any]]) -> tuple[list[int], int] | None:
        xs = [r.get(a) for r in flat]
        ys = [r.get(b) for r in flat]
        if not ((_numeric(xs) and _numeric(ys)) or (_text(xs) != "other" and _text(ys) != "other")):
            return None
        if all(map(_is_null, xs)) or all(map(_is_null, ys)):
            return None  # a column of only None is of object dtype: GX raises comparing it to numbers
        bad: list[int] = []
        considered = 0
        for i, (x, y) in enumerate(zip(xs, ys)):
            x_null, y_null = _is_null(x), _is_null(y)
            if (ignore == "both_values_are_missing" and x_null and y_null) or (
                    ignore == "either_value_is_missing" and (x_null or y_null)):
                continue
            considered += 1
            if x_null or y_null or not (x >= y if or_equal else x > y):
                bad.append(i)
        return bad, considered

    return _row_rule(mostly, judge)


def _unique_within_record(kwargs: Mapping[str, Any], mostly: float) -> Checker:
    columns = kwargs.get("column_list")
    if not isinstance(columns, (list, tuple)) or not columns or not all(isinstance(c, str) for c in columns):
        raise _Unsupported
    if kwargs.get("ignore_row_if", "all_values_are_missing") != "all_values_are_missing":
        raise _Unsupported
    columns = tuple(columns)
    width = len(columns)

    def judge(flat: Sequence[Mapping[str, Any]]) -> tuple[list[int], int] | None:
        bad: list[int] = []
        considered = 0
        for i, r in enumerate(flat):
            row = [r.get(c) for c in columns]
            present = [v for v in row if not _is_null(v)]
            if not present:
                continue
            if width - len(present) > 1:
                return None  # how pandas counts several nulls in a row depends on the column dtypes
            if not _set_domain(present):
                return None
            considered += 1
            if len(set(present)) < len(present):
                bad.append(i)
        return bad, considered

    return _row_rule(mostly, judge)


_BUILDERS: dict[str, tuple[frozenset[str], Callable[[Mapping[str, Any], float], Checker]]] = {
    "expect_column_values_to_not_be_null": (frozenset({"column"}), _not_null),
    "expect_column_values_to_be_null": (frozenset({"column"}), _null),
    "expect_column_values_to_be_between": (
        frozenset({"column", "min_value", "max_value", "strict_min", "strict_max"}), _between),
    "expect_column_values_to_be_in_set": (frozenset({"column", "value_set"}), _in_set),
    "expect_column_values_to_not_be_in_set": (frozenset({"column", "value_set"}), _not_in_set),
    "expect_column_values_to_match_regex": (frozenset({"column", "regex"}), _match_regex),
    "expect_column_values_to_not_match_regex": (frozenset({"column", "regex"}), _not_match_regex),
    "expect_column_value_lengths_to_be_between": (
        frozenset({"column", "min_value", "max_value", "strict_min", "strict_max"}), _lengths_between),
    "expect_column_value_lengths_to_equal": (frozenset({"column", "value"}), _lengths_equal),
    "expect_column_pair_values_a_to_be_greater_than_b": (
        frozenset({"column_A", "column_B", "or_equal", "ignore_row_if"}), _pair_greater),
    "expect_select_column_values_to_be_unique_within_record": (
        frozenset({"column_list", "ignore_row_if"}), _unique_within_record),
}

SUPPORTED: frozenset[str] = frozenset(_BUILDERS)

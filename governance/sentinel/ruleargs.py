"""Rule arguments checked in plain Python when a pipeline file is loaded, so that a rule
that could never judge a record (a regex that does not compile, `min_value: 100,
max_value: 85`, an empty `value_set`) stops `sentinel check` and `sentinel run` with
the file and the line of the argument, before anything is read.

Great Expectations' own classes accept many of these and fail on every batch instead
(every record to the DLQ), or quietly coerce them (`min_value: 2.5` of a length to 2,
`strict_min: "yes"` to True). Arguments mean the same in every expectation that has
them, so they are checked by name; the expectations the sentinel supports also get
their required and allowed arguments checked. GX evaluates regexes with Python's `re`
(pandas `str.contains`), so `re.compile` is the judge of a regex here too. A mapping
in place of a value is a GX suite parameter (`{"$PARAMETER": ...}`) and is left to GX.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from governance.errors import did_you_mean

ArgError = Callable[[str | None, str], Exception]
"""(the argument, `regex_list[2]` for an item of a list, or None for the rule; message) -> the error to raise."""

_GX_COMMON = frozenset({"catch_exceptions", "description", "id", "meta", "notes", "rendered_content", "result_format",
                        "severity", "windows", "batch_id", "row_condition", "condition_parser"})
_BETWEEN = ("min_value", "max_value", "strict_min", "strict_max")

# Bounds: what a `min_value` / `max_value` must be.
_VALUES, _NUMBERS, _COUNTS, _SHARES = "values", "numbers", "counts", "shares"

_COLUMN_MAP: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # type: (required arguments, optional ones) of column map expectations, beside `column` and `mostly`
    "expect_column_values_to_not_be_null": ((), ()),
    "expect_column_values_to_be_null": ((), ()),
    "expect_column_values_to_be_between": ((), _BETWEEN),
    "expect_column_values_to_be_in_set": (("value_set",), ()),
    "expect_column_values_to_not_be_in_set": (("value_set",), ()),
    "expect_column_values_to_match_regex": (("regex",), ()),
    "expect_column_values_to_not_match_regex": (("regex",), ()),
    "expect_column_values_to_match_regex_list": (("regex_list",), ("match_on",)),
    "expect_column_values_to_not_match_regex_list": (("regex_list",), ()),
    "expect_column_value_lengths_to_be_between": ((), _BETWEEN),
    "expect_column_value_lengths_to_equal": (("value",), ()),
    "expect_column_values_to_match_strftime_format": (("strftime_format",), ()),
    "expect_column_values_to_be_dateutil_parseable": ((), ()),
    "expect_column_values_to_be_json_parseable": ((), ()),
    "expect_column_values_to_be_unique": ((), ()),
    "expect_column_values_to_be_of_type": (("type_",), ()),
    "expect_column_values_to_be_in_type_list": ((), ("type_list",)),
    "expect_column_values_to_be_increasing": ((), ("strictly",)),
    "expect_column_values_to_be_decreasing": ((), ("strictly",)),
    "expect_column_value_z_scores_to_be_less_than": (("threshold", "double_sided"), ()),
}
_OTHERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "expect_column_pair_values_a_to_be_greater_than_b": (("column_A", "column_B"), ("mostly", "or_equal", "ignore_row_if")),
    "expect_column_pair_values_to_be_equal": (("column_A", "column_B"), ("mostly", "ignore_row_if")),
    "expect_select_column_values_to_be_unique_within_record": (("column_list",), ("mostly", "ignore_row_if")),
    "expect_compound_columns_to_be_unique": (("column_list",), ("mostly", "ignore_row_if")),
    "expect_multicolumn_sum_to_equal": (("column_list", "sum_total"), ("mostly", "ignore_row_if")),
    "expect_column_mean_to_be_between": (("column",), _BETWEEN),
    "expect_column_median_to_be_between": (("column",), _BETWEEN),
    "expect_column_min_to_be_between": (("column",), _BETWEEN),
    "expect_column_max_to_be_between": (("column",), _BETWEEN),
    "expect_column_sum_to_be_between": (("column",), _BETWEEN),
    "expect_column_stdev_to_be_between": (("column",), _BETWEEN),
    "expect_column_proportion_of_unique_values_to_be_between": (("column",), _BETWEEN),
    "expect_column_unique_value_count_to_be_between": (("column",), _BETWEEN),
    "expect_table_row_count_to_be_between": ((), _BETWEEN),
    "expect_table_row_count_to_equal": (("value",), ()),
}
SPECS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    **{t: (frozenset(("column", *req)), frozenset(("column", "mostly", *req, *opt))) for t, (req, opt) in _COLUMN_MAP.items()},
    **{t: (frozenset(req), frozenset((*req, *opt))) for t, (req, opt) in _OTHERS.items()},
}
"""Expectation type -> (required arguments, every argument it takes beside GX's common ones)."""
MAP_EXPECTATIONS = frozenset(_COLUMN_MAP) | frozenset(t for t in _OTHERS if "_pair_" in t or "column_list" in _OTHERS[t][0])
"""The types of SPECS that judge each record (GX map expectations); the others judge a whole batch."""


def covered(etype: str, kwargs: Mapping[str, Any]) -> bool:
    """True when `check_arguments` refuses everything GX's own class would for these arguments, so
    GX need not be asked: a type of SPECS, none of GX's common arguments, no suite parameter."""
    return etype in SPECS and not (set(kwargs) & _GX_COMMON) and not any(isinstance(v, dict) for v in kwargs.values())


_BOUNDS = {
    "expect_column_value_lengths_to_be_between": _COUNTS,
    "expect_column_unique_value_count_to_be_between": _COUNTS,
    "expect_table_row_count_to_be_between": _COUNTS,
    "expect_column_proportion_of_unique_values_to_be_between": _SHARES,
    "expect_column_stdev_to_be_between": _NUMBERS,
}
_IGNORE_ROW_IF = {
    "pair": ("both_values_are_missing", "either_value_is_missing", "neither"),
    "multi": ("all_values_are_missing", "any_value_is_missing", "never"),
}
_FLAGS = ("strict_min", "strict_max", "or_equal", "strictly", "double_sided")


def check_arguments(etype: str, kwargs: Mapping[str, Any], error: ArgError) -> None:
    """Raise `error(argument, message)` for the first argument of the rule that is wrong."""
    spec = SPECS.get(etype)
    if spec is not None:
        required, allowed = spec
        for name in kwargs:
            if name not in allowed and name not in _GX_COMMON:
                raise error(name, f"`{etype}` takes no argument `{name}` (it takes {', '.join(sorted(allowed))})"
                                  + did_you_mean(name, allowed))
        for name in sorted(required - set(kwargs)):
            raise error(None, f"`{etype}` needs the argument `{name}`")
    checks = _BY_NAME if spec is not None else _UNIVERSAL
    for name, value in kwargs.items():
        check = checks.get(name)
        if check is not None and not isinstance(value, dict):
            check(etype, name, value, error)
    if etype.endswith("_to_be_between") and (spec is not None or "min_value" in kwargs or "max_value" in kwargs):
        _between(etype, kwargs, error)


def _what(value: Any) -> str:
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else repr(value)


def _column(etype: str, name: str, value: Any, error: ArgError) -> None:
    if not isinstance(value, str) or not value.strip():
        raise error(name, f"`{name}` of {etype} must be a column name (a non-empty string), not {_what(value)}")


def _column_list(etype: str, name: str, value: Any, error: ArgError) -> None:
    if not isinstance(value, list) or not value:
        raise error(name, f"`{name}` of {etype} must be a non-empty list of column names, not {_what(value)}")
    if len(value) < 2:
        raise error(name, f"`{name}` of {etype} must name at least two columns, not {len(value)}")
    seen: set[str] = set()
    for i, item in enumerate(value):
        _column(etype, f"{name}[{i}]", item, error)
        if item in seen:
            raise error(f"{name}[{i}]", f"`{name}` of {etype} names `{item}` twice")
        seen.add(item)


def _mostly(etype: str, name: str, value: Any, error: ArgError) -> None:
    if not _is_number(value) or not 0 <= value <= 1:
        raise error(name, f"`mostly` of {etype} must be a number from 0 to 1 (a share of records), not {_what(value)}")


def _compile(etype: str, name: str, value: Any, error: ArgError) -> None:
    if not isinstance(value, str):
        raise error(name, f"`{name.split('[')[0]}` of {etype} must be a regular expression in a string, not {_what(value)}")
    try:
        re.compile(value)
    except re.error as e:
        hint = ""
        if "nothing to repeat" in str(e):
            hint = " (a `*`, `+` or `?` repeats what comes before it: write `.*` for any text, `\\*` for a star)"
        elif "unterminated character set" in str(e):
            hint = " (a `[` opens a set of characters that a `]` must close; write `\\[` for a bracket)"
        raise error(name, f"`{name}` of {etype} is not a valid regular expression: {e} in {value!r}{hint}; "
                          "GX matches with Python's `re`") from None


def _regex_list(etype: str, name: str, value: Any, error: ArgError) -> None:
    if not isinstance(value, list) or not value:
        raise error(name, f"`{name}` of {etype} must be a non-empty list of regular expressions, not {_what(value)}")
    for i, item in enumerate(value):
        _compile(etype, f"{name}[{i}]", item, error)


def _strftime(etype: str, name: str, value: Any, error: ArgError) -> None:
    if not isinstance(value, str) or not value:
        raise error(name, f"`{name}` of {etype} must be a strftime format in a string, not {_what(value)}")
    sample = datetime.datetime(2024, 1, 2, 3, 4, 5)
    try:
        datetime.datetime.strptime(sample.strftime(value), value)
    except ValueError as e:
        raise error(name, f"`{name}` of {etype} is not a usable strftime format: {e}") from None


def _value_set(etype: str, name: str, value: Any, error: ArgError) -> None:
    if not isinstance(value, list):
        raise error(name, f"`{name}` of {etype} must be a list of values, not {_what(value)}")
    if not value:
        meaning = "every record would fail" if "_not_" not in etype else "it would never fail a record"
        raise error(name, f"`{name}` of {etype} is empty: {meaning}")
    for i, item in enumerate(value):
        if isinstance(item, (list, dict)):
            raise error(f"{name}[{i}]", f"`{name}` of {etype} holds {_what(item)}; its values must be plain values")


def _flag(etype: str, name: str, value: Any, error: ArgError) -> None:
    if type(value) is not bool and not (value is None and name in ("or_equal", "strictly")):
        raise error(name, f"`{name}` of {etype} must be true or false, not {_what(value)}")


def _choice(options: tuple[str, ...]) -> Callable[[str, str, Any, ArgError], None]:
    def check(etype: str, name: str, value: Any, error: ArgError) -> None:
        if value not in options:
            raise error(name, f"`{name}` of {etype} must be one of {', '.join(options)}, not {_what(value)}"
                              + (did_you_mean(value, options) if isinstance(value, str) else ""))
    return check


def _ignore_row_if(etype: str, name: str, value: Any, error: ArgError) -> None:
    _choice(_IGNORE_ROW_IF["pair" if "_pair_" in etype else "multi"])(etype, name, value, error)


def _number(etype: str, name: str, value: Any, error: ArgError) -> None:
    if not _is_number(value):
        raise error(name, f"`{name}` of {etype} must be a number, not {_what(value)}" + _unquote(value))


def _count(etype: str, name: str, value: Any, error: ArgError) -> None:
    if type(value) is not int or value < 0:
        raise error(name, f"`{name}` of {etype} must be a whole number >= 0, not {_what(value)}" + _unquote(value))


def _value(etype: str, name: str, value: Any, error: ArgError) -> None:
    (_count if etype in ("expect_column_value_lengths_to_equal", "expect_table_row_count_to_equal") else _number)(
        etype, name, value, error)


def _text(etype: str, name: str, value: Any, error: ArgError) -> None:
    if not isinstance(value, str) or not value:
        raise error(name, f"`{name}` of {etype} must be a non-empty string, not {_what(value)}")


def _type_list(etype: str, name: str, value: Any, error: ArgError) -> None:
    if value is None:
        return
    if not isinstance(value, list) or not value:
        raise error(name, f"`{name}` of {etype} must be a non-empty list of type names, not {_what(value)}")
    for i, item in enumerate(value):
        _text(etype, f"{name}[{i}]", item, error)


def _between(etype: str, kwargs: Mapping[str, Any], error: ArgError) -> None:
    kind = _BOUNDS.get(etype, _VALUES)
    if any(isinstance(kwargs.get(k), dict) for k in ("min_value", "max_value")):
        return  # a suite parameter: GX resolves it
    bounds = {k: kwargs[k] for k in ("min_value", "max_value") if kwargs.get(k) is not None}
    for name, value in bounds.items():
        if kind == _COUNTS:
            _count(etype, name, value, error)
        elif kind == _SHARES and (not _is_number(value) or not 0 <= value <= 1):
            raise error(name, f"`{name}` of {etype} must be a number from 0 to 1 (a proportion), not {_what(value)}")
        elif kind == _NUMBERS and not _is_number(value):
            _number(etype, name, value, error)
        elif kind == _VALUES and not _is_number(value) and not isinstance(value, datetime.date):
            raise error(name, f"`{name}` of {etype} must be a number (or an unquoted date), not {_what(value)}"
                              + _unquote(value))
    if not bounds:
        raise error(None, f"`{etype}` gives neither `min_value` nor `max_value`, so it would check nothing")
    if len(bounds) < 2:
        return
    lo, hi = bounds["min_value"], bounds["max_value"]
    if _is_number(lo) != _is_number(hi) or type(lo) is datetime.date and type(hi) is datetime.datetime \
            or type(hi) is datetime.date and type(lo) is datetime.datetime:
        raise error("max_value", f"`min_value` ({lo!r}) and `max_value` ({hi!r}) of {etype} must be the same kind of value")
    if lo > hi:
        raise error("max_value", f"`max_value` ({hi}) of {etype} is below `min_value` ({lo}): no value can be in between; "
                                 "swap them")
    if lo == hi and (kwargs.get("strict_min") is True or kwargs.get("strict_max") is True):
        raise error("max_value", f"`min_value` and `max_value` of {etype} are both {lo} and a bound is strict: "
                                 "no value can be in between")


def _is_number(value: Any) -> bool:
    return type(value) in (int, float) and not (type(value) is float and math.isnan(value))


def _unquote(value: Any) -> str:
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return ""
        return " (write it without quotes: quoted, it is text)"
    return ""


_UNIVERSAL: dict[str, Callable[[str, str, Any, ArgError], None]] = {
    "column": _column, "column_A": _column, "column_B": _column, "column_list": _column_list,
    "mostly": _mostly, "regex": _compile, "regex_list": _regex_list, "strftime_format": _strftime,
}
"""Arguments that mean one thing in every expectation, checked whatever the type."""
_BY_NAME: dict[str, Callable[[str, str, Any, ArgError], None]] = {
    **_UNIVERSAL, "like_pattern": _text, "type_": _text, "type_list": _type_list,
    "value_set": _value_set, **{flag: _flag for flag in _FLAGS},
    "ignore_row_if": _ignore_row_if, "match_on": _choice(("any", "all")),
    "value": _value, "threshold": _number, "sum_total": _number,
}

"""The compiled record checks give exactly Great Expectations' per-record verdicts."""

from __future__ import annotations

import math
import os
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from governance.sentinel.fastpath import SUPPORTED, compile_rule
from governance.sentinel.gx import instantiate
from governance.sentinel.pipeline import Rule
from governance.sentinel.validate import RecordValidator, flatten

#: Fields the generated rules name; `n.x` and `n.y` live in a nested `n` record.
FIELDS = ("a", "b", "c", "n.x", "n.y")
MISSING = object()

texts = st.one_of(
    st.sampled_from(["", "1", "10", "EUR", "eur", "EURO", "x", "xy", "abc", "é", "١٢", "a b", "1.0", "None", "nan"]),
    st.text(max_size=6),
)
small_ints = st.integers(-3, 3)
ints = st.one_of(small_ints, st.sampled_from([2**53, -(2**53), 2**53 + 1, 10**20]))
floats = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, 1.5, -2.5, 3.0, math.inf, -math.inf, math.nan, 2.0**53]),
    st.floats(-4, 4),
)
nulls = st.sampled_from([None, math.nan, MISSING])
odd = st.one_of(st.booleans(), st.just([1]), st.just(b"x"), st.just({"z": 1}))  # a dict is flattened away

#: A field's values in one batch: a column of one kind, as records usually are, or a mix.
KINDS: dict[str, st.SearchStrategy[Any]] = {
    "text": texts,
    "int": small_ints,
    "float": floats,
    "number": st.one_of(small_ints, floats),
    "big": ints,
    "mixed": st.one_of(texts, small_ints, floats),
    "odd": st.one_of(texts, small_ints, odd),
}

COMMON_KINDS = ("text", "int", "float", "number")


@st.composite
def batches(draw: st.DrawFn) -> list[dict[str, Any]]:
    kinds = {f: draw(st.sampled_from(COMMON_KINDS) if draw(st.integers(0, 4)) else st.sampled_from(sorted(KINDS)))
             for f in FIELDS}
    null_rate = draw(st.sampled_from([0, 0.2, 0.6, 1]))
    records = []
    for _ in range(draw(st.integers(1, 6))):
        record: dict[str, Any] = {}
        for field in FIELDS:
            value = draw(nulls) if draw(st.floats(0, 1, exclude_max=True)) < null_rate else draw(KINDS[kinds[field]])
            if value is MISSING:
                continue
            if "." in field:
                outer, inner = field.split(".")
                record.setdefault(outer, {})[inner] = value
            else:
                record[field] = value
        records.append(record)
    return records


columns = st.sampled_from(FIELDS)
mostly = st.one_of(st.none(), st.sampled_from([0.0, 0.5, 0.75, 1.0]))
bounds = st.one_of(st.none(), small_ints, st.sampled_from([0.5, -1.5, math.inf, 2**53 + 1]))
value_sets = st.lists(st.one_of(texts, small_ints, floats, st.booleans(), st.none()), max_size=4)
regexes = st.sampled_from(["^[A-Z]{3}$", r"\d", "^$", "a|b", "^[0-9]+$", "é", "(x)", r"^\w+$", "[", "."])


def kwargs_for(etype: str) -> st.SearchStrategy[dict[str, Any]]:
    col = st.fixed_dictionaries({"column": columns})
    lengths = st.one_of(st.none(), st.integers(0, 4))
    by_type: dict[str, st.SearchStrategy[dict[str, Any]]] = {
        "expect_column_values_to_not_be_null": col,
        "expect_column_values_to_be_null": col,
        "expect_column_values_to_be_between": st.fixed_dictionaries(
            {"column": columns, "min_value": bounds, "max_value": bounds},
            optional={"strict_min": st.booleans(), "strict_max": st.booleans()}),
        "expect_column_values_to_be_in_set": st.fixed_dictionaries({"column": columns, "value_set": value_sets}),
        "expect_column_values_to_not_be_in_set": st.fixed_dictionaries({"column": columns, "value_set": value_sets}),
        "expect_column_values_to_match_regex": st.fixed_dictionaries({"column": columns, "regex": regexes}),
        "expect_column_values_to_not_match_regex": st.fixed_dictionaries({"column": columns, "regex": regexes}),
        "expect_column_value_lengths_to_be_between": st.fixed_dictionaries(
            {"column": columns, "min_value": lengths, "max_value": lengths},
            optional={"strict_min": st.booleans(), "strict_max": st.booleans()}),
        "expect_column_value_lengths_to_equal": st.fixed_dictionaries({"column": columns, "value": st.integers(0, 4)}),
        "expect_column_pair_values_a_to_be_greater_than_b": st.fixed_dictionaries(
            {"column_A": columns, "column_B": columns},
            optional={"or_equal": st.booleans(),
                      "ignore_row_if": st.sampled_from(["both_values_are_missing", "either_value_is_missing", "neither"])}),
        "expect_select_column_values_to_be_unique_within_record": st.fixed_dictionaries(
            {"column_list": st.lists(columns, min_size=2, max_size=3, unique=True)}),
    }
    return by_type[etype]


@st.composite
def rule_sets(draw: st.DrawFn, types: tuple[str, ...]) -> tuple[Rule, ...]:
    rules = []
    for i in range(draw(st.integers(1, 3))):
        etype = draw(st.sampled_from(types))
        kwargs = {k: v for k, v in draw(kwargs_for(etype)).items() if v is not None}
        if etype.endswith("_between") and "min_value" not in kwargs and "max_value" not in kwargs:
            kwargs["min_value"] = 0
        share = draw(mostly)
        if share is not None:
            kwargs["mostly"] = share
        try:
            instantiate(etype, kwargs, ValueError)
        except ValueError:
            continue
        rules.append(Rule(f"r{i}", etype, MappingProxyType(kwargs), draw(st.sampled_from(["critical", "warning"])), i))
    return tuple(rules)


def same_verdicts(rules: tuple[Rule, ...], batch_list: list[list[dict[str, Any]]]) -> None:
    """Equal failures per record; `--hypothesis-show-statistics` shows which path judged each rule."""
    compiled, gx = RecordValidator(rules), RecordValidator(rules, compiled=False)
    for batch in batch_list:
        for rule in rules:
            checker = compile_rule(rule)
            judged = checker is not None and checker([flatten(r) for r in batch]) is not None
            event(f"{rule.expectation_type}: {'compiled' if judged else 'GX'}")
        assert compiled.validate(batch) == gx.validate(batch), (rules, batch)


COLUMN_TYPES = ("expect_column_values_to_not_be_null", "expect_column_values_to_be_null",
                "expect_column_values_to_be_between", "expect_column_values_to_be_in_set",
                "expect_column_values_to_not_be_in_set")
TEXT_TYPES = ("expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex",
              "expect_column_value_lengths_to_be_between", "expect_column_value_lengths_to_equal")
ROW_TYPES = ("expect_column_pair_values_a_to_be_greater_than_b",
             "expect_select_column_values_to_be_unique_within_record")
#: Each example costs a few GX runs (~50 ms each); FASTPATH_EXAMPLES=2000 searches deeper.
EXAMPLES = settings(max_examples=int(os.environ.get("FASTPATH_EXAMPLES", 150)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@EXAMPLES
@given(rule_sets(COLUMN_TYPES), st.lists(batches(), min_size=1, max_size=2))
def test_null_bound_and_set_rules_agree_with_gx(rules: tuple[Rule, ...], batch_list: list) -> None:
    same_verdicts(rules, batch_list)


@EXAMPLES
@given(rule_sets(TEXT_TYPES), st.lists(batches(), min_size=1, max_size=2))
def test_regex_and_length_rules_agree_with_gx(rules: tuple[Rule, ...], batch_list: list) -> None:
    same_verdicts(rules, batch_list)


@EXAMPLES
@given(rule_sets(ROW_TYPES), st.lists(batches(), min_size=1, max_size=2))
def test_pair_and_within_record_rules_agree_with_gx(rules: tuple[Rule, ...], batch_list: list) -> None:
    same_verdicts(rules, batch_list)


@settings(EXAMPLES, max_examples=EXAMPLES.max_examples // 2)
@given(rule_sets(COLUMN_TYPES + TEXT_TYPES + ROW_TYPES), st.lists(batches(), min_size=1, max_size=2))
def test_mixed_rules_list_failures_in_rule_order(rules: tuple[Rule, ...], batch_list: list) -> None:
    same_verdicts(rules, batch_list)


EVERY_SUPPORTED = {
    "expect_column_values_to_not_be_null": {"column": "a"},
    "expect_column_values_to_be_null": {"column": "a"},
    "expect_column_values_to_be_between": {"column": "a", "min_value": 0, "max_value": 9, "strict_min": True},
    "expect_column_values_to_be_in_set": {"column": "a", "value_set": ["x", 1]},
    "expect_column_values_to_not_be_in_set": {"column": "a", "value_set": ["x", 1]},
    "expect_column_values_to_match_regex": {"column": "a", "regex": "^x", "mostly": 0.9},
    "expect_column_values_to_not_match_regex": {"column": "a", "regex": "^x"},
    "expect_column_value_lengths_to_be_between": {"column": "a", "min_value": 1, "max_value": 3},
    "expect_column_value_lengths_to_equal": {"column": "a", "value": 2},
    "expect_column_pair_values_a_to_be_greater_than_b": {"column_A": "a", "column_B": "b", "or_equal": True},
    "expect_select_column_values_to_be_unique_within_record": {"column_list": ["a", "b", "c"]},
}


@pytest.mark.parametrize("etype", sorted(SUPPORTED))
def test_every_supported_expectation_compiles(etype: str) -> None:
    rule = Rule("r", etype, MappingProxyType(EVERY_SUPPORTED[etype]), "critical", 1)
    assert compile_rule(rule) is not None
    assert RecordValidator((rule,)).compiled == {"r"}
    assert RecordValidator((rule,), compiled=False).compiled == frozenset()


def test_the_supported_list_covers_the_common_map_expectations() -> None:
    assert SUPPORTED == set(EVERY_SUPPORTED)


@pytest.mark.parametrize(("etype", "kwargs"), [
    ("expect_column_values_to_be_between", {"column": "a", "min_value": 0, "row_condition": 'b=="x"',
                                            "condition_parser": "pandas"}),
    ("expect_column_values_to_be_between", {"column": "a", "min_value": "2024-01-01"}),
    ("expect_column_values_to_be_between", {"column": "a", "min_value": 5, "max_value": 1}),
    ("expect_column_values_to_match_regex", {"column": "a", "regex": "["}),
    ("expect_column_values_to_be_in_set", {"column": "a", "value_set": [[1]]}),
    ("expect_select_column_values_to_be_unique_within_record", {"column_list": ["a", "b"], "ignore_row_if": "never"}),
    ("expect_column_values_to_match_strftime_format", {"column": "a", "strftime_format": "%Y"}),
])
def test_what_the_compiler_does_not_model_stays_on_gx(etype: str, kwargs: dict[str, Any]) -> None:
    rule = Rule("r", etype, MappingProxyType(kwargs), "critical", 1)
    assert compile_rule(rule) is None
    assert RecordValidator((rule,)).compiled == frozenset()


def test_a_batch_outside_the_compiled_domain_is_judged_by_gx() -> None:
    rule = Rule("r", "expect_column_values_to_be_between", MappingProxyType({"column": "a", "min_value": 0}),
                "critical", 1)
    validator = RecordValidator((rule,))
    assert validator.compiled == {"r"}
    out = validator.validate([{"a": 1}, {"a": "x"}, {"a": -1}, {"a": True}])
    assert [bool(f) for f in out] == [False, True, True, False]
    assert out == RecordValidator((rule,), compiled=False).validate([{"a": 1}, {"a": "x"}, {"a": -1}, {"a": True}])


def test_an_all_compiled_validator_never_builds_a_gx_suite() -> None:
    rule = Rule("r", "expect_column_values_to_not_be_null", MappingProxyType({"column": "a"}), "critical", 1)
    validator = RecordValidator((rule,))
    assert [len(f) for f in validator.validate([{"a": 1}, {}])] == [0, 1]
    assert validator._suites == {}


def test_failures_follow_the_rule_order_whichever_path_judged_them() -> None:
    rules = (
        Rule("date", "expect_column_values_to_match_strftime_format",
             MappingProxyType({"column": "d", "strftime_format": "%Y-%m-%d"}), "warning", 1),
        Rule("known", "expect_column_values_to_not_be_null", MappingProxyType({"column": "a"}), "critical", 2),
    )
    for validator in (RecordValidator(rules), RecordValidator(rules, compiled=False)):
        assert [[f.rule for f in fs] for fs in validator.validate([{"d": "x"}, {"d": "2024-01-01", "a": 1}])] == [
            ["date", "known"], []]


def test_two_rules_with_one_expectation_both_report() -> None:
    # GX keeps a suite as a set and drops the second, equal expectation.
    kwargs = MappingProxyType({"column": "a"})
    rules = (Rule("first", "expect_column_values_to_not_be_null", kwargs, "critical", 1),
             Rule("second", "expect_column_values_to_not_be_null", kwargs, "warning", 2))
    for validator in (RecordValidator(rules), RecordValidator(rules, compiled=False)):
        assert [f.rule for f in validator.validate([{}])[0]] == ["first", "second"]

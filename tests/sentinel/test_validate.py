"""Record and window validation with Great Expectations on micro-batches."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from governance.sentinel.pipeline import Rule, load_pipeline
from governance.sentinel.validate import VALID, RecordValidator, RuleFailure, WindowResult, WindowValidator, flatten


def rules(tmp_path: Path, yaml_rules: str, window: bool = False) -> tuple[Rule, ...]:
    key = "window:\n  expectations:\n" if window else "expectations:\n"
    body = textwrap.indent(textwrap.dedent(yaml_rules).strip("\n"), "    " if window else "  ")
    path = tmp_path / "p.yml"
    path.write_text(f"name: t\nsource: t\nvalue_format: json\n{key}{body}\n")
    p = load_pipeline(path)
    return p.window_rules if window else p.record_rules


def failing(tmp_path: Path, rule_yaml: str, records: list[dict[str, Any]]) -> list[int]:
    """Indices of the records the single rule rejects."""
    out = RecordValidator(rules(tmp_path, rule_yaml)).validate(records)
    return [i for i, f in enumerate(out) if f]


@pytest.mark.parametrize(("rule", "records", "bad"), [
    ("- {expectation: expect_column_values_to_not_be_null, column: a}",
     [{"a": 1}, {"a": None}, {}, {"a": 0}], [1, 2]),
    ("- {expectation: expect_column_values_to_be_between, column: a, min_value: 0, max_value: 10}",
     [{"a": 0}, {"a": 11}, {"a": -1}, {"a": 10}, {"a": None}], [1, 2]),
    ("- {expectation: expect_column_values_to_be_in_set, column: a, value_set: [x, y]}",
     [{"a": "x"}, {"a": "z"}, {"a": "y"}], [1]),
    ("- {expectation: expect_column_values_to_match_regex, column: a, regex: '^[A-Z]{3}$'}",
     [{"a": "EUR"}, {"a": "eur"}, {"a": "EURO"}], [1, 2]),
    ("- {expectation: expect_column_value_lengths_to_be_between, column: a, min_value: 2, max_value: 3}",
     [{"a": "x"}, {"a": "xy"}, {"a": "xyz"}, {"a": "wxyz"}], [0, 3]),
    ("- {expectation: expect_column_values_to_match_strftime_format, column: a, strftime_format: '%Y-%m-%d'}",
     [{"a": "2024-02-29"}, {"a": "2023-02-29"}, {"a": "29.02.2024"}], [1, 2]),
    ("- {expectation: expect_column_pair_values_a_to_be_greater_than_b, column_A: end, column_B: start}",
     [{"start": 1, "end": 2}, {"start": 2, "end": 2}, {"start": 3, "end": 1}], [1, 2]),
    ("- {expectation: expect_select_column_values_to_be_unique_within_record, column_list: [a, b, c]}",
     [{"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 1, "c": 3}, {"a": 5, "b": 6, "c": 5}], [1, 2]),
])
def test_each_expectation_type_names_the_failing_records(tmp_path: Path, rule: str, records: list, bad: list) -> None:
    assert failing(tmp_path, rule, records) == bad


def test_nested_fields_by_dotted_path(tmp_path: Path) -> None:
    rule = "- {expectation: expect_column_values_to_match_regex, column: address.zip, regex: '^[0-9]{5}$'}"
    records = [{"address": {"zip": "10115", "city": "Berlin"}}, {"address": {"zip": "1011"}}, {"address": {}}]
    assert failing(tmp_path, rule, records) == [1]
    assert flatten({"a": {"b": {"c": 1}}, "d": [1, 2]}) == {"a.b.c": 1, "d": [1, 2]}


def test_severity_and_message(tmp_path: Path) -> None:
    validator = RecordValidator(rules(tmp_path, """
        - {name: age-known, expectation: expect_column_values_to_not_be_null, column: age}
        - {name: age-plausible, expectation: expect_column_values_to_be_between, column: age, max_value: 120, severity: warning}
    """))
    ok, old, unknown = validator.validate([{"age": 30}, {"age": 130}, {"age": None}])
    assert ok == []
    assert old == [RuleFailure("age-plausible", "warning",
                               "expect_column_values_to_be_between(column='age', max_value=120) failed: got 130")]
    assert [(f.rule, f.severity) for f in unknown] == [("age-known", "critical")]
    assert "got null" in unknown[0].message


def test_a_failure_quotes_the_head_of_a_long_value_and_says_how_long_it_is(tmp_path: Path) -> None:
    validator = RecordValidator(rules(tmp_path, """
        - {expectation: expect_column_value_lengths_to_be_between, column: note, max_value: 10}
    """))
    [[failure]] = validator.validate([{"note": "ab\n" * 400_000}])
    assert failure.message.endswith("failed: got " + repr("ab\n" * 100)[:200] + "... (1,200,000 characters in all)")
    [[failure]] = validator.validate([{"note": "x" * 201}])
    assert failure.message.endswith("'" + "x" * 199 + "... (201 characters in all)")


def test_a_record_failing_several_rules_lists_them_all_and_batches_reuse_the_suite(tmp_path: Path) -> None:
    validator = RecordValidator(rules(tmp_path, """
        - {expectation: expect_column_values_to_not_be_null, column: a}
        - {expectation: expect_column_values_to_be_in_set, column: b, value_set: [1]}
    """))
    for _ in range(3):
        assert [len(f) for f in validator.validate([{"a": None, "b": 2}, {"a": 1, "b": 1}])] == [2, 0]
    assert validator.validate([]) == []


def test_values_gx_cannot_compare_fail_only_their_own_records(tmp_path: Path) -> None:
    # GX raises for the whole batch when a column mixes strings and numbers; the
    # validator then judges records one by one.
    rule = "- {expectation: expect_column_values_to_be_between, column: a, min_value: 0}"
    assert failing(tmp_path, rule, [{"a": 1}, {"a": "x"}, {"a": -1}, {"a": 2}]) == [1, 2]


def test_pipeline_rules_on_seed_shaped_records() -> None:
    p = load_pipeline(Path(__file__).resolve().parents[2] / "rules" / "orders.yml")
    good = {"orderId": "o-1", "customerId": "c-1", "totalCents": 1999, "items": [],
            "shippingAddress": {"street": "s", "city": "c", "zip": "10115", "country": "DE"}, "couponCode": None}
    bad = {**good, "orderId": "c-1", "shippingAddress": {**good["shippingAddress"], "country": "Germany"}}
    assert [[f.rule for f in fs] for fs in RecordValidator(p.record_rules).validate([good, bad])] == [[], [
        "expect_select_column_values_to_be_unique_within_record(orderId,customerId)",
        "expect_column_values_to_match_regex(shippingAddress.country)"]]


def test_window_expectations(tmp_path: Path) -> None:
    validator = WindowValidator(rules(tmp_path, """
        - {name: count, expectation: expect_table_row_count_to_be_between, min_value: 2, max_value: 4}
        - {name: mean, expectation: expect_column_mean_to_be_between, column: x.v, min_value: 1, max_value: 3}
        - {name: unique, expectation: expect_column_proportion_of_unique_values_to_be_between, column: u, min_value: 0.9}
    """, window=True))
    records = [{"x": {"v": 1}, "u": "a"}, {"x": {"v": 5}, "u": "a"}, {"x": {"v": 3}, "u": "b"}]
    assert validator.validate(records) == [
        WindowResult("count", True, 3), WindowResult("mean", True, 3.0), WindowResult("unique", False, 2 / 3)]
    assert validator.validate(records[:1])[0] == WindowResult("count", False, 1)
    assert validator.validate([])[0] == WindowResult("count", False, 0)


def test_a_map_rule_with_mostly_holds_when_that_share_of_the_windows_records_pass(tmp_path: Path) -> None:
    validator = WindowValidator(rules(tmp_path, """
        - {name: zips, expectation: expect_column_values_to_match_regex, column: zip, regex: "^[0-9]{5}$", mostly: 0.75}
        - {name: strict, expectation: expect_column_values_to_match_regex, column: zip, regex: "^[0-9]{5}$", mostly: 0.9}
        - {name: count, expectation: expect_table_row_count_to_be_between, min_value: 0, max_value: 10}
    """, window=True))
    # Ten records deserialized; two have a bad zip, and one of those (with one more) went to the DLQ.
    rows = [{"zip": "10115", VALID: True}] * 7 + [{"zip": "??", VALID: True}] + [{"zip": "??", VALID: False}] \
        + [{"zip": "20095", VALID: False}]
    zips, strict, count = validator.validate(rows)
    assert (zips.rule, zips.success, strict.success) == ("zips", True, False)
    assert zips.observed_value == {"unexpected_percent": 20.0, "element_count": 10}
    assert count == WindowResult("count", True, 8)  # aggregate rules count the valid records only
    assert [r.success for r in validator.validate([])] == [True, True, True]

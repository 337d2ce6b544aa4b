"""Which rules a profile supports, with what severity, and why a field gets none."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.rules.profile import profile_records
from governance.rules.propose import (BETWEEN, IN_SET, LENGTHS, NOT_NULL, REGEX, Thresholds, TooSmall, propose,
                                      widen)

FEW = Thresholds(min_records=10, min_values=10, margin=0.0)


def rules_by(records: list[dict], thresholds: Thresholds = FEW) -> dict[tuple[str, str], object]:
    return {(r.expectation, r.column): r for r in propose(profile_records(records), thresholds).rules}


def test_a_sample_below_min_records_is_refused_and_says_how_big_it_was() -> None:
    with pytest.raises(TooSmall, match="99 decoded records; proposing rules needs at least 100"):
        propose(profile_records([{"a": 1}] * 99), Thresholds())


def test_not_null_is_proposed_as_critical_only_for_fields_never_null() -> None:
    rules = rules_by([{"a": i, "b": None if i == 3 else i} for i in range(20)])
    assert rules[(NOT_NULL, "a")].severity == "critical"
    assert (NOT_NULL, "b") not in rules
    assert rules[(NOT_NULL, "a")].observed == "0 nulls in 20 records"


def test_a_range_is_the_observed_one_without_margin_and_a_warning() -> None:
    rule = rules_by([{"n": v} for v in range(5, 25)])[(BETWEEN, "n")]
    assert (rule.kwargs, rule.severity, rule.kind) == ({"min_value": 5, "max_value": 24}, "warning", "int")
    assert "min 5, max 24" in rule.observed


def test_a_margin_widens_by_a_share_of_the_span_but_never_to_or_across_zero() -> None:
    assert widen(20, 120, 0.1, integral=True) == (10, 130)
    assert widen(10, 110, 0.1, integral=True) == (5, 120)  # all above 0: 0 is not one of them, halfway to it
    assert widen(1, 101, 0.1, integral=True) == (1, 111)
    assert widen(0, 100, 0.1, integral=True) == (0, 110)
    assert widen(-10, 90, 0.1, integral=True) == (-20, 100)
    assert widen(-90, -10, 0.5, integral=True) == (-130, -5)
    assert widen(Decimal("0.50"), Decimal("9870.00"), 0.1, integral=False) == (0.25, 10860.0)  # tens: a span of thousands
    assert widen(1.25, 1.25, 0.1, integral=False) == (1.25, 1.25)
    assert widen(0.51, 0.59, 0.1, integral=False) == (0.502, 0.598)


def test_the_widened_range_is_said_in_the_observation() -> None:
    rules = rules_by([{"n": v} for v in range(100, 200)], Thresholds(min_records=10, min_values=10, margin=0.5))
    assert rules[(BETWEEN, "n")].kwargs == {"min_value": 50, "max_value": 249}
    assert "widened by 50% of the span each side: 50 to 249" in rules[(BETWEEN, "n")].observed


def test_decimals_and_floats_give_a_float_range() -> None:
    rule = rules_by([{"amount": Decimal(i) / 4} for i in range(2, 40)])[(BETWEEN, "amount")]
    assert rule.kind == "float" and rule.kwargs == {"min_value": 0.5, "max_value": 9.75}


def test_epoch_times_get_no_range_since_later_records_would_all_fail() -> None:
    proposals = propose(profile_records([{"createdAt": 1_764_000_000_000 + i} for i in range(20)]), FEW)
    assert [r.expectation for r in proposals.rules] == [NOT_NULL]
    assert "look like epoch times" in dict(proposals.notes)["createdAt"]


def test_few_distinct_strings_each_seen_often_make_a_set_rule() -> None:
    rule = rules_by([{"c": c} for c in ["EUR"] * 12 + ["USD"] * 5 + ["CHF"] * 5])[(IN_SET, "c")]
    assert rule.kwargs == {"value_set": ["CHF", "EUR", "USD"]} and rule.severity == "warning"
    assert "3 distinct values: EUR 12, USD 5, CHF 5" in rule.observed


def test_a_rare_value_means_no_set_but_a_pattern() -> None:
    rules = rules_by([{"c": c} for c in ["EUR"] * 15 + ["USD"] * 5 + ["JPY"]])
    assert (IN_SET, "c") not in rules
    assert rules[(REGEX, "c")].kwargs == {"regex": "^[A-Z]{3}$"}
    assert (LENGTHS, "c") not in rules  # the pattern fixes the length


def test_a_well_known_format_is_critical_an_inferred_pattern_a_warning_with_lengths_when_they_vary() -> None:
    rules = rules_by([{"email": f"k{i}@example.com", "zip": str(1000 + i * 997)} for i in range(20)])
    assert rules[(REGEX, "email")].severity == "critical"
    assert rules[(REGEX, "zip")].severity == "warning" and rules[(REGEX, "zip")].kwargs == {"regex": "^[0-9]+$"}
    assert rules[(LENGTHS, "zip")].kwargs == {"min_value": 4, "max_value": 5}


def test_text_without_a_shape_gets_lengths() -> None:
    rules = rules_by([{"street": f"Hauptstr. {i}"} for i in range(20)])
    assert (REGEX, "street") not in rules
    assert rules[(LENGTHS, "street")].kwargs == {"min_value": 11, "max_value": 12}


def test_a_field_with_too_few_values_gets_no_value_rule_and_a_note_says_why() -> None:
    records = [{"coupon": "SAVE10" if i < 4 else None} for i in range(20)]
    proposals = propose(profile_records(records), FEW)
    assert proposals.rules == ()
    assert dict(proposals.notes)["coupon"] == ("16 nulls in 20 records; no value rule: 4 non-null values, fewer than "
                                               "the 10 a rule needs")


def test_fields_null_everywhere_or_of_other_types_get_notes() -> None:
    proposals = propose(profile_records([{"gone": None, "items": [1], "flag": i % 2 == 0} for i in range(20)]), FEW)
    notes = dict(proposals.notes)
    assert notes["gone"].endswith("no rule: null in every record")
    assert notes["items"].endswith("no value rule: list values")
    assert notes["flag"].endswith("no value rule: bool values")


def test_nan_in_a_field_means_no_range() -> None:
    proposals = propose(profile_records([{"x": float("nan") if i == 0 else float(i)} for i in range(20)]), FEW)
    assert (BETWEEN, "x") not in {(r.expectation, r.column) for r in proposals.rules}
    assert "1 values are NaN or infinite" in dict(proposals.notes)["x"]

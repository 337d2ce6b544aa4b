"""Rules read with their arguments, and window rules' observed values rounded next to their bounds."""

from __future__ import annotations

from governance.console.rules import arguments, observed


def test_each_argument_is_shown_as_the_pipeline_file_gives_it_and_the_column_only_when_the_name_lacks_it() -> None:
    assert arguments("expect_column_values_to_be_between(totalCents)", {"column": "totalCents", "min_value": 0}) == \
        [("min_value", "0")]
    assert arguments("zip format", {"column": "shippingAddress.zip", "regex": "^[0-9A-Za-z -]{3,10}$"}) == \
        [("column", "shippingAddress.zip"), ("regex", "^[0-9A-Za-z -]{3,10}$")]
    assert arguments("x", {"value_set": ["DE", "FR"], "mostly": 0.95, "strict_min": True, "max_value": None}) == \
        [("value_set", "[DE, FR]"), ("mostly", "0.95"), ("strict_min", "true")]


def test_an_observed_mean_is_rounded_and_set_next_to_its_bounds() -> None:
    between = {"column": "totalCents", "min_value": 100, "max_value": 10_000_000}
    assert observed("14398.733959311425", between) == "observed 14,398.73, expected between 100 and 10,000,000"
    assert observed("0.000123456", {"max_value": 0.5}) == "observed 0.0001235, expected ≤ 0.5"
    assert observed("12", {"min_value": 3, "strict_min": True}) == "observed 12, expected > 3"
    assert observed("1234.5", {"min_value": 3, "max_value": 5, "strict_max": True}) == "observed 1,234.5, expected ≥ 3 and < 5"
    assert observed('"DE"', {"value_set": ["DE", "FR"]}) == 'observed "DE", expected in [DE, FR]'
    assert observed(None, between) == ""


def test_a_share_rule_tells_the_unexpected_share_against_what_mostly_allows() -> None:
    value = '{"unexpected_percent": 1.5151515151, "element_count": 198}'
    assert observed(value, {"value_set": ["DE"], "mostly": 0.95}) == \
        "observed 1.52% unexpected of 198 records, expected at most 5% (mostly 0.95)"

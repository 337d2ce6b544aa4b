"""The profile of a list of records: per dotted field, nulls, numbers, strings and shapes."""

from __future__ import annotations

from decimal import Decimal

from governance.rules.profile import DISTINCT_CAP, profile_records


def test_nested_fields_are_named_by_dotted_path_as_the_sentinels_rules_name_them() -> None:
    profile = profile_records([{"id": "a", "address": {"zip": "10115", "geo": {"lat": 52.5}}}])
    assert profile.paths() == ["address.geo.lat", "address.zip", "id"]


def test_a_null_or_absent_field_counts_as_null_and_a_field_null_everywhere_is_still_known() -> None:
    profile = profile_records([{"a": 1, "b": None, "c": None}, {"a": None, "c": None}, {"b": 2, "c": None}])
    assert profile.records == 3
    assert (profile.nulls("a"), profile.nulls("b"), profile.nulls("c")) == (2, 2, 3)
    assert profile.fields["c"].kind is None


def test_numbers_keep_min_max_and_their_kind() -> None:
    ints = profile_records([{"n": v} for v in (5, -3, 12)]).fields["n"]
    assert (ints.low, ints.high, ints.kind) == (-3, 12, "int")
    mixed = profile_records([{"n": 1}, {"n": 2.5}, {"n": Decimal("0.25")}]).fields["n"]
    assert (mixed.low, mixed.high, mixed.kind) == (Decimal("0.25"), 2.5, "number")


def test_nan_and_infinity_are_counted_apart_from_the_range() -> None:
    f = profile_records([{"x": 1.0}, {"x": float("nan")}, {"x": float("inf")}, {"x": 3.0}]).fields["x"]
    assert (f.low, f.high, f.not_finite) == (1.0, 3.0, 2)


def test_booleans_are_not_numbers_and_other_types_are_named() -> None:
    profile = profile_records([{"ok": True, "tags": ["a"], "raw": b"x"}])
    assert {p: f.kind for p, f in profile.fields.items()} == {"ok": "bool", "tags": "list", "raw": "bytes"}
    assert profile.fields["ok"].low is None


def test_strings_keep_lengths_and_their_distinct_values_only_while_few() -> None:
    f = profile_records([{"c": c} for c in ["EUR", "USD", "EUR", "CHF", "EURO"]]).fields["c"]
    assert (f.shortest, f.longest) == (3, 4)
    assert f.distinct == {"EUR": 2, "USD": 1, "CHF": 1, "EURO": 1}
    many = profile_records([{"id": f"x{i}"} for i in range(DISTINCT_CAP + 1)]).fields["id"]
    assert many.distinct is None


def test_values_of_several_types_make_a_mixed_field() -> None:
    assert profile_records([{"v": 1}, {"v": "1"}]).fields["v"].kind == "mixed"

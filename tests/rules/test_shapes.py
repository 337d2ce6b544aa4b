"""The shape inferred for a string field: well-known formats first, else one character class,
conservative (no shape for text), every regex valid in Python and in RE2."""

from __future__ import annotations

import re
import uuid

import pytest

from governance.rules.shapes import ShapeTracker, character_class


def shape_of(values: list[str]) -> tuple[str, str] | None:
    tracker = ShapeTracker()
    for v in values:
        tracker.add(v)
    shape = tracker.shape()
    return (shape.regex, shape.label) if shape else None


@pytest.mark.parametrize(("values", "regex", "label"), [
    ([str(uuid.UUID(int=i * 7919 + 1)) for i in range(20)],
     r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", "UUID"),
    (["2026-01-31", "1999-12-01"], r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "ISO date"),
    (["2026-01-31T10:00:00Z", "2026-01-31T10:00:00.123+01:00"], None, "ISO date-time"),
    (["kunde1@example.com", "a.b@shop.example.de"], r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$", "email address"),
    (["https://track.example.com/sh-1", "http://x.org"], None, "http URL"),
    (["EUR", "USD", "CHF"], "^[A-Z]{3}$", "inferred"),
    (["10115", "1010", "04109"], "^[0-9]+$", "inferred"),
    (["tx-0f3a", "tx-99bc", "tx-1234"], "^tx-[0-9a-f]{4}$", "inferred"),
    (["SKU-001", "SKU-120"], "^SKU-[0-9]{3}$", "inferred"),
    (["view", "add_to_cart", "check-out"], "^[a-z_-]+$", "inferred"),
    (["o-1", "r-2"], "^[a-z0-9-]{3}$", "inferred"),
])
def test_values_get_the_shape_they_all_fit(values: list[str], regex: str | None, label: str) -> None:
    found = shape_of(values)
    assert found is not None and found[1] == label
    if regex is not None:
        assert found[0] == regex
    assert all(re.search(found[0], v) for v in values)


@pytest.mark.parametrize("values", [
    ["Kaffeehaus Lindner", "Stadtwerke"],  # a space
    ["Köln", "Berlin"],  # a letter outside ASCII
    ["a.b", "c"],  # punctuation
    ["", "abc"],  # an empty value
])
def test_text_gets_no_shape(values: list[str]) -> None:
    assert shape_of(values) is None


def test_one_value_that_does_not_fit_drops_the_format_for_a_looser_shape() -> None:
    assert shape_of(["2026-01-31", "20260131"]) == ("^[0-9-]+$", "inferred")


def test_a_prefix_not_shared_by_every_value_is_not_kept() -> None:
    assert shape_of(["tx-0001", "0002"]) == ("^[a-z0-9-]+$", "inferred")


def test_classes_are_the_smallest_of_a_few() -> None:
    assert character_class(set("0123abc")) == "[0-9a-f]"
    assert character_class(set("0123abz")) == "[a-z0-9]"
    assert character_class(set("abc")) == "[a-z]"
    assert character_class(set("aB9_-")) == "[A-Za-z0-9_-]"


def test_every_regex_compiles_in_re2() -> None:
    re2 = pytest.importorskip("re2")  # google-re2, what CEL's matches() uses in cel-python
    from governance.rules.shapes import WELL_KNOWN

    for _, regex in WELL_KNOWN:
        re2.compile(regex)

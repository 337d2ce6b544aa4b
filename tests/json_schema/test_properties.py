"""Properties of the JSON Schema checker over generated schemas."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.json_schema import check_compatibility, parse_schema, validator

LEVELS = ("BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE")
NAMES = st.text(alphabet="abcdefgh_", min_size=1, max_size=6)
SMALL = st.integers(min_value=0, max_value=20)


def _scalar() -> st.SearchStrategy[dict[str, Any]]:
    string = st.fixed_dictionaries({"type": st.just("string")},
                                   optional={"minLength": SMALL, "maxLength": SMALL, "pattern": st.sampled_from(["^a", "b$"])})
    number = st.fixed_dictionaries({"type": st.sampled_from(["integer", "number"])},
                                   optional={"minimum": SMALL, "maximum": SMALL, "exclusiveMaximum": SMALL,
                                             "multipleOf": st.sampled_from([1, 2, 5])})
    other = st.sampled_from([{"type": "boolean"}, {"type": "null"}, {}, {"enum": ["x", "y"]}, {"const": 1},
                             {"type": ["string", "null"]}])
    return st.one_of(string, number, other)


def _schema(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    obj = st.builds(lambda props, closed, req: {"type": "object", "properties": props,
                                                 **({"additionalProperties": False} if closed else {}),
                                                 **({"required": sorted(props)[:req]} if props else {})},
                    st.dictionaries(NAMES, children, max_size=4), st.booleans(), st.integers(0, 2))
    arr = st.builds(lambda items, n: {"type": "array", "items": items, **({"minItems": n} if n else {})}, children, SMALL)
    comb = st.builds(lambda kind, branches: {kind: branches}, st.sampled_from(["allOf", "anyOf", "oneOf"]),
                     st.lists(children, min_size=1, max_size=3))
    return st.one_of(obj, arr, comb, st.builds(lambda s: {"not": s}, children))


SCHEMAS = st.recursive(_scalar(), _schema, max_leaves=12)
OBJECTS = st.builds(lambda props: {"type": "object", "properties": props}, st.dictionaries(NAMES, SCHEMAS, max_size=5))


def _js(value: Any) -> Any:
    return parse_schema(json.dumps(value))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SCHEMAS, st.sampled_from(LEVELS), st.sampled_from(["STRICT", "LENIENT"]))
def test_a_schema_is_compatible_with_itself(doc: dict[str, Any], level: str, policy: str) -> None:
    same_again = parse_schema(json.dumps(doc, indent=2, sort_keys=True))
    assert check_compatibility(same_again, [(1, _js(doc))], level, policy) == []


@settings(max_examples=150, deadline=None)
@given(SCHEMAS)
def test_canonical_form_ignores_layout_and_key_order_and_is_stable(doc: dict[str, Any]) -> None:
    a = _js(doc)
    b = parse_schema(json.dumps(dict(reversed(list(doc.items()))), indent=4))
    assert a.canonical == b.canonical and a.fingerprint == b.fingerprint
    assert parse_schema(a.canonical).canonical == a.canonical


@settings(max_examples=150, deadline=None)
@given(OBJECTS, NAMES, SCHEMAS)
def test_an_optional_property_added_to_a_closed_model_is_backward_compatible(
        doc: dict[str, Any], name: str, added: dict[str, Any]) -> None:
    old = {**doc, "additionalProperties": False}
    new = {**old, "properties": {**old["properties"], name: added}}
    if name in doc["properties"]:
        return
    assert check_compatibility(_js(new), [(1, _js(old))], "BACKWARD") == []


@settings(max_examples=150, deadline=None)
@given(OBJECTS, NAMES, SCHEMAS)
def test_a_property_removed_from_an_open_model_is_backward_compatible(
        doc: dict[str, Any], name: str, removed: dict[str, Any]) -> None:
    if name in doc["properties"]:
        return
    old = {**doc, "properties": {**doc["properties"], name: removed}}
    assert check_compatibility(_js(doc), [(1, _js(old))], "BACKWARD") == []


SCALAR_VALUES = st.one_of(st.integers(-5, 30), st.floats(-5, 30, allow_nan=False), st.text(alphabet="ab", max_size=25),
                          st.none(), st.booleans())


@settings(max_examples=300, deadline=None)
@given(_scalar(), _scalar(), st.lists(SCALAR_VALUES, min_size=1, max_size=20))
def test_backward_compatible_scalars_accept_every_value_the_old_schema_did(
        old: dict[str, Any], new: dict[str, Any], values: list[Any]) -> None:
    old_s, new_s = _js(old), _js(new)
    if check_compatibility(new_s, [(1, old_s)], "BACKWARD"):
        return
    old_v, new_v = validator(old_s), validator(new_s)
    for value in values:
        if old_v.is_valid(value):
            assert new_v.is_valid(value), (old, new, value)

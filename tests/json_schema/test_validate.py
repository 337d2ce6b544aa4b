"""Validating records against a schema, and decoding Confluent's JSON wire format body."""

from __future__ import annotations

import copy
import json

import pytest
from json_schema.measure_validators import INVALID, ORDER_SCHEMA, VALID

from governance.json_schema import JsonBodyError, decode_body, parse_schema, validator


def test_a_valid_order_has_no_errors_and_an_invalid_one_names_path_and_reason() -> None:
    v = validator(parse_schema(json.dumps(ORDER_SCHEMA)))
    assert v.errors(VALID) is None and v.is_valid(VALID)
    failure = v.errors(INVALID)
    assert failure.path == "$.shipping_address.zip"
    assert failure.keyword == "pattern"
    assert "ABCDE" in failure.reason
    assert str(failure).startswith("$.shipping_address.zip: ")


def test_the_path_into_arrays_and_odd_names() -> None:
    v = validator(parse_schema(json.dumps(ORDER_SCHEMA)))
    bad = copy.deepcopy(VALID)
    bad["lines"][1]["quantity"] = 0
    assert v.errors(bad).path == "$.lines[1].quantity"
    odd = validator(parse_schema('{"properties": {"a b": {"type": "string"}}}'))
    assert odd.errors({"a b": 1}).path == '$["a b"]'


def test_formats_are_not_asserted_unless_asked() -> None:
    doc = {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}}
    schema = parse_schema(json.dumps(doc))
    assert validator(schema).errors({"email": "not an email"}) is None
    assert validator(schema, assert_formats=True).errors({"email": "not an email"}).keyword == "format"


def test_each_draft_validates_by_its_own_rules() -> None:
    tuple_7 = {"type": "array", "items": [{"type": "string"}], "additionalItems": False}
    assert validator(parse_schema(json.dumps(tuple_7))).errors(["a", 1]) is not None
    # Without $schema a schema is draft 7: `prefixItems` is not a keyword there, and constrains nothing.
    prefix = {"type": "array", "prefixItems": [{"type": "string"}], "items": False}
    assert validator(parse_schema(json.dumps(prefix))).errors([1]) is not None  # draft 7 `items: false`
    assert validator(parse_schema(json.dumps(prefix))).errors([]) is None
    prefix_2020 = {"$schema": "https://json-schema.org/draft/2020-12/schema", **prefix}
    assert validator(parse_schema(json.dumps(prefix_2020))).errors(["a"]) is None
    assert validator(parse_schema(json.dumps(prefix_2020))).errors(["a", "b"]) is not None
    draft4 = {"$schema": "http://json-schema.org/draft-04/schema#", "maximum": 10, "exclusiveMaximum": True}
    assert validator(parse_schema(json.dumps(draft4))).errors(10) is not None


def test_references_to_other_subjects_are_used_offline() -> None:
    main = json.dumps({"$id": "https://example.com/order.json", "type": "object",
                       "properties": {"address": {"$ref": "address.json#/definitions/a"}}})
    address = json.dumps({"definitions": {"a": {"type": "object", "required": ["zip"]}}})
    v = validator(parse_schema(main, {"https://example.com/address.json": address}))
    assert v.errors({"address": {"zip": "1"}}) is None
    assert v.errors({"address": {}}).path == "$.address"


def test_decode_body() -> None:
    assert decode_body(b'{"a": [1, "\xc3\xbc"]}') == {"a": [1, "ü"]}
    assert decode_body(memoryview(b"null")) is None
    with pytest.raises(JsonBodyError, match="not UTF-8 text: byte 0xff at offset 1") as caught:
        decode_body(b"{\xff}")
    assert caught.value.kind == "utf8"
    with pytest.raises(JsonBodyError, match="not JSON: Expecting value at line 1 column 7") as caught:
        decode_body(b'{"a": }')
    assert caught.value.kind == "json"
    with pytest.raises(JsonBodyError, match="not JSON"):
        decode_body(b"")

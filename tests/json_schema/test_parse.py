"""Parsing JSON Schemas: drafts, references by name, errors with their place, canonical form."""

from __future__ import annotations

import json
import sys

import pytest

from governance.errors import InvalidSchemaError
from governance.json_schema import InvalidJsonSchemaError, parse_schema


@pytest.mark.parametrize(("uri", "draft"), [
    (None, "draft-07"),
    ("http://json-schema.org/draft-04/schema#", "draft-04"),
    ("http://json-schema.org/draft-06/schema#", "draft-06"),
    ("http://json-schema.org/draft-07/schema", "draft-07"),
    ("https://json-schema.org/draft/2019-09/schema", "2019-09"),
    ("https://json-schema.org/draft/2020-12/schema", "2020-12"),
])
def test_the_draft_is_the_one_schema_names(uri: str | None, draft: str) -> None:
    doc = {"type": "string"} | ({"$schema": uri} if uri else {})
    assert parse_schema(json.dumps(doc)).draft == draft


def test_an_unknown_schema_uri_is_refused_naming_the_drafts() -> None:
    with pytest.raises(InvalidJsonSchemaError, match="names no JSON Schema draft served here.*2020-12"):
        parse_schema('{"$schema": "http://example.com/my-meta"}')


def test_not_json_says_where() -> None:
    with pytest.raises(InvalidJsonSchemaError) as caught:
        parse_schema('{\n  "type": "object",\n  "properties": {,}\n}')
    assert (caught.value.line, caught.value.column) == (3, 18)
    assert "not JSON" in str(caught.value)
    assert isinstance(caught.value, InvalidSchemaError)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_number_no_other_reader_takes_is_not_json(number: str) -> None:
    with pytest.raises(InvalidJsonSchemaError) as raised:
        parse_schema('{\n  "maximum": ' + number + "\n}")
    assert (raised.value.line, raised.value.column) == (2, 14)
    assert raised.value.reason == f"the text is not JSON: {number} is not a JSON number."


def test_a_value_its_draft_refuses_is_placed_on_its_line() -> None:
    text = '{\n  "type": "object",\n  "properties": {\n    "zip": {"type": "string", "minLength": -1}\n  }\n}'
    with pytest.raises(InvalidJsonSchemaError) as caught:
        parse_schema(text)
    assert caught.value.line == 4
    assert caught.value.pointer == "#/properties/zip/minLength"
    assert "not a valid draft-07 schema at #/properties/zip/minLength" in str(caught.value)


def test_draft_4_does_not_take_boolean_schemas_but_later_drafts_do() -> None:
    assert parse_schema("true").document is True
    assert parse_schema(json.dumps({"properties": {"a": False}})).document == {"properties": {"a": False}}
    with pytest.raises(InvalidJsonSchemaError):
        parse_schema(json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "properties": {"a": False}}))


def test_an_unresolvable_ref_is_an_error_on_its_line() -> None:
    text = '{\n  "properties": {\n    "a": {"$ref": "#/definitions/missing"}\n  }\n}'
    with pytest.raises(InvalidJsonSchemaError, match="'#/definitions/missing' cannot be resolved") as caught:
        parse_schema(text)
    assert caught.value.line == 3


def test_a_ref_to_a_subject_not_given_as_a_reference_is_an_error() -> None:
    with pytest.raises(InvalidJsonSchemaError, match="no schema or reference is named 'address.json'"):
        parse_schema('{"$ref": "address.json"}')


@pytest.mark.parametrize(("ref", "name", "main_id"), [
    ("address.json", "address.json", None),
    ("address.json#/definitions/zip", "address.json", None),
    ("https://example.com/address.json", "https://example.com/address.json", None),
    ("address.json", "https://example.com/address.json", "https://example.com/order.json"),
    ("https://example.com/address.json#/definitions/zip", "address.json", "https://example.com/order.json"),
])
def test_references_resolve_by_their_name(ref: str, name: str, main_id: str | None) -> None:
    address = {"type": "object", "definitions": {"zip": {"type": "string"}}}
    main = {"properties": {"a": {"$ref": ref}}} | ({"$id": main_id} if main_id else {})
    schema = parse_schema(json.dumps(main), {name: json.dumps(address)})
    doc, target, pointer = schema.resolve(schema.main, ref)
    assert doc.name == name
    assert target == (address["definitions"]["zip"] if "#" in ref else address)


def test_a_reference_that_is_not_a_schema_is_named_in_the_error() -> None:
    with pytest.raises(InvalidJsonSchemaError, match="^address.json line 1"):
        parse_schema('{"$ref": "address.json"}', {"address.json": '{"type": 12}'})


def test_anchors_and_defs_resolve() -> None:
    doc = {"$schema": "https://json-schema.org/draft/2020-12/schema",
           "$defs": {"zip": {"$anchor": "zip", "type": "string"}}, "properties": {"a": {"$ref": "#zip"}}}
    schema = parse_schema(json.dumps(doc))
    assert schema.resolve(schema.main, "#zip")[2] == "#/$defs/zip"


def test_same_schema_same_canonical_form() -> None:
    a = parse_schema('{"type": "object", "properties": {"b": {"type": "string"}, "a": {"type": "integer"}}}')
    b = parse_schema('{\n  "properties": {"a": {"type": "integer"},\n "b": {"type": "string"}},\n  "type": "object"\n}')
    assert a.canonical == b.canonical == '{"properties":{"a":{"type":"integer"},"b":{"type":"string"}},"type":"object"}'
    assert a.fingerprint == b.fingerprint and a.normalized == a.canonical
    c = parse_schema('{"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "string"}}}')
    assert c.canonical != a.canonical and c.fingerprint != a.fingerprint


def test_canonical_text_keeps_unicode_and_parses_back_to_the_same_schema() -> None:
    schema = parse_schema('{"description": "Größe", "enum": ["ü", 1.5]}')
    assert "Größe" in schema.canonical
    assert parse_schema(schema.canonical).canonical == schema.canonical


def test_a_pointer_with_escapes_and_percent_encoding_resolves() -> None:
    doc = {"definitions": {"a b": {"type": "string"}, "c/d": {"type": "integer"}},
           "properties": {"x": {"$ref": "#/definitions/a%20b"}, "y": {"$ref": "#/definitions/c~1d"}}}
    schema = parse_schema(json.dumps(doc))
    assert schema.resolve(schema.main, "#/definitions/a%20b")[1] == {"type": "string"}
    assert schema.resolve(schema.main, "#/definitions/c~1d")[1] == {"type": "integer"}


def test_a_schema_nested_too_deeply_is_an_error_not_a_crash() -> None:
    """Too deep is relative to the interpreter's recursion limit, which a library may raise
    (cel-python's Environment sets it to 2500 for the whole process)."""
    limit = sys.getrecursionlimit()
    for depth in (limit, 5 * limit):
        with pytest.raises(InvalidJsonSchemaError, match="nests too deeply"):
            parse_schema('{"not":' * depth + "false" + "}" * depth)

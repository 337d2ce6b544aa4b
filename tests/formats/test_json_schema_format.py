"""The JSON Schema format behind the seam (`format_for("JSON")`): what every capability asks of a
JSON Schema, as test_avro_format.py and test_protobuf_format.py ask it of the others."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from format_helpers import DIRECTIONS_AT_EACH_LEVEL, Fetches, line_of, modules_loaded

from governance.errors import InvalidSchemaError
from governance.formats import BACKWARD, SCHEMA_TYPES, Level, format_for, suffixes
from governance.json_schema import JsonBodyError, JsonSchemaViolation

JSON = format_for("JSON")

ADDRESS = '{\n  "type": "object",\n  "properties": {\n    "zip": {"type": "string", "maxLength": 10}\n  }\n}\n'
REFS = {"address.json": ADDRESS}
ORDER = """{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Order",
  "description": "An order.",
  "type": "object",
  "properties": {
    "id": {"type": "string", "confluent:tags": ["PII"]},
    "amount": {"type": "number", "minimum": 0},
    "to": {"$ref": "address.json"},
    "lines": {
      "type": "array",
      "items": {"type": "object", "properties": {"sku": {"type": "string"}}}
    },
    "note": {"type": ["string", "null"]},
    "attrs": {"type": "object", "additionalProperties": {"type": "integer"}}
  },
  "required": ["id"]
}
"""
OLD = '{\n  "type": "object",\n  "properties": {\n    "id": {"type": "string"},\n    "amount": {"type": "integer"}\n  }\n}\n'
NEW = OLD.replace('"amount": {"type": "integer"}', '"amount": {"type": "string"}')


# -- which format ---------------------------------------------------------------------


def test_json_schema_is_the_format_of_json_and_of_json_files() -> None:
    assert (JSON.schema_type, JSON.label, JSON.suffixes) == ("JSON", "JSON Schema", (".json",))
    assert "JSON" in SCHEMA_TYPES and suffixes()[".json"] == "JSON"


def test_the_seam_and_the_format_import_neither_validator_nor_datahub_until_asked() -> None:
    code = ("import governance.formats, governance.workspace; "
            "governance.formats.format_for('JSON').locator('{\"properties\": {\"x\": {}}}').field_line('x')")
    assert modules_loaded(code, ("jsonschema", "jsonschema_rs", "datahub")) == "[]"


# -- parse, canonical text, fingerprint ------------------------------------------------


def test_one_schema_laid_out_two_ways_has_one_canonical_text_and_fingerprint() -> None:
    parsed = JSON.parse(OLD)
    assert parsed.canonical == '{"properties":{"amount":{"type":"integer"},"id":{"type":"string"}},"type":"object"}'
    assert parsed.normalized == parsed.canonical
    assert parsed.fingerprint == hashlib.sha256(parsed.canonical.encode()).hexdigest()
    assert JSON.parse(json.dumps(json.loads(OLD))).canonical == parsed.canonical
    assert JSON.formatted(parsed, "serialized") is None


def test_parse_resolves_refs_by_reference_name_and_refuses_one_that_names_nothing() -> None:
    parsed = JSON.parse(ORDER, REFS)
    assert '"$ref":"address.json"' in parsed.canonical, "the stored text keeps the reference by name"
    with pytest.raises(InvalidSchemaError) as missing:
        JSON.parse(ORDER)
    assert missing.value.line == line_of(ORDER, '"to"') and "address.json" in missing.value.message


def test_a_malformed_schema_is_an_invalid_schema_with_its_line_and_reason() -> None:
    with pytest.raises(InvalidSchemaError) as not_json:
        JSON.parse(OLD.replace('"id":', '"id"'))
    assert (not_json.value.line, not_json.value.column) == (line_of(OLD, '"id"'), 10)
    assert not_json.value.message == "the schema line 4 column 10: the text is not JSON: Expecting ':' delimiter."
    with pytest.raises(InvalidSchemaError) as not_a_schema:
        JSON.parse(OLD.replace('"type": "integer"', '"type": "integr"'))
    assert not_a_schema.value.line == line_of(OLD, '"amount"')
    assert not_a_schema.value.message.startswith("the schema line 5: not a valid draft-07 schema at "
                                                 "#/properties/amount/type: ")
    with pytest.raises(InvalidSchemaError) as in_reference:
        JSON.parse(ORDER, {"address.json": ADDRESS.replace('"maxLength": 10', '"maxLength": -1')})
    assert in_reference.value.message.startswith("address.json line 4: ")
    assert JSON.locator(ORDER).error_position(in_reference.value) == (line_of(ORDER, '"$ref"'), 1)


# -- compatibility at the seven levels ---------------------------------------------------

CHANGED = "at property `amount` (#/properties/amount): {r} expects {a} where {w} allows {b}, so records " \
          "written with {w} may be refused by consumers using {r}"


@pytest.mark.parametrize("level, expected", DIRECTIONS_AT_EACH_LEVEL)
def test_compatibility_findings_carry_a_path_a_direction_and_a_sentence_at_each_level(
        level: Level, expected: list[tuple[str, int]]) -> None:
    old = JSON.parse(OLD)
    found = JSON.compatibility(JSON.parse(NEW), [(1, old), (2, old)], level)

    def sentence(direction: str, version: int) -> str:
        if direction == BACKWARD:
            return CHANGED.format(w=f"version {version}", r="the new schema", a="a string", b="an integer")
        return CHANGED.format(w="the new schema", r=f"version {version}", a="an integer", b="a string")

    assert [(f.field_path, f.direction, f.message, f.version) for f in found] == [
        ("amount", d, sentence(d, v), v) for d, v in expected]
    assert all(f.type == "TYPE_CHANGED" and f.location == "#/properties/amount" and f.additional_info == ""
               for f in found)
    assert all(f.confluent_message() == '{errorType:"TYPE_CHANGED", description:"A type at path \'#/properties/amount\' '
                                        'is different between the ' + ("new schema and the old" if f.direction == BACKWARD
                                                                       else "old schema and the new") + ' schema"}'
               for f in found)


def test_the_policy_decides_an_optional_property_added_to_an_open_model() -> None:
    added = JSON.parse(OLD.replace('"amount": {"type": "integer"}', '"amount": {"type": "integer"},\n    "x": {"type": "string"}'))
    strict = JSON.compatibility(added, [(1, JSON.parse(OLD))], Level.BACKWARD)
    assert [f.type for f in strict] == ["OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"]
    assert JSON.compatibility(added, [(1, JSON.parse(OLD))], Level.BACKWARD, "STRICT") == strict
    assert JSON.compatibility(added, [(1, JSON.parse(OLD))], Level.BACKWARD, "LENIENT") == []


def test_a_keyword_the_checker_does_not_compare_is_never_passed() -> None:
    old = JSON.parse('{"type": "array", "contains": {"type": "integer"}}')
    new = JSON.parse('{"type": "array", "contains": {"type": "string"}}')
    for policy in ("STRICT", "LENIENT"):
        (found,) = JSON.compatibility(new, [(1, old)], Level.BACKWARD, policy)
        assert (found.type, found.keyword, found.cannot_judge) == ("KEYWORD_NOT_COMPARED", "contains", True)


def test_a_compatible_change_and_a_first_version_have_no_findings() -> None:
    widened = JSON.parse(OLD.replace('"amount": {"type": "integer"}', '"amount": {"type": "number"}'))
    assert JSON.compatibility(widened, [(1, JSON.parse(OLD))], Level.BACKWARD_TRANSITIVE) == []
    assert JSON.compatibility(widened, [], Level.FULL) == []


# -- where things are in a file ----------------------------------------------------------


def test_the_locator_finds_properties_json_paths_and_findings_paths() -> None:
    locator = JSON.locator(ORDER)
    assert locator.field_line("amount") == line_of(ORDER, '"amount"')
    assert locator.field_line("lines.sku") == line_of(ORDER, '"lines"'), "an array is one column"
    assert locator.field_line("id.gone") == line_of(ORDER, '"id"')
    assert locator.field_line("#/properties/attrs/additionalProperties") == line_of(ORDER, '"attrs"')
    assert locator.field_line("") == 1
    assert locator.finding_path("MAX_LENGTH_DECREASED", "#/properties/lines/items/properties/sku/maxLength", "", None) \
        == "lines.sku"
    assert locator.finding_path("TYPE_CHANGED", "#/", "", None) == ""


# -- describe, columns, diff -------------------------------------------------------------


def test_describe_gives_the_leaf_properties_with_their_types_tags_and_the_schema_laid_out() -> None:
    described = JSON.describe(ORDER, REFS)
    assert dict(described.types) == {"id": "string", "amount": "number", "to.zip": "string", "lines": "array<object>",
                                     "note": "string | null", "attrs": "object"}
    assert described.leaf_fields == tuple(described.types)
    assert described.doc == "An order." and dict(described.tags) == {"id": ("PII",)}
    assert json.loads(described.pretty) == json.loads(ORDER)
    assert JSON.describe("{") == type(described)(None, (), {}, "{")


def test_describe_says_which_properties_their_object_requires_through_refs_and_allof() -> None:
    assert JSON.describe(ORDER, REFS).required == {"id"}
    address = json.dumps({"type": "object", "properties": {"zip": {"type": "string"}}, "required": ["zip"]})
    text = json.dumps({"type": "object", "required": ["to"], "properties": {
        "to": {"$ref": "address.json"},
        "from": {"allOf": [{"$ref": "address.json"}, {"required": ["city"], "properties": {"city": {"type": "string"}}}]}}})
    assert JSON.describe(text, {"address.json": address}).required == {"to", "to.zip", "from.zip", "from.city"}
    assert format_for("AVRO").describe(OLD.replace('"type": "object"', '"type": "record", "name": "R"')).required is None


def test_columns_are_the_decoded_records_paths() -> None:
    f = JSON.columns(ORDER, REFS)
    assert f.values == {"id", "amount", "to.zip", "lines", "note"}
    assert f.knows("attrs.colour") and not f.knows("to.street")
    assert JSON.columns("not json").values == set()


def test_diff_names_each_change_with_its_property_and_json_path() -> None:
    assert JSON.diff(OLD, NEW.replace('"id": {"type": "string"},', '"id": {"type": "string", "maxLength": 5},')) == [
        "+ property `id` (#/properties/id/maxLength): max length added (none -> 5)",
        "~ property `amount` (#/properties/amount): type changed (an integer -> a string)"]
    with pytest.raises(InvalidSchemaError):
        JSON.diff(OLD, "{")


# -- the wire body and DataHub -----------------------------------------------------------


def test_the_decoder_validates_each_record_and_says_where_the_schema_refuses_it() -> None:
    read = JSON.decoder(ORDER, REFS)
    assert read(io.BytesIO(b'{"id": "a", "amount": 3, "to": {"zip": "1"}}')) == {"id": "a", "amount": 3, "to": {"zip": "1"}}
    with pytest.raises(JsonSchemaViolation) as refused:
        read(io.BytesIO(b'{"id": "a", "to": {"zip": "12345678901"}}'))
    assert (refused.value.kind, refused.value.path, refused.value.keyword) == ("schema", "$.to.zip", "maxLength")
    assert str(refused.value) == '$.to.zip: "12345678901" is longer than 10 characters'
    with pytest.raises(JsonSchemaViolation) as missing:
        read(io.BytesIO(b'{"amount": 1}'))
    assert (missing.value.path, missing.value.reason) == ("$", '"id" is a required property')
    for body, kind in ((b"\xff", "utf8"), (b"{", "json")):
        with pytest.raises(JsonBodyError) as not_json:
            read(io.BytesIO(body))
        assert not_json.value.kind == kind
    assert all(issubclass(e, ValueError) for e in (JsonSchemaViolation, JsonBodyError))
    with pytest.raises(InvalidSchemaError):
        JSON.decoder(ORDER)


def test_the_datahub_document_is_the_schemas_own_text_as_datahubs_kafka_source_keeps_it() -> None:
    fetch = Fetches(ADDRESS)
    assert JSON.datahub_document(OLD, [], fetch) == OLD
    assert JSON.datahub_document(ORDER, [{"name": "address.json", "subject": "address", "version": 2}], fetch) == ORDER
    assert fetch.asked == []


def test_datahub_fields_are_datahubs_own_reading_with_v2_paths() -> None:
    paths = {f.fieldPath: f.nativeDataType for f in JSON.datahub_fields(ORDER, REFS)}
    assert paths["[version=2.0].[type=Order].[type=string].id"] == "string"
    assert paths["[version=2.0].[type=Order].[type=address.json].to.[type=string].zip"] == "string"
    assert paths["[version=2.0].[type=Order].[type=map].[type=integer].attrs"] == "map(str,integer)"


def test_a_propertys_confluent_tags_are_on_its_datahub_field_and_columns_stop_at_arrays() -> None:
    fields = JSON.datahub_fields(ORDER, REFS)
    tagged = {f.fieldPath: [t.tag for t in f.globalTags.tags] for f in fields if f.globalTags}
    assert tagged == {"[version=2.0].[type=Order].[type=string].id": ["urn:li:tag:PII"]}
    columns = JSON.datahub_columns(ORDER, fields, REFS)
    assert columns["to.zip"] == "[version=2.0].[type=Order].[type=address.json].to.[type=string].zip"
    assert columns["lines"] == "[version=2.0].[type=Order].[type=array].lines"
    assert set(JSON.columns(ORDER, REFS).values) <= set(columns) and not any(c.startswith("lines.") for c in columns)


def test_imports_are_the_names_of_refs_outside_the_schema_each_once_in_order() -> None:
    text = json.dumps({"properties": {
        "ship": {"$ref": "customer-address.json#/definitions/Address"},
        "bill": {"$ref": "customer-address.json"},
        "items": {"type": "array", "items": {"$ref": "line.json"}},
        "local": {"$ref": "#/definitions/Local"},
    }, "definitions": {"Local": {"type": "string"}}})
    assert JSON.imports(text) == ("customer-address.json", "line.json")
    assert JSON.imports("not json") == ()

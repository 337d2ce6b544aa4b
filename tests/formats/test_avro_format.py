"""The schema format seam (`governance.formats`), specified on Avro (Protobuf: test_protobuf_format.py): what
every capability asks of a schema, and the answer for a schema type no format serves."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from format_helpers import Fetches, modules_loaded

from governance.errors import GovernanceError, InvalidSchemaError
from governance.formats import (
    BACKWARD,
    FORWARD,
    SCHEMA_TYPES,
    Level,
    UnsupportedSchemaType,
    format_for,
    suffixes,
)

AVRO = format_for("AVRO")
ROOT = Path(__file__).resolve().parents[2]


def record(fields: list[dict[str, object]], name: str = "Order", **extra: object) -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "t", **extra, "fields": fields}, indent=2)


ID = {"name": "id", "type": "string"}
OLD = record([ID, {"name": "note", "type": "string"}])
NEW = record([ID, {"name": "amount", "type": "long"}])
ADDRESS = json.dumps({"type": "record", "name": "Address", "namespace": "com.acme",
                      "fields": [{"name": "zip", "type": "string"}]})


# -- which format ---------------------------------------------------------------------


def test_avro_is_the_format_of_avro_and_of_a_schema_that_names_no_type() -> None:
    assert format_for(None) is format_for("") is AVRO
    assert (AVRO.schema_type, AVRO.label, AVRO.suffixes) == ("AVRO", "Avro", (".avsc",))
    assert SCHEMA_TYPES == ("AVRO", "PROTOBUF", "JSON")
    assert suffixes() == {".avsc": "AVRO", ".proto": "PROTOBUF", ".json": "JSON"}


@pytest.mark.parametrize("schema_type", ["JSONSCHEMA", "avro", "json", "XML"])
def test_a_type_no_format_serves_is_an_invalid_schema_naming_the_supported_ones(schema_type: str) -> None:
    with pytest.raises(UnsupportedSchemaType) as raised:
        format_for(schema_type)
    assert isinstance(raised.value, InvalidSchemaError) and isinstance(raised.value, GovernanceError)
    assert raised.value.schema_type == schema_type
    assert raised.value.message == f"unsupported schema type {schema_type!r}: supported are AVRO, PROTOBUF, JSON"


def test_the_seam_imports_neither_fastavro_nor_datahub() -> None:
    assert modules_loaded("import governance.formats, governance.workspace",
                          ("fastavro", "datahub", "pandas", "confluent_kafka")) == "[]"


# -- parse, canonical text, fingerprint ------------------------------------------------


def test_parse_gives_the_canonical_text_and_the_fingerprint_of_the_parsing_canonical_form() -> None:
    parsed = AVRO.parse(OLD)
    assert parsed.canonical == ('{"type":"record","name":"Order","namespace":"t","fields":'
                                '[{"name":"id","type":"string"},{"name":"note","type":"string"}]}')
    pcf = '{"name":"t.Order","type":"record","fields":[{"name":"id","type":"string"},{"name":"note","type":"string"}]}'
    assert parsed.fingerprint == hashlib.sha256(pcf.encode()).hexdigest()
    assert parsed.normalized == parsed.canonical
    assert AVRO.parse(json.dumps(json.loads(OLD))) == parsed, "layout does not make another schema"


def test_parse_resolves_references_and_says_what_is_wrong() -> None:
    order = record([{"name": "to", "type": "com.acme.Address"}])
    assert '"com.acme.Address"' in AVRO.parse(order, {"address": ADDRESS}).canonical
    with pytest.raises(InvalidSchemaError) as unknown:
        AVRO.parse(order)
    assert "com.acme.Address" in unknown.value.message and unknown.value.pointer is not None
    with pytest.raises(InvalidSchemaError) as not_json:
        AVRO.parse('{"type": "record",\n "name": }')
    assert not_json.value.line == 2


# -- compatibility at the seven levels ---------------------------------------------------

ADDED = ("amount", BACKWARD, "field `amount` was added without a default, so records written with version {v} "
                             "cannot be read by the new schema")
REMOVED = ("note", FORWARD, "field `note` was removed, and version {v} has no default for it, so records written "
                           "with the new schema cannot be read by consumers using version {v}")


@pytest.mark.parametrize("level, expected", [
    (Level.BACKWARD, [(ADDED, 2)]),
    (Level.BACKWARD_TRANSITIVE, [(ADDED, 2), (ADDED, 1)]),
    (Level.FORWARD, [(REMOVED, 2)]),
    (Level.FORWARD_TRANSITIVE, [(REMOVED, 2), (REMOVED, 1)]),
    (Level.FULL, [(ADDED, 2), (REMOVED, 2)]),
    (Level.FULL_TRANSITIVE, [(ADDED, 2), (REMOVED, 2), (ADDED, 1), (REMOVED, 1)]),
    (Level.NONE, []),
])
def test_compatibility_findings_carry_a_path_a_direction_and_a_sentence_at_each_level(
        level: Level, expected: list[tuple[tuple[str, str, str], int]]) -> None:
    old = AVRO.parse(OLD)
    found = AVRO.compatibility(AVRO.parse(NEW), [(1, old), (2, old)], level)
    assert [(f.field_path, f.direction, f.message, f.version) for f in found] == [
        (path, direction, sentence.format(v=version), version) for (path, direction, sentence), version in expected]
    assert all(f.type == "READER_FIELD_MISSING_DEFAULT_VALUE" and f.location == "/fields/1" for f in found)
    assert all(f.confluent_message().startswith("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'") for f in found)


def test_a_compatible_change_and_a_first_version_have_no_findings() -> None:
    widened = AVRO.parse(record([ID, {"name": "note", "type": "string"}, {"name": "n", "type": "int", "default": 0}]))
    assert AVRO.compatibility(widened, [(1, AVRO.parse(OLD))], Level.FULL_TRANSITIVE) == []
    assert AVRO.compatibility(widened, [], Level.FULL) == []


# -- where things are in a file ----------------------------------------------------------


def test_the_locator_finds_a_field_and_a_parse_errors_line() -> None:
    text = ('{"type": "record", "name": "Order", "fields": [\n'
            ' {"name": "id", "type": "string"},\n'
            ' {"name": "address", "type": {"type": "record", "name": "A", "fields": [\n'
            '   {"name": "zip", "type": "int"}]}}]}')
    locator = AVRO.locator(text)
    assert (locator.field_line("address.zip"), locator.field_line("address"), locator.field_line("")) == (4, 3, 1)
    broken = record([ID, {"name": "n", "type": "int", "default": "x"}])
    with pytest.raises(InvalidSchemaError) as raised:
        AVRO.parse(broken)
    line, _ = AVRO.locator(broken).error_position(raised.value)
    assert '"default": "x"' in broken.splitlines()[line - 1]


def test_a_registry_findings_path_is_found_through_the_types_references_bring() -> None:
    order = record([ID, {"name": "to", "type": "com.acme.Address"}])
    locator, parsed = AVRO.locator(order), AVRO.parse(order, {"address": ADDRESS})
    assert locator.finding_path("TYPE_MISMATCH", "/fields/1/type/fields/0/type", "", parsed) == "to.zip"
    assert locator.finding_path("TYPE_MISMATCH", "/fields/1/type/fields/0/type", "", None) == "to"
    assert locator.finding_path("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/9", "gone", None) == "gone"


# -- describe, columns, diff -------------------------------------------------------------


def test_describe_gives_the_doc_the_leaf_fields_in_order_the_tags_and_a_readable_text() -> None:
    text = json.dumps({"type": "record", "name": "Order", "doc": "An order.", "fields": [
        {"name": "id", "type": "string", "tags": ["PII"]},
        {"name": "address", "type": {"type": "record", "name": "A", "fields": [{"name": "zip", "type": "int", "tags": ["x"]}]}},
        {"name": "again", "type": ["null", "A"]}]})
    described = AVRO.describe(text)
    assert described.doc == "An order."
    assert described.leaf_fields == ("id", "address.zip", "again.zip")
    assert dict(described.tags) == {"id": ("PII",), "address.zip": ("x",)}
    assert described.pretty == json.dumps(json.loads(text), indent=2)
    assert AVRO.describe("not json") == type(described)(None, (), {}, "not json")


def test_columns_are_the_paths_validate_flatten_makes() -> None:
    fields = AVRO.columns((ROOT / "schemas" / "orders-value.avsc").read_text())
    assert "shippingAddress.zip" in fields.values and "items" in fields.values
    assert "shippingAddress" not in fields.values, "a record that is never null is flattened away"
    schema = json.dumps({"type": "record", "name": "R", "fields": [
        {"name": "maybe", "type": ["null", {"type": "record", "name": "Inner", "fields": [{"name": "x", "type": "int"}]}]},
        {"name": "again", "type": "Inner"},
        {"name": "attrs", "type": {"type": "map", "values": "string"}},
        {"name": "tags", "type": {"type": "array", "items": "Inner"}},
        {"name": "self", "type": ["null", "R"], "default": None},
    ]})
    f = AVRO.columns(schema)
    assert {"maybe", "maybe.x", "again.x", "attrs", "tags", "self", "self.maybe.x"} <= f.values
    assert "again" not in f.values and "tags.x" not in f.values
    assert f.knows("attrs.colour") and not f.knows("again.y")
    assert AVRO.columns("not json").values == set()


def test_columns_resolve_named_types_of_referenced_schemas() -> None:
    order = json.dumps({"type": "record", "name": "Order", "namespace": "com.acme",
                        "fields": [{"name": "to", "type": "Address"}, {"name": "from", "type": "com.acme.Address"}]})
    assert {"to.zip", "from.zip"} <= AVRO.columns(order, {"address": ADDRESS}).values


def test_diff_names_each_change_field_by_field() -> None:
    assert AVRO.diff(OLD, NEW) == ["+ field amount: long (no default)", "- field note: string"]
    with pytest.raises(InvalidSchemaError):
        AVRO.diff(OLD, "{}")


# -- the wire format and DataHub ---------------------------------------------------------


def test_the_decoder_reads_one_value_body_and_stops_at_its_end() -> None:
    read = AVRO.decoder(AVRO.parse(OLD).canonical)
    body = io.BytesIO(b"\x04ab\x02c" + b"rest")
    assert read(body) == {"id": "ab", "note": "c"} and body.tell() == 5
    with pytest.raises(EOFError):
        read(io.BytesIO(b"\x04a"))
    with pytest.raises(Exception):
        AVRO.decoder('{"type": "record", "name": "R", "fields": [{"name": "x", "type": "Unknown"}]}')


def test_the_datahub_document_defines_each_referenced_type_where_it_is_first_used() -> None:
    order = record([{"name": "to", "type": "com.acme.Address"}, {"name": "from", "type": "com.acme.Address"}])
    fetch = Fetches(ADDRESS)
    document = json.loads(AVRO.datahub_document(order, [{"name": "com.acme.Address", "subject": "address", "version": 3}], fetch))
    assert fetch.asked == [("address", "3")]
    assert document["fields"][0]["type"] == json.loads(ADDRESS) and document["fields"][1]["type"] == "com.acme.Address"
    assert AVRO.datahub_document(OLD, [], fetch) == OLD


def test_datahub_fields_are_datahubs_own_reading_of_the_schema() -> None:
    fields = AVRO.datahub_fields(record([ID, {"name": "note", "type": "string", "tags": ["PII"]}]))
    assert [f.fieldPath.rsplit(".", 1)[-1] for f in fields] == ["id", "note"]
    assert fields[1].globalTags is not None and fields[1].globalTags.tags[0].tag == "urn:li:tag:PII"

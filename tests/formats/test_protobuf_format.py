"""The Protobuf format behind the seam (`format_for("PROTOBUF")`): what every capability asks of a
`.proto` schema, as test_avro_format.py asks it of Avro."""

from __future__ import annotations

import hashlib
import io

import pytest
from format_helpers import DIRECTIONS_AT_EACH_LEVEL, Fetches, line_of, modules_loaded

from governance.errors import InvalidSchemaError
from governance.formats import BACKWARD, FORWARD, SCHEMA_TYPES, Level, format_for, suffixes
from governance.protobuf import ProtobufDecodeError, encode_indexes

PROTO = format_for("PROTOBUF")

ADDRESS = 'syntax = "proto3";\npackage common;\n\nmessage Address {\n  string zip = 1;\n}\n'
REFS = {"common/address.proto": ADDRESS}
ORDER = """syntax = "proto3";
package shop;

import "google/protobuf/timestamp.proto";
import "common/address.proto";

// An order.
message Order {
  string id = 1;
  common.Address to = 2;
  google.protobuf.Timestamp at = 3;
  message Line {
    int32 quantity = 1;
  }
  repeated Line lines = 4;
  map<string, int32> attrs = 5;
  Line first = 6;
  oneof payment {
    string card = 7;
    string iban = 8;
  }
}
"""
OLD = 'syntax = "proto3";\npackage t;\n\nmessage Order {\n  string id = 1;\n  int32 amount = 2;\n}\n'
NEW = OLD.replace("int32 amount = 2;", "string amount = 2;")


# -- which format ---------------------------------------------------------------------


def test_protobuf_is_the_format_of_protobuf_and_of_proto_files() -> None:
    assert (PROTO.schema_type, PROTO.label, PROTO.suffixes) == ("PROTOBUF", "Protobuf", (".proto",))
    assert "PROTOBUF" in SCHEMA_TYPES and suffixes()[".proto"] == "PROTOBUF"


def test_the_seam_and_the_format_import_neither_protobuf_nor_protoc_until_a_schema_is_parsed() -> None:
    code = ("import governance.formats, governance.workspace; "
            "governance.formats.format_for('PROTOBUF').locator('message A { int32 x = 1; }').field_line('x')")
    assert modules_loaded(code, ("google", "grpc_tools", "grpc", "datahub")) == "[]"


# -- parse, canonical text, fingerprint ------------------------------------------------


def test_text_and_descriptor_of_one_file_are_one_schema_with_its_canonical_text_and_fingerprint() -> None:
    parsed = PROTO.parse(OLD)
    assert parsed.canonical == OLD, "a file already laid out canonically prints as itself"
    assert parsed.normalized == parsed.canonical
    assert parsed.fingerprint == hashlib.sha256(OLD.encode()).hexdigest()
    from_descriptor = PROTO.parse(parsed.serialized())
    assert (from_descriptor.canonical, from_descriptor.fingerprint) == (parsed.canonical, parsed.fingerprint)
    assert PROTO.parse(OLD.replace("\n  ", "\n      ") + "// the end\n").canonical == parsed.canonical


def test_the_serialized_form_is_the_base64_descriptor_and_other_forms_are_the_stored_text() -> None:
    parsed = PROTO.parse(OLD)
    assert PROTO.formatted(parsed, "serialized") == parsed.serialized()
    assert PROTO.formatted(parsed, "ignore_extensions") is None
    assert format_for("AVRO").formatted(format_for("AVRO").parse('"string"'), "serialized") is None


def test_parse_resolves_imports_by_path_and_the_well_known_types_without_them() -> None:
    parsed = PROTO.parse(ORDER, REFS)
    assert "  .common.Address to = 2;" in parsed.canonical and ".google.protobuf.Timestamp at = 3;" in parsed.canonical
    as_descriptor = {"common/address.proto": PROTO.parse(ADDRESS).serialized()}
    assert PROTO.parse(ORDER, as_descriptor).canonical == parsed.canonical


def test_a_malformed_file_is_an_invalid_schema_with_its_line_and_reason() -> None:
    with pytest.raises(InvalidSchemaError) as typo:
        PROTO.parse(ORDER.replace("string id = 1;", "strin id = 1;"), REFS)
    assert (typo.value.line, typo.value.column) == (line_of(ORDER, "string id"), 3)
    assert typo.value.message == f'schema.proto line {typo.value.line}: "strin" is not defined.'
    with pytest.raises(InvalidSchemaError) as missing:
        PROTO.parse(ORDER)
    assert missing.value.line == line_of(ORDER, "common/address.proto")
    assert "common/address.proto" in missing.value.message
    with pytest.raises(InvalidSchemaError) as in_import:
        PROTO.parse(ORDER, {"common/address.proto": ADDRESS.replace("string zip", "strng zip")})
    assert in_import.value.message.startswith("common/address.proto line 5: ") and in_import.value.line is None
    assert PROTO.locator(ORDER).error_position(in_import.value) == (line_of(ORDER, "common/address.proto"), 1)


# -- compatibility at the seven levels ---------------------------------------------------

CHANGED = ("t.Order.amount", "field `amount` (number 2) of message `t.Order` changed type from {a} to {b} "
                             "(the two types are not wire-compatible), so ")
BACK = CHANGED[1].format(a="int32", b="string") + "records written with version {v} cannot be read by the new schema"
FWD = CHANGED[1].format(a="int32", b="string") + ("records written with the new schema cannot be read by consumers "
                                                  "using version {v}")


@pytest.mark.parametrize("level, expected", DIRECTIONS_AT_EACH_LEVEL)
def test_compatibility_findings_carry_a_path_a_direction_and_a_sentence_at_each_level(
        level: Level, expected: list[tuple[str, int]]) -> None:
    old = PROTO.parse(OLD)
    found = PROTO.compatibility(PROTO.parse(NEW), [(1, old), (2, old)], level)
    sentence = {BACKWARD: BACK, FORWARD: FWD}
    assert [(f.field_path, f.direction, f.message, f.version) for f in found] == [
        ("t.Order.amount", direction, sentence[direction].format(v=version), version) for direction, version in expected]
    assert all(f.type == "FIELD_SCALAR_KIND_CHANGED" and f.location == "#/Order/2" and f.additional_info == ""
               for f in found)
    assert all(f.confluent_message().startswith('{errorType:"FIELD_SCALAR_KIND_CHANGED", description:"The kind of a '
                                                "SCALAR field at path '#/Order/2'") for f in found)


def test_a_compatible_change_and_a_first_version_have_no_findings() -> None:
    widened = PROTO.parse(OLD.replace("int32 amount = 2;", "int64 amount = 2;\n  string note = 3;"))
    assert PROTO.compatibility(widened, [(1, PROTO.parse(OLD))], Level.FULL_TRANSITIVE) == []
    assert PROTO.compatibility(widened, [], Level.FULL) == []


# -- where things are in a file ----------------------------------------------------------


def test_the_locator_finds_findings_paths_and_rule_columns() -> None:
    locator = PROTO.locator(ORDER)
    assert locator.field_line("shop.Order.Line.quantity") == line_of(ORDER, "int32 quantity")
    assert locator.field_line("shop.Order.card") == line_of(ORDER, "string card")
    assert locator.field_line("shop.Order.gone") == line_of(ORDER, "message Order")
    assert locator.field_line("first.quantity") == line_of(ORDER, "int32 quantity")
    assert locator.field_line("to.zip") == line_of(ORDER, "common.Address to"), "Address is in another file"
    assert locator.field_line("") == locator.field_line("nothing") == line_of(ORDER, "message Order")


def test_a_registry_findings_path_is_found_in_the_text_and_through_the_imports() -> None:
    locator, parsed = PROTO.locator(ORDER), PROTO.parse(ORDER, REFS)
    assert locator.finding_path("FIELD_KIND_CHANGED", "#/Order/Line/1", "", None) == "shop.Order.Line.quantity"
    assert locator.finding_path("ONEOF_FIELD_REMOVED", "#/Order/payment/8", "", parsed) == "shop.Order.iban"
    assert locator.finding_path("MESSAGE_REMOVED", "#/Order", "", None) == "shop.Order"
    assert locator.finding_path("FIELD_KIND_CHANGED", "#/Address/1", "", parsed) == "common.Address.zip"
    assert locator.finding_path("PACKAGE_CHANGED", "#/", "", parsed) == ""


# -- describe, columns, diff -------------------------------------------------------------


def test_describe_gives_the_first_messages_leaf_fields_with_their_types_and_the_proto_text() -> None:
    described = PROTO.describe(ORDER, REFS)
    assert dict(described.types) == {
        "id": "string", "to.zip": "string", "at": "google.protobuf.Timestamp", "lines": "repeated shop.Order.Line",
        "attrs": "map<string, int32>", "first.quantity": "int32", "card": "string", "iban": "string"}
    assert described.leaf_fields == tuple(described.types)
    assert described.pretty == PROTO.parse(ORDER, REFS).canonical and described.doc is None
    assert PROTO.describe("message {") == type(described)(None, (), {}, "message {")


def test_columns_are_the_decoded_records_paths() -> None:
    f = PROTO.columns(ORDER, REFS)
    assert f.values == {"id", "to", "to.zip", "at", "lines", "attrs", "first", "first.quantity", "card", "iban"}
    assert f.knows("attrs.colour") and not f.knows("first.price")
    assert PROTO.columns("not a proto").values == set()


def test_diff_names_each_change_with_message_field_and_number() -> None:
    assert PROTO.diff(OLD, NEW.replace("  string id = 1;\n", "")) == [
        "- field `id` (number 1) of message `t.Order` was removed",
        "~ field `amount` (number 2) of message `t.Order` changed type from int32 to string"]
    with pytest.raises(InvalidSchemaError):
        PROTO.diff(OLD, "message {")


# -- the wire format and DataHub ---------------------------------------------------------


def test_the_decoder_reads_the_message_the_index_list_names() -> None:
    from google.protobuf import message_factory

    parsed = PROTO.parse(ORDER, REFS)
    order = message_factory.GetMessageClass(parsed.pool.FindMessageTypeByName("shop.Order"))
    line = message_factory.GetMessageClass(parsed.pool.FindMessageTypeByName("shop.Order.Line"))
    read = PROTO.decoder(ORDER, REFS)
    record = read(io.BytesIO(encode_indexes([0]) + order(id="a", attrs={"k": 3}, card="x").SerializeToString()))
    assert record == {"id": "a", "to": None, "at": None, "lines": [], "attrs": {"k": 3}, "first": None,
                      "card": "x", "iban": None}
    assert read(io.BytesIO(encode_indexes([0, 0]) + line(quantity=5).SerializeToString())) == {"quantity": 5}
    with pytest.raises(ProtobufDecodeError) as wrong_index:
        read(io.BytesIO(encode_indexes([3])))
    assert wrong_index.value.kind == "index"
    with pytest.raises(ProtobufDecodeError) as bad_payload:
        read(io.BytesIO(b"\x00\xff\xff"))
    assert bad_payload.value.kind == "payload"
    with pytest.raises(InvalidSchemaError):
        PROTO.decoder(ORDER)


def test_the_datahub_document_is_the_proto_text_printed_from_a_stored_descriptor() -> None:
    fetch = Fetches(ADDRESS)
    references = [{"name": "common/address.proto", "subject": "address", "version": 2}]
    assert PROTO.datahub_document(ORDER, references, fetch) == ORDER and fetch.asked == []
    serialized = PROTO.parse(ORDER, REFS).serialized()
    assert PROTO.datahub_document(serialized, references, fetch) == PROTO.parse(ORDER, REFS).canonical
    assert fetch.asked == [("address", "2")]


def test_datahub_fields_are_datahubs_own_reading_with_v2_paths() -> None:
    paths = {f.fieldPath: f.nativeDataType for f in PROTO.datahub_fields(ORDER, REFS)}
    assert paths["[version=2.0].[type=shop_Order].[type=string].id"] == "string"
    assert paths["[version=2.0].[type=shop_Order].[type=common_Address].to.[type=string].zip"] == "string"
    assert paths["[version=2.0].[type=shop_Order].[type=google_protobuf_Timestamp].at"] == "google.protobuf.Timestamp"


def test_datahub_fields_of_each_version_are_its_own_in_one_process_and_a_recursive_message_has_none() -> None:
    """DataHub's public protobuf_schema_to_mce_fields would compile both versions into one descriptor pool."""
    first = {f.fieldPath for f in PROTO.datahub_fields(OLD)}
    second = {f.fieldPath for f in PROTO.datahub_fields(OLD.replace("int32 amount = 2;", "int32 amount = 2;\n  string note = 3;"))}
    assert second - first == {"[version=2.0].[type=t_Order].[type=string].note"}
    tree = 'syntax = "proto3";\npackage t;\n\nmessage Node {\n  string v = 1;\n  repeated Node kids = 2;\n}\n'
    assert PROTO.datahub_fields(tree) == [], "as DataHub: its walk of the message graph needs it acyclic"


def test_datahub_columns_name_the_field_of_each_rule_column_through_a_oneof_and_a_second_message() -> None:
    text = ORDER + "\nmessage Audit {\n  string id = 1;\n}\n"
    columns = PROTO.datahub_columns(text, PROTO.datahub_fields(text, REFS), REFS)
    assert columns["card"] == "[version=2.0].[type=shop_Order].Order.[type=union].payment.[type=string].card"
    assert columns["to.zip"] == "[version=2.0].[type=shop_Order].Order.[type=common_Address].to.[type=string].zip"
    assert columns["id"] == "[version=2.0].[type=shop_Order].Order.[type=string].id", "the first message's, not Audit's"
    assert PROTO.datahub_columns("message {", [], None) == {}


def test_describe_numbers_each_leaf_field_along_its_path() -> None:
    numbers = PROTO.describe(ORDER, REFS).numbers
    assert (numbers["id"], numbers["to.zip"], numbers["first.quantity"], numbers["iban"]) == ("1", "2.1", "6.1", "8")


def test_diff_also_names_a_type_change_confluent_does_not_record() -> None:
    widened = OLD.replace("int32 amount = 2;", "int64 amount = 2;")
    assert PROTO.diff(OLD, widened) == [
        "~ field `amount` (number 2) of message `t.Order` changed type from int32 to int64 (wire-compatible)"]
    assert PROTO.diff(OLD, OLD) == []

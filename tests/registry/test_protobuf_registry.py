"""`schemaType: PROTOBUF` through the REST API: `.proto` text and base64 descriptors as one schema,
`?format=serialized`, references by import path and the well-known types, normalize and lookup,
a malformed file, a subject changing type, and Confluent's verdicts for its difference kinds."""

from __future__ import annotations

import base64
import json
import urllib.request
from typing import Any

import pytest
from google.protobuf import descriptor_pb2
from registry_helpers import http

ADDRESS = 'syntax = "proto3";\npackage common;\n\nmessage Address {\n  string zip = 1;\n}\n'
ORDER = """syntax = "proto3";
package shop;

import "google/protobuf/timestamp.proto";
import "common/address.proto";

message Order {
  string id = 1;
  common.Address to = 2;
  google.protobuf.Timestamp at = 3;
}
"""
SIMPLE = 'syntax = "proto3";\npackage t;\n\nmessage Order {\n  string id = 1;\n  int32 amount = 2;\n}\n'


def proto(schema: str, references: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"schema": schema, "schemaType": "PROTOBUF", **({"references": references} if references else {})}


def raw(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def descriptor_of(text: str, references: dict[str, str] | None = None) -> str:
    from governance.formats import format_for

    return format_for("PROTOBUF").parse(text, references).serialized()


@pytest.fixture
def subject(unique_name: str) -> str:
    return unique_name + "-value"


def test_text_and_descriptor_of_one_file_are_one_schema_answered_as_text_or_serialized(
        registry_url: str, subject: str) -> None:
    status, body = http("POST", f"{registry_url}/subjects/{subject}/versions", proto(SIMPLE))
    assert status == 200
    schema_id = body["id"]
    assert http("GET", f"{registry_url}/schemas/ids/{schema_id}") == (200, {"schemaType": "PROTOBUF", "schema": SIMPLE})
    serialized = descriptor_of(SIMPLE)
    assert http("POST", f"{registry_url}/subjects/{subject}/versions", proto(serialized)) == (200, {"id": schema_id})
    assert http("GET", f"{registry_url}/subjects/{subject}/versions")[1] == [1]
    status, found = http("POST", f"{registry_url}/subjects/{subject}", proto(serialized))
    assert (status, found["id"], found["version"], found["schema"]) == (200, schema_id, 1, SIMPLE)

    status, by_id = http("GET", f"{registry_url}/schemas/ids/{schema_id}?format=serialized")
    fdp = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(by_id["schema"]))
    assert (fdp.package, [m.name for m in fdp.message_type], [f.name for f in fdp.message_type[0].field]) == (
        "t", ["Order"], ["id", "amount"])
    assert http("GET", f"{registry_url}/subjects/{subject}/versions/1?format=serialized")[1]["schema"] == by_id["schema"]
    assert http("POST", f"{registry_url}/subjects/{subject}?format=serialized", proto(SIMPLE))[1]["schema"] == by_id["schema"]
    assert raw(f"{registry_url}/schemas/ids/{schema_id}/schema").decode() == SIMPLE
    assert raw(f"{registry_url}/subjects/{subject}/versions/latest/schema?format=serialized").decode() == by_id["schema"]
    assert raw(f"{registry_url}/schemas/ids/{schema_id}/schema?format=serialized").decode() == by_id["schema"]


def test_normalize_and_layout_do_not_make_another_schema(registry_url: str, subject: str) -> None:
    relaid = SIMPLE.replace("\n  ", "\n        ").replace("string id", "// the key\n  string id")
    first = http("POST", f"{registry_url}/subjects/{subject}/versions?normalize=true", proto(relaid))[1]["id"]
    assert http("POST", f"{registry_url}/subjects/{subject}/versions", proto(SIMPLE)) == (200, {"id": first})
    assert http("POST", f"{registry_url}/subjects/{subject}?normalize=true", proto(relaid))[1]["version"] == 1
    assert http("GET", f"{registry_url}/schemas/ids/{first}")[1]["schema"] == SIMPLE


def test_references_by_import_path_and_the_well_known_types_unregistered(registry_url: str, subject: str) -> None:
    address = subject.replace("-value", "-address")
    assert http("POST", f"{registry_url}/subjects/{address}/versions", proto(ADDRESS))[0] == 200
    reference = [{"name": "common/address.proto", "subject": address, "version": 1}]
    status, body = http("POST", f"{registry_url}/subjects/{subject}/versions", proto(ORDER, reference))
    assert status == 200, body
    stored = http("GET", f"{registry_url}/schemas/ids/{body['id']}")[1]
    assert stored["references"] == reference and ".google.protobuf.Timestamp at = 3;" in stored["schema"]
    as_descriptor = proto(descriptor_of(ORDER, {"common/address.proto": ADDRESS}), reference)
    assert http("POST", f"{registry_url}/subjects/{subject}", as_descriptor)[1]["id"] == body["id"]
    assert http("GET", f"{registry_url}/subjects/{address}/versions/1/referencedby")[1] == [body["id"]]

    status, missing = http("POST", f"{registry_url}/subjects/{subject}/versions", proto(ORDER))
    assert (status, missing["error_code"]) == (422, 42201)
    assert "line 5" in missing["message"] and 'import "common/address.proto" was not found' in missing["message"]


@pytest.mark.parametrize("text, words", [
    (SIMPLE.replace("int32 amount", "int33 amount"), 'line 6: "int33" is not defined'),
    (SIMPLE.replace("string id = 1;", "string id = 1"), "line 6: expected \";\""),
    ("bm90IGEgZGVzY3JpcHRvcg==", "the base64 text does not decode to a serialized FileDescriptorProto"),
])
def test_a_malformed_proto_is_42201_with_the_line_and_the_reason(registry_url: str, subject: str, text: str,
                                                                  words: str) -> None:
    status, body = http("POST", f"{registry_url}/subjects/{subject}/versions", proto(text))
    assert (status, body["error_code"]) == (422, 42201)
    assert words in body["message"], body["message"]


def test_a_schema_of_another_type_is_incompatible_as_in_confluent_except_at_none(registry_url: str, subject: str) -> None:
    avro = {"schema": json.dumps({"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]})}
    assert http("POST", f"{registry_url}/subjects/{subject}/versions", avro)[0] == 200
    status, check = http("POST", f"{registry_url}/compatibility/subjects/{subject}/versions/latest?verbose=true",
                         proto(SIMPLE))
    assert status == 200 and check["is_compatible"] is False
    assert check["messages"][1:] == ["Incompatible because of different schema type",
                                     "{validateFields: 'false', compatibility: 'BACKWARD'}"]
    assert check["messages"][0].startswith("version 1 is Avro and this schema is Protobuf: ")
    status, refused = http("POST", f"{registry_url}/subjects/{subject}/versions", proto(SIMPLE))
    assert (status, refused["error_code"]) == (409, 409)
    assert "Incompatible because of different schema type" in refused["message"]
    assert http("PUT", f"{registry_url}/config/{subject}", {"compatibility": "NONE"})[0] == 200
    assert http("POST", f"{registry_url}/subjects/{subject}/versions", proto(SIMPLE))[0] == 200
    assert http("GET", f"{registry_url}/subjects/{subject}/versions/2")[1]["schemaType"] == "PROTOBUF"


# -- Confluent's verdicts through the API: each difference kind, both directions ----------------

def message(*fields: str, package: str = "t", extra: str = "", syntax: str = "proto3") -> str:
    body = "".join(f"  {f}\n" for f in fields)
    return f'syntax = "{syntax}";\npackage {package};\n\nmessage Order {{\n{body}}}\n{extra}'


OTHER = "\nmessage Other {\n  string x = 1;\n}\n"
STATUS = "\nenum Status {\n  NEW = 0;\n}\n"
STATUS_MORE = "\nenum Status {\n  NEW = 0;\n  PAID = 1;\n}\n"

# (change, old, new, BACKWARD compatible, FORWARD compatible, the errorType a failing direction names)
CASES = [
    ("FIELD_ADDED", message("string id = 1;"), message("string id = 1;", "int32 n = 2;"), True, True, None),
    ("FIELD_NAME_CHANGED", message("string id = 1;"), message("string key = 1;"), True, True, None),
    ("same scalar group", message("int32 n = 1;"), message("int64 n = 1;"), True, True, None),
    ("string <-> bytes", message("string s = 1;"), message("bytes s = 1;"), True, True, None),
    ("FIELD_SCALAR_KIND_CHANGED", message("int32 n = 1;"), message("string n = 1;"), False, False,
     "FIELD_SCALAR_KIND_CHANGED"),
    ("signed group", message("int32 n = 1;"), message("sint32 n = 1;"), False, False, "FIELD_SCALAR_KIND_CHANGED"),
    ("FIELD_KIND_CHANGED", message("string x = 1;", extra=OTHER), message("Other x = 1;", extra=OTHER), False, False,
     "FIELD_KIND_CHANGED"),
    ("FIELD_NAMED_TYPE_CHANGED", message("Other x = 1;", extra=OTHER + "\nmessage Third {\n  string x = 1;\n}\n"),
     message("Third x = 1;", extra=OTHER + "\nmessage Third {\n  string x = 1;\n}\n"), False, False,
     "FIELD_NAMED_TYPE_CHANGED"),
    ("MESSAGE_REMOVED", message("string id = 1;", extra=OTHER), message("string id = 1;"), False, True,
     "MESSAGE_REMOVED"),
    ("PACKAGE_CHANGED", message("string id = 1;"), message("string id = 1;", package="u"), False, False,
     "PACKAGE_CHANGED"),
    ("FIELD_NUMERIC_LABEL_CHANGED", message("int32 n = 1;"), message("repeated int32 n = 1;"), False, False,
     "FIELD_NUMERIC_LABEL_CHANGED"),
    ("FIELD_STRING_OR_BYTES_LABEL_CHANGED", message("string s = 1;"), message("repeated string s = 1;"), True, True,
     None),
    ("ENUM_CONST_ADDED", message("Status s = 1;", extra=STATUS), message("Status s = 1;", extra=STATUS_MORE), True,
     True, None),
    ("MULTIPLE_FIELDS_MOVED_TO_ONEOF", message("string a = 1;", "string b = 2;"),
     message("oneof pay {\n    string a = 1;\n    string b = 2;\n  }"), False, True, "MULTIPLE_FIELDS_MOVED_TO_ONEOF"),
    ("ONEOF_FIELD_REMOVED", message("oneof pay {\n    string a = 1;\n    string b = 2;\n  }"),
     message("oneof pay {\n    string a = 1;\n  }"), False, True, "ONEOF_FIELD_REMOVED"),
    ("REQUIRED_FIELD_ADDED", message("optional string a = 1;", syntax="proto2"),
     message("optional string a = 1;", "required string b = 2;", syntax="proto2"), False, False,
     "REQUIRED_FIELD_"),  # ADDED backward, REMOVED forward
]


def check(registry_url: str, subject: str, level: str, schema: str) -> dict[str, Any]:
    assert http("PUT", f"{registry_url}/config/{subject}", {"compatibility": level})[0] == 200
    status, body = http("POST", f"{registry_url}/compatibility/subjects/{subject}/versions/latest?verbose=true",
                        proto(schema))
    assert status == 200, body
    return body


@pytest.mark.parametrize("change, old, new, backward, forward, error_type", CASES, ids=[c[0] for c in CASES])
def test_confluents_verdict_for_each_difference_kind_both_directions(
        registry_url: str, subject: str, change: str, old: str, new: str, backward: bool, forward: bool,
        error_type: str | None) -> None:
    assert http("POST", f"{registry_url}/subjects/{subject}/versions", proto(old))[0] == 200
    for level, expected in (("BACKWARD", backward), ("FORWARD", forward)):
        body = check(registry_url, subject, level, new)
        assert body["is_compatible"] is expected, (level, body)
        if not expected:
            assert any(m.startswith(f'{{errorType:"{error_type}') for m in body["messages"]), body["messages"]
            assert "{oldSchemaVersion: 1}" in body["messages"]
            assert body["messages"][-1] == f"{{validateFields: 'false', compatibility: '{level}'}}"
            assert not body["messages"][0].startswith("{"), "our sentence comes first"


def test_a_transitive_level_checks_every_version_and_names_the_one_that_fails(registry_url: str, subject: str) -> None:
    v1 = message("string id = 1;", "int32 amount = 2;")
    v2 = message("string id = 1;")
    v3 = message("string id = 1;", "string amount = 2;")
    for schema in (v1, v2):
        assert http("POST", f"{registry_url}/subjects/{subject}/versions", proto(schema))[0] == 200
    assert check(registry_url, subject, "BACKWARD", v3)["is_compatible"] is True
    assert http("PUT", f"{registry_url}/config/{subject}", {"compatibility": "BACKWARD_TRANSITIVE"})[0] == 200
    status, body = http("POST", f"{registry_url}/compatibility/subjects/{subject}/versions?verbose=true", proto(v3))
    assert status == 200 and body["is_compatible"] is False
    assert body["messages"][0] == (
        "field `amount` (number 2) of message `t.Order` changed type from int32 to string (the two types are not "
        "wire-compatible), so records written with version 1 cannot be read by the new schema")
    assert body["messages"][1] == ('{errorType:"FIELD_SCALAR_KIND_CHANGED", description:"The kind of a SCALAR field at '
                                   "path '#/Order/2' in the new schema does not match its kind in the old schema\"}")
    assert body["messages"][2:4] == ["{oldSchemaVersion: 1}", f"{{oldSchema: '{v1}'}}"]
    status, refused = http("POST", f"{registry_url}/subjects/{subject}/versions", proto(v3))
    assert status == 409 and "changed type from int32 to string" in refused["message"]


@pytest.mark.parametrize("level, compatible", [
    ("BACKWARD", True), ("BACKWARD_TRANSITIVE", False), ("FORWARD", True), ("FORWARD_TRANSITIVE", False),
    ("FULL", True), ("FULL_TRANSITIVE", False), ("NONE", True),
])
def test_each_of_the_seven_levels_checks_the_versions_it_names(registry_url: str, subject: str, level: str,
                                                               compatible: bool) -> None:
    """v1 has `int32 amount = 2`, v2 dropped it, the candidate brings number 2 back as a string: only the
    transitive levels see v1."""
    for schema in (message("string id = 1;", "int32 amount = 2;"), message("string id = 1;")):
        assert http("POST", f"{registry_url}/subjects/{subject}/versions", proto(schema))[0] == 200
    assert http("PUT", f"{registry_url}/config/{subject}", {"compatibility": level})[0] == 200
    status, body = http("POST", f"{registry_url}/compatibility/subjects/{subject}/versions?verbose=true",
                        proto(message("string id = 1;", "string amount = 2;")))
    assert status == 200 and body["is_compatible"] is compatible, body
    if not compatible:
        assert "{oldSchemaVersion: 1}" in body["messages"]
        assert body["messages"][-1] == f"{{validateFields: 'false', compatibility: '{level}'}}"

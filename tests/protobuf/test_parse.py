"""Parsing `.proto` text and serialized descriptors into one ProtoSchema, and the errors a user sees."""

from __future__ import annotations

import base64

import pytest
from google.protobuf import descriptor_pb2

from governance.protobuf import InvalidProtoError, ProtoSchema, parse_schema, same_schema

ORDER = """syntax = "proto3";
package shop.v1;

import "google/protobuf/timestamp.proto";
import "common/money.proto";

message Order {
  string order_id = 1;
  common.Money total = 2;
  google.protobuf.Timestamp placed_at = 3;
}
"""
MONEY = """syntax = "proto3";
package common;

message Money {
  string currency = 1;
  int64 units = 2;
}
"""


def test_proto3_with_an_import_among_the_given_files_and_a_well_known_type() -> None:
    schema = parse_schema(ORDER, "shop/order.proto", {"common/money.proto": MONEY})
    assert isinstance(schema, ProtoSchema)
    assert (schema.name, schema.package, schema.syntax) == ("shop/order.proto", "shop.v1", "proto3")
    assert [f.name for f in schema.imports] == ["google/protobuf/timestamp.proto", "common/money.proto"]
    assert [f.name for f in schema.descriptor_set().file][-1] == "shop/order.proto"
    total = schema.pool.FindMessageTypeByName("shop.v1.Order").fields_by_name["total"]
    assert total.message_type.full_name == "common.Money"


def test_proto2_keeps_labels_defaults_groups_and_extensions() -> None:
    schema = parse_schema("""syntax = "proto2";
message Legacy {
  required int32 id = 1;
  optional string name = 2 [default = "none"];
  repeated group Item = 3 { optional int32 qty = 1; }
  extensions 100 to 199;
}
extend Legacy { optional bool flagged = 100; }
""", "legacy.proto")
    fields = {f.name: f for f in schema.file.message_type[0].field}
    assert fields["id"].label == descriptor_pb2.FieldDescriptorProto.LABEL_REQUIRED
    assert fields["name"].default_value == "none"
    assert fields["item"].type == descriptor_pb2.FieldDescriptorProto.TYPE_GROUP
    assert schema.file.extension[0].name == "flagged"


def test_no_syntax_statement_is_proto2() -> None:
    assert parse_schema("message A { optional int32 x = 1; }").syntax == "proto2"


@pytest.mark.parametrize("name", [
    "google/protobuf/any.proto", "google/protobuf/duration.proto", "google/protobuf/empty.proto",
    "google/protobuf/field_mask.proto", "google/protobuf/struct.proto", "google/protobuf/timestamp.proto",
    "google/protobuf/wrappers.proto", "google/protobuf/descriptor.proto",
])
def test_every_well_known_type_resolves_without_being_given(name: str) -> None:
    schema = parse_schema(f'syntax = "proto3";\nimport "{name}";\nmessage A {{ string x = 1; }}\n')
    assert name in [f.name for f in schema.imports]


def test_a_serialized_descriptor_is_the_same_schema_as_its_text() -> None:
    text = parse_schema(ORDER, "shop/order.proto", {"common/money.proto": MONEY})
    encoded = base64.b64encode(text.file.SerializeToString()).decode()
    money = base64.b64encode(text.imports[1].SerializeToString()).decode()
    as_descriptor = parse_schema(encoded, imports={"common/money.proto": money})
    assert same_schema(text, as_descriptor)
    assert as_descriptor.fingerprint == text.fingerprint
    assert as_descriptor.text is None and text.text == ORDER
    # and a descriptor import under a text schema works too
    mixed = parse_schema(ORDER, "shop/order.proto", {"common/money.proto": money})
    assert mixed.fingerprint == text.fingerprint


def test_serialized_answers_the_base64_descriptor_back() -> None:
    schema = parse_schema(MONEY, "common/money.proto")
    again = parse_schema(schema.serialized())
    assert same_schema(schema, again) and again.name == "common/money.proto"


def test_a_descriptor_without_a_name_takes_the_given_one() -> None:
    fdp = descriptor_pb2.FileDescriptorProto()
    fdp.CopyFrom(parse_schema(MONEY).file)
    fdp.ClearField("name")
    schema = parse_schema(base64.b64encode(fdp.SerializeToString()).decode(), "money.proto")
    assert schema.name == "money.proto"


def test_parsing_is_cached() -> None:
    assert parse_schema(MONEY, "m.proto") is parse_schema(MONEY, "m.proto")


@pytest.mark.parametrize(("text", "line", "reason"), [
    ('syntax = "proto3";\nmessage A {\n  string x = 1\n  int32 y = 2;\n}\n', 4, 'expected ";".'),
    ('syntax = "proto3";\nmessage A {\n  Missing m = 1;\n}\n', 3, '"Missing" is not defined.'),
    ('syntax = "proto3";\nmessage A {\n  string x = 1;\n  int32 y = 1;\n}\n', 4, 'field number 1 has already been used'),
    ('syntax = "proto4";\n', 1, 'unrecognized syntax identifier "proto4"'),
])
def test_a_malformed_file_names_its_line_and_the_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(InvalidProtoError) as caught:
        parse_schema(text, "bad.proto")
    error = caught.value
    assert (error.file, error.line) == ("bad.proto", line)
    assert reason in error.reason and str(error).startswith(f"bad.proto line {line}: ")
    assert error.reason.endswith(".")


def test_a_missing_import_is_named_at_its_import_line() -> None:
    with pytest.raises(InvalidProtoError) as caught:
        parse_schema('syntax = "proto3";\nimport "nowhere/x.proto";\nmessage A { string a = 1; }\n', "a.proto")
    assert caught.value.file == "a.proto" and caught.value.line == 2
    assert 'import "nowhere/x.proto" was not found' in caught.value.reason


def test_an_error_in_an_imported_file_names_that_file() -> None:
    with pytest.raises(InvalidProtoError) as caught:
        parse_schema(ORDER, "shop/order.proto", {"common/money.proto": "syntax = \"proto3\";\nmessage Money {\n  x y = 1;\n}\n"})
    assert caught.value.file == "common/money.proto" and caught.value.line == 3


@pytest.mark.parametrize("path", ["/etc/passwd", "../secret.proto", "a/../../b.proto", "./x.proto", "c:\\x.proto"])
def test_imports_cannot_reach_the_filesystem(path: str) -> None:
    with pytest.raises(InvalidProtoError):
        parse_schema(f'syntax = "proto3";\nimport "{path}";\nmessage A {{ string a = 1; }}\n')
    with pytest.raises(InvalidProtoError, match="not a usable .proto file name"):
        parse_schema('syntax = "proto3";\nmessage A { string a = 1; }\n', "a.proto", {path: MONEY})


def test_an_existing_file_outside_the_given_ones_does_not_resolve() -> None:
    with pytest.raises(InvalidProtoError, match="was not found"):
        parse_schema('syntax = "proto3";\nimport "grpc_tools/_proto/google/protobuf/any.proto";\nmessage A { string a = 1; }\n')


def test_the_well_known_types_cannot_be_shadowed() -> None:
    fake = 'syntax = "proto3";\npackage google.protobuf;\nmessage Timestamp { string text = 1; }\n'
    schema = parse_schema(ORDER, "o.proto", {"common/money.proto": MONEY, "google/protobuf/timestamp.proto": fake})
    ts = schema.pool.FindMessageTypeByName("google.protobuf.Timestamp")
    assert [f.name for f in ts.fields] == ["seconds", "nanos"]


@pytest.mark.parametrize(("schema", "reason"), [
    ("bm90IGEgZGVzY3JpcHRvcg==", "does not decode to a serialized FileDescriptorProto"),
    ("////", "does not decode"),
])
def test_base64_that_is_not_a_descriptor(schema: str, reason: str) -> None:
    with pytest.raises(InvalidProtoError, match=reason):
        parse_schema(schema)


def test_a_descriptor_with_an_unresolved_import_or_type() -> None:
    order = parse_schema(ORDER, "shop/order.proto", {"common/money.proto": MONEY})
    with pytest.raises(InvalidProtoError, match='import "common/money.proto" was not found'):
        parse_schema(order.serialized())
    fdp = descriptor_pb2.FileDescriptorProto(name="x.proto", syntax="proto3")
    msg = fdp.message_type.add(name="A")
    msg.field.add(name="b", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE,
                  label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL, type_name=".Nowhere")
    with pytest.raises(InvalidProtoError, match="the descriptor is not valid"):
        parse_schema(base64.b64encode(fdp.SerializeToString()).decode())


def test_descriptors_importing_each_other_are_an_error_not_a_recursion() -> None:
    a = descriptor_pb2.FileDescriptorProto(name="a.proto", syntax="proto3", dependency=["b.proto"])
    b = descriptor_pb2.FileDescriptorProto(name="b.proto", syntax="proto3", dependency=["a.proto"])
    encode = lambda fdp: base64.b64encode(fdp.SerializeToString()).decode()  # noqa: E731
    with pytest.raises(InvalidProtoError, match="was not found"):
        parse_schema(encode(a), imports={"a.proto": encode(a), "b.proto": encode(b)})


def test_parsing_from_several_threads_at_once() -> None:
    """The registry parses on worker threads; protoc in process keeps each compilation to itself."""
    import threading

    from governance.protobuf.schema import _parse

    failures: list[str] = []

    def work(i: int) -> None:
        for j in range(15):
            try:
                assert f"M{i}x{j}" in _parse.__wrapped__(f'syntax = "proto3";\nmessage M{i}x{j} {{ string a = 1; }}\n',
                                                         "t.proto", ()).canonical
                _parse.__wrapped__('syntax = "proto3";\nmessage A { B b = 1; }\n', "bad.proto", ())
                failures.append("no error")
            except InvalidProtoError as error:
                if error.line != 2:
                    failures.append(str(error))
            except AssertionError as error:
                failures.append(repr(error))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []

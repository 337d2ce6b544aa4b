"""Canonical text printed from descriptors: text -> descriptor -> text -> descriptor round-trips, and identity."""

from __future__ import annotations

import base64

import pytest
from google.protobuf import descriptor_pb2

from governance.protobuf import parse_schema, same_schema

CORPUS = {
    "proto3 with everything": """syntax = "proto3";
package shop.v1;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
option java_package = "com.shop.v1";
option java_multiple_files = true;
option optimize_for = SPEED;

// An order.
message Order {
  enum Status {
    option allow_alias = true;
    UNKNOWN = 0;
    PAID = 1;
    SETTLED = 1;
    SHIPPED = 2 [deprecated = true];
    reserved 10 to 20, 30 to max;
    reserved "LOST";
  }
  string order_id = 1;
  Address shipping_address = 2;
  map<string, int32> counts = 3;
  message Address {
    string zip = 1;
    repeated string lines = 2;
  }
  oneof payment {
    string card = 4;
    bytes token = 5 [deprecated = true];
  }
  optional int64 amount_cents = 6 [json_name = "amount"];
  google.protobuf.Timestamp placed_at = 7;
  map<string, Address> addresses = 8;
  repeated double weights = 9 [packed = false];
  google.protobuf.StringValue note = 10;
  Status status = 11;
  message Line { sint64 qty = 1; fixed32 sku = 2; sfixed64 price = 3; float f = 4; uint32 u = 5; uint64 v = 6; bool b = 7; }
  repeated Line items = 12;
  reserved 100, 200 to 299;
  reserved "legacy", "old_field";
}

enum Top { TOP_UNSPECIFIED = 0; TOP_ONE = 1; }

service Orders {
  rpc Place(Order) returns (Order);
  rpc Watch(stream Order) returns (stream Order) { option deprecated = true; }
}
""",
    "proto2 with groups, defaults and extensions": r"""syntax = "proto2";
package legacy;
message Legacy {
  required int32 id = 1 [default = 7];
  optional string name = 2 [default = "a \"quoted\" name\n"];
  optional bytes raw = 3 [default = "\001\377"];
  optional double ratio = 4 [default = inf];
  optional Kind kind = 5 [default = KIND_B];
  enum Kind { KIND_A = 1; KIND_B = 2; }
  repeated group Item = 6 { required int32 qty = 1; optional string sku = 2; }
  extensions 100 to 199, 500 to max;
  message Inner { extend Legacy { optional int32 inner_ext = 101; } }
}
extend Legacy { optional bool flagged = 100; repeated string labels = 102; }
""",
    "no package, nested maps before and after messages": """syntax = "proto3";
message A {
  message B { map<int64, B> children = 1; }
  map<string, string> first = 1;
  message C { string c = 1; }
  map<bool, C> second = 2;
  B b = 3;
}
""",
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_text_descriptor_text_descriptor_round_trips(name: str) -> None:
    first = parse_schema(CORPUS[name], "corpus.proto")
    printed = first.canonical
    second = parse_schema(printed, "corpus.proto")
    assert same_schema(first, second), printed
    assert second.canonical == printed
    third = parse_schema(second.serialized())
    assert same_schema(first, third) and third.canonical == printed


def test_nested_type_order_survives_so_message_indexes_do() -> None:
    schema = parse_schema(parse_schema(CORPUS["no package, nested maps before and after messages"]).canonical)
    assert [n.name for n in schema.file.message_type[0].nested_type] == ["B", "FirstEntry", "C", "SecondEntry"]


def test_comments_whitespace_and_qualification_do_not_change_identity() -> None:
    a = parse_schema('syntax = "proto3";\npackage p;\nmessage A { B b = 1; message B { string x = 1; } }\n')
    b = parse_schema('syntax="proto3"; package p;\n// comment\nmessage A {\n  .p.A.B b = 1;  /* here */\n'
                     '  message B {\n    string x = 1;\n  }\n}\n')
    assert a.fingerprint == b.fingerprint and a.canonical == b.canonical


def test_meaningful_changes_change_identity() -> None:
    base = parse_schema('syntax = "proto3";\nmessage A { string x = 1; }\n')
    for other in ('syntax = "proto3";\nmessage A { string y = 1; }\n',
                  'syntax = "proto3";\nmessage A { string x = 2; }\n',
                  'syntax = "proto3";\nmessage A { bytes x = 1; }\n',
                  'syntax = "proto3";\nmessage A { optional string x = 1; }\n',
                  'syntax = "proto3";\npackage q;\nmessage A { string x = 1; }\n'):
        assert parse_schema(other).fingerprint != base.fingerprint, other


def test_default_json_names_do_not_matter_but_custom_ones_do() -> None:
    """protoc's descriptor sets carry json_name, generated Python modules do not; both are one schema."""
    plain = parse_schema('syntax = "proto3";\nmessage A { string order_id = 1; }\n')
    with_default = descriptor_pb2.FileDescriptorProto()
    with_default.CopyFrom(plain.file)
    with_default.message_type[0].field[0].json_name = "orderId"
    again = parse_schema(base64.b64encode(with_default.SerializeToString()).decode())
    assert again.fingerprint == plain.fingerprint
    custom = parse_schema('syntax = "proto3";\nmessage A { string order_id = 1 [json_name = "id"]; }\n')
    assert custom.fingerprint != plain.fingerprint and 'json_name = "id"' in custom.canonical


def test_the_canonical_text_of_a_small_schema() -> None:
    schema = parse_schema('syntax="proto3";package p;import "google/protobuf/timestamp.proto";'
                          'message A{oneof o{string s=1;int32 i=2;}google.protobuf.Timestamp t=3;optional bool f=4;}')
    assert schema.canonical == """syntax = "proto3";
package p;

import "google/protobuf/timestamp.proto";

message A {
  oneof o {
    string s = 1;
    int32 i = 2;
  }
  .google.protobuf.Timestamp t = 3;
  optional bool f = 4;
}
"""

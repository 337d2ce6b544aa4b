"""Field paths for rules and the lines of fields for the gate's file:line findings."""

from __future__ import annotations

from governance.protobuf import default_message, field_at, field_paths, line_of, messages, parse_schema

ORDER = """syntax = "proto3";
package shop.v1;

import "google/protobuf/timestamp.proto";

// An order.
message Order {
  string order_id = 1;
  Address shippingAddress = 2;
  message Address {
    string zip = 1;
    Geo geo = 2;
    message Geo { double lat = 1; double lon = 2; }
  }
  repeated Address others = 3;
  map<string, int32> counts = 4;
  google.protobuf.Timestamp placed_at = 5;
  Order parent = 6;
  oneof payment {
    string card = 7;
  }
}

message Refund { string order_id = 1; }
"""


def test_messages_and_the_default_one() -> None:
    schema = parse_schema(ORDER, "order.proto")
    assert messages(schema) == ["shop.v1.Order", "shop.v1.Order.Address", "shop.v1.Order.Address.Geo", "shop.v1.Refund"]
    assert default_message(schema) == "shop.v1.Order"


def test_dotted_paths_walk_singular_messages_and_stop_at_leaves() -> None:
    schema = parse_schema(ORDER, "order.proto")
    assert field_paths(schema) == [
        "order_id", "shippingAddress.zip", "shippingAddress.geo.lat", "shippingAddress.geo.lon", "others", "counts",
        "placed_at", "parent", "card"]
    assert field_paths(schema, "shop.v1.Refund") == ["order_id"]


def test_the_line_of_a_field_and_of_a_message() -> None:
    schema = parse_schema(ORDER, "order.proto")
    assert field_at(schema, "shippingAddress.zip") == ("shop.v1.Order.Address", 1)
    assert line_of(schema, *field_at(schema, "shippingAddress.zip")) == 11
    assert line_of(schema, "shop.v1.Order", 7) == 20
    assert line_of(schema, "shop.v1.Order") == 7
    assert line_of(schema, "shop.v1.Refund", 1) == 24
    assert field_at(schema, "shippingAddress.nope") is None and field_at(schema, "order_id.x") is None
    assert line_of(schema, "shop.v1.Order", 99) is None


def test_a_schema_given_as_a_descriptor_has_the_lines_of_its_canonical_text() -> None:
    schema = parse_schema(parse_schema(ORDER, "order.proto").serialized())
    line = line_of(schema, "shop.v1.Order", 6)
    assert line is not None and schema.canonical.splitlines()[line - 1].strip() == ".shop.v1.Order parent = 6;"


def test_an_unknown_message_is_named_with_the_files_messages() -> None:
    import pytest

    schema = parse_schema(ORDER, "order.proto")
    with pytest.raises(ValueError, match=r"order.proto has no message 'shop.v1.Ordr': it has shop.v1.Order, .*did you mean"):
        field_paths(schema, "shop.v1.Ordr")


def test_asking_for_lines_prints_nothing(capfd) -> None:  # type: ignore[no-untyped-def]
    """protoc warns about an unused import on standard error; the gate's output must not carry it."""
    schema = parse_schema('syntax = "proto3";\nimport "google/protobuf/empty.proto";\nmessage A {\n  string a = 1;\n}\n',
                          "unused.proto")
    assert line_of(schema, "A", 1) == 4
    assert capfd.readouterr() == ("", "")

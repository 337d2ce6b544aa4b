"""Decoding Confluent's Protobuf wire format: bytes from confluent-kafka's own ProtobufSerializer, and poison.

confluent-kafka's serializer needs a registry to register with; here it is
confluent-kafka's in-memory `mock://` client (its own, not ours), which is
what lets these bytes be produced without a running registry. The registry's
tests will do the same against our server.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import message_factory
from hypothesis import given
from hypothesis import strategies as st

from governance.protobuf import Decoder, ProtobufDecodeError, encode_indexes, parse_schema, read_indexes

SHIPMENT = """syntax = "proto3";
package logistics.v1;

import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/wrappers.proto";

message Shipment {
  enum Status { STATUS_UNSPECIFIED = 0; PACKED = 1; SHIPPED = 2; }
  string shipment_id = 1;
  Address destination = 2;
  map<string, int32> item_counts = 3;
  message Address { string zip = 1; repeated string lines = 2; }
  oneof carrier { string courier = 4; int64 truck_id = 5; }
  optional double weight_kg = 6;
  google.protobuf.Timestamp shipped_at = 7;
  google.protobuf.Duration transit = 8;
  google.protobuf.Int32Value priority = 9;
  Status status = 10;
  repeated Status history = 11;
  bytes label = 12;
  int64 count = 13;
}

message Return { string shipment_id = 1; string reason = 2; }
"""


@pytest.fixture(scope="module")
def schema():  # type: ignore[no-untyped-def]
    return parse_schema(SHIPMENT, "logistics/shipment.proto")


def _class(schema, name: str):  # type: ignore[no-untyped-def]
    return message_factory.GetMessageClass(schema.pool.FindMessageTypeByName(name))


def test_records_from_confluent_kafkas_serializer_decode_to_plain_dicts(schema) -> None:  # type: ignore[no-untyped-def]
    client = SchemaRegistryClient.new_client({"url": "mock://"})
    shipment_cls = _class(schema, "logistics.v1.Shipment")
    record = shipment_cls(shipment_id="s-1", courier="dhl", status=2, history=[1, 2, 7], label=b"\x00\x01", count=1 << 40)
    record.destination.zip = "75001"
    record.destination.lines.append("1 rue de Rivoli")
    record.item_counts["sku-1"] = 3
    record.shipped_at.FromDatetime(datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc))
    record.transit.FromTimedelta(timedelta(hours=30))
    record.priority.value = 5
    ctx = SerializationContext("shipments", MessageField.VALUE)
    data = ProtobufSerializer(shipment_cls, client, {"auto.register.schemas": True})(record, ctx)
    assert data[0] == 0 and data[5] == 0  # magic byte, then the [0] index list as one byte

    registered = client.get_schema(int.from_bytes(data[1:5], "big"))
    as_registered = parse_schema(registered.schema_str)  # confluent-kafka registers the base64 descriptor
    assert as_registered.fingerprint == schema.fingerprint

    name, value = Decoder(as_registered).decode(data[5:])
    assert name == "logistics.v1.Shipment"
    assert value == {
        "shipment_id": "s-1",
        "destination": {"zip": "75001", "lines": ["1 rue de Rivoli"]},
        "item_counts": {"sku-1": 3},
        "courier": "dhl", "truck_id": None,
        "weight_kg": None,
        "shipped_at": datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc),
        "transit": timedelta(hours=30),
        "priority": 5,
        "status": "SHIPPED",
        "history": ["PACKED", "SHIPPED", 7],
        "label": b"\x00\x01",
        "count": 1 << 40,
    }


def test_nested_and_second_top_level_messages_are_chosen_by_the_index_list(schema) -> None:  # type: ignore[no-untyped-def]
    client = SchemaRegistryClient.new_client({"url": "mock://"})
    ctx = SerializationContext("shipments", MessageField.VALUE)
    address_cls = _class(schema, "logistics.v1.Shipment.Address")
    data = ProtobufSerializer(address_cls, client, {"auto.register.schemas": True})(address_cls(zip="1"), ctx)
    assert read_indexes(data[5:])[0] == (0, 1)  # nested types count the map entry, as confluent-kafka does
    assert Decoder(schema).decode(data[5:]) == ("logistics.v1.Shipment.Address", {"zip": "1", "lines": []})
    return_cls = _class(schema, "logistics.v1.Return")
    data = ProtobufSerializer(return_cls, client, {"auto.register.schemas": True})(return_cls(reason="late"), ctx)
    assert Decoder(schema).decode(data[5:]) == ("logistics.v1.Return", {"shipment_id": "", "reason": "late"})


def test_proto3_scalars_without_presence_carry_defaults_and_optional_ones_none(schema) -> None:  # type: ignore[no-untyped-def]
    _, value = Decoder(schema).decode(b"\x00")
    assert value["shipment_id"] == "" and value["count"] == 0 and value["status"] == "STATUS_UNSPECIFIED"
    assert value["weight_kg"] is None and value["destination"] is None and value["shipped_at"] is None
    assert value["priority"] is None and value["courier"] is None


@pytest.mark.parametrize(("body", "kind", "reason"), [
    (b"", "index", "ends inside the message index list"),
    (b"\x04\x00", "index", "ends inside the message index list"),
    (b"\x02\x06", "index", "names no message of logistics/shipment.proto: there are 2 messages at the top level"),
    (b"\x04\x00\x08", "index", "nested in logistics.v1.Shipment"),
    (b"\x03", "index", "claims -2 entries"),
    (b"\xff" * 11, "index", "not a valid varint"),
    (b"\x00\x0a\xff", "payload", "is not a valid logistics.v1.Shipment"),
    (b"\x00\x0a\x05ab", "payload", "is not a valid"),
])
def test_poison_is_told_by_stage(schema, body: bytes, kind: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProtobufDecodeError) as caught:
        Decoder(schema).decode(body)
    assert caught.value.kind == kind and reason in caught.value.reason


@given(st.lists(st.integers(0, 1 << 20), min_size=1, max_size=8), st.binary(max_size=8))
def test_index_lists_round_trip(indexes: list[int], payload: bytes) -> None:
    body = encode_indexes(indexes) + payload
    assert read_indexes(body) == (tuple(indexes), len(body) - len(payload))
    assert encode_indexes([0]) == b"\x00"

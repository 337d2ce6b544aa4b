"""The registry as confluent-kafka's own ProtobufSerializer and ProtobufDeserializer see it, records
going through a real broker: top-level and nested messages, an import registered as another subject,
a well-known type, auto-registration and `use.latest.version`.

Message classes are built from descriptors (no generated code), each test with files and packages of
its own so that the session's registry holds no other test's versions of them.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import message_factory
from registry_helpers import http, round_trip

from governance.formats import format_for
from governance.kafka import KafkaSettings
from governance.protobuf import parse_schema

PROTOBUF = format_for("PROTOBUF")


@pytest.fixture
def files(unique_name: str) -> dict[str, str]:
    """An address file and an order file importing it and Timestamp, under a package of the test's own."""
    package = "t" + unique_name.rsplit("-", 1)[-1]
    address = f'syntax = "proto3";\npackage {package}.common;\n\nmessage Address {{\n  string zip = 1;\n}}\n'
    order = f"""syntax = "proto3";
package {package}.shop;

import "google/protobuf/timestamp.proto";
import "{package}/address.proto";

message Order {{
  string id = 1;
  {package}.common.Address to = 2;
  google.protobuf.Timestamp placed_at = 3;
  message Line {{
    string sku = 1;
    int32 quantity = 2;
  }}
  repeated Line lines = 4;
}}
"""
    return {f"{package}/address.proto": address, f"{package}/order.proto": order, "package": package}


def classes(files: dict[str, str]) -> tuple[Any, Any]:
    """The Order and Order.Line message classes, from the files compiled by our own core."""
    package = files["package"]
    schema = parse_schema(files[f"{package}/order.proto"], f"{package}/order.proto",
                          {f"{package}/address.proto": files[f"{package}/address.proto"]})
    order = message_factory.GetMessageClass(schema.pool.FindMessageTypeByName(f"{package}.shop.Order"))
    return order, order.Line


def test_top_level_messages_with_a_reference_and_a_timestamp_auto_registered(
        kafka: KafkaSettings, registry_url: str, client: SchemaRegistryClient, files: dict[str, str],
        unique_name: str) -> None:
    order, line = classes(files)
    package = files["package"]
    placed = datetime(2026, 12, 5, 11, 30, tzinfo=timezone.utc)
    sent = []
    for i in range(5):
        value = order(id=f"o{i}", to={"zip": f"{i:05d}"}, lines=[line(sku="a", quantity=i)])
        value.placed_at.FromDatetime(placed)
        sent.append(value)
    serializer = ProtobufSerializer(order, client)
    received, raw = round_trip(kafka, unique_name, serializer, ProtobufDeserializer(order), sent)
    assert received == sent

    latest = http("GET", f"{registry_url}/subjects/{unique_name}-value/versions/latest")[1]
    assert latest["schemaType"] == "PROTOBUF"
    assert latest["references"] == [{"name": f"{package}/address.proto", "subject": f"{package}/address.proto",
                                     "version": 1}], "the well-known Timestamp is no reference"
    assert ".google.protobuf.Timestamp placed_at = 3;" in latest["schema"]
    address = http("GET", f"{registry_url}/subjects/{package}%2Faddress.proto/versions/1")[1]
    assert address["schema"] == files[f"{package}/address.proto"]

    references = {f"{package}/address.proto": address["schema"]}
    read = PROTOBUF.decoder(latest["schema"], references)
    assert raw[1][0] == 0 and int.from_bytes(raw[1][1:5], "big") == latest["id"] and raw[1][5] == 0
    assert read(io.BytesIO(raw[1][5:])) == {"id": "o1", "to": {"zip": "00001"}, "placed_at": placed,
                                            "lines": [{"sku": "a", "quantity": 1}]}


def test_a_nested_message_is_named_by_its_index_list(
        kafka: KafkaSettings, registry_url: str, client: SchemaRegistryClient, files: dict[str, str],
        unique_name: str) -> None:
    _, line = classes(files)
    sent = [line(sku=f"s{i}", quantity=i) for i in range(3)]
    received, raw = round_trip(kafka, unique_name, ProtobufSerializer(line, client), ProtobufDeserializer(line), sent)
    assert received == sent
    assert raw[0][5:8] == b"\x04\x00\x00", "index list [0, 0]: a count of 2, then Order, then its first nested type"
    schema = http("GET", f"{registry_url}/subjects/{unique_name}-value/versions/latest")[1]
    address = http("GET", f"{registry_url}/subjects/{files['package']}%2Faddress.proto/versions/1")[1]["schema"]
    read = PROTOBUF.decoder(schema["schema"], {f"{files['package']}/address.proto": address})
    assert read(io.BytesIO(raw[2][5:])) == {"sku": "s2", "quantity": 2}


def test_use_latest_version_serializes_with_the_registered_schema(
        kafka: KafkaSettings, client: SchemaRegistryClient, files: dict[str, str], unique_name: str) -> None:
    order, line = classes(files)
    ProtobufSerializer(order, client)(order(id="first"), SerializationContext(unique_name, MessageField.VALUE))
    latest = ProtobufSerializer(order, client, {"auto.register.schemas": False, "use.latest.version": True})
    deserializer = ProtobufDeserializer(order, {"use.latest.version": True}, client)
    sent = [order(id="x", lines=[line(sku="b", quantity=2)])]
    received, _ = round_trip(kafka, unique_name, latest, deserializer, sent)
    assert received == sent
    assert client.get_versions(f"{unique_name}-value") == [1]

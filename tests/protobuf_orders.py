"""Protobuf orders for sentinel tests: the Avro orders of `sentinel_helpers` (same fields, same
rule breakers) as Protobuf messages, written with confluent-kafka's own ProtobufSerializer.

The address is a file of its own, imported by the order file: the serializer registers it as a
reference (another subject). Message classes are built from our compiled descriptors (no generated
code); each test gets a package of its own, so the session's registry holds no other test's files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import message_factory
from sentinel_helpers import order, produce_indexed

from governance.kafka import KafkaSettings
from governance.protobuf import encode_indexes, parse_schema

ADDRESS = """syntax = "proto3";
package {package}.common;

message Address {{
  string street = 1;
  string city = 2;
  string zip = 3;
  string country = 4;
}}
"""

ORDER = """syntax = "proto3";
package {package}.shop;

import "{package}/address.proto";

// An order placed in the shop: the fields of orders-value.avsc, named as there.
message Order {{
  string orderId = 1;
  string customerId = 2;
  int64 orderedAt = 3;
  message Item {{
    string sku = 1;
    int32 quantity = 2;
    int64 unitPriceCents = 3;
  }}
  repeated Item items = 4;
  int64 totalCents = 5;
  {package}.common.Address shippingAddress = 6;
  optional string couponCode = 7;
}}

message Refund {{
  string orderId = 1;
  int64 amountCents = 2;
}}
"""


@dataclass(frozen=True)
class OrderFiles:
    package: str
    address: str
    order: str

    @property
    def address_path(self) -> str:
        return f"{self.package}/address.proto"

    @property
    def order_path(self) -> str:
        return f"{self.package}/order.proto"

    def classes(self) -> tuple[Any, Any]:
        """The Order and Refund message classes, from the files compiled by our own core."""
        schema = parse_schema(self.order, self.order_path, {self.address_path: self.address})
        find = schema.pool.FindMessageTypeByName
        return (message_factory.GetMessageClass(find(f"{self.package}.shop.Order")),
                message_factory.GetMessageClass(find(f"{self.package}.shop.Refund")))


def order_files(package: str) -> OrderFiles:
    return OrderFiles(package, ADDRESS.format(package=package), ORDER.format(package=package))


def order_message(cls: Any, i: int) -> Any:
    """Order i of `sentinel_helpers.order` as a Protobuf message (a null coupon is an absent one)."""
    fields = order(i)
    if fields["couponCode"] is None:
        del fields["couponCode"]
    return cls(**fields)


def produce_orders(kafka: KafkaSettings, registry_url: str, topic: str, files: OrderFiles, indices: Iterable[int],
                   poison: dict[int, bytes | None] | None = None) -> None:
    """Orders through confluent-kafka's ProtobufSerializer (key `k<i>`, header seq=i); indices in
    `poison` get that raw value instead."""
    cls, _ = files.classes()
    serializer = ProtobufSerializer(cls, SchemaRegistryClient({"url": registry_url}))
    context = SerializationContext(topic, MessageField.VALUE)
    bad = poison or {}
    produce_indexed(kafka, topic, indices, lambda i: bad[i] if i in bad else serializer(order_message(cls, i), context))


OTHER = """syntax = "proto3";
package {package}.other;

message Other {{
  int64 x = 1;
}}
"""


def other_value(registry_url: str, package: str, topic: str) -> bytes:
    """A record of another subject (`<topic>-value`), through confluent-kafka's ProtobufSerializer."""
    schema = parse_schema(OTHER.format(package=package), f"{package}/other.proto")
    cls = message_factory.GetMessageClass(schema.pool.FindMessageTypeByName(f"{package}.other.Other"))
    serializer = ProtobufSerializer(cls, SchemaRegistryClient({"url": registry_url}))
    return serializer(cls(x=7), SerializationContext(topic, MessageField.VALUE))


def poison(good: bytes, other: bytes) -> dict[str, bytes | None]:
    """Every kind of bad value a Protobuf topic can carry, from a good value and another subject's,
    with a word of the reason the DLQ must give for each."""
    head = good[:5]
    return {
        "not-wire-format": b"plain text, no framing",
        "too-short": head,
        "schema-guid": b"\x01" + bytes(range(16)) + good[5:],
        "unknown-id": b"\x00" + (987_654).to_bytes(4, "big") + good[5:],
        "other-subject": other,
        "index-names-no-message": head + encode_indexes([5]) + good[6:],
        "nested-index-names-no-message": head + encode_indexes([0, 3]) + good[6:],
        "index-list-too-long": head + b"\xc8\x01" + good[6:],
        "payload-does-not-parse": head + b"\x00" + b"\x0a\x05ab",
        "payload-bad-utf8": head + b"\x00" + b"\x0a\x02\xff\xfe",
        "empty": b"",
        "null": None,
    }


REASONS = {
    "not-wire-format": "magic byte is 112, expected 0",
    "too-short": "too short for Confluent wire format: 5 bytes, need at least 6",
    "schema-guid": "16-byte schema GUID",
    "unknown-id": "unknown schema id 987654",
    "other-subject": "not under {subject}",
    "index-names-no-message": "message index list [5] names no message of",
    "nested-index-names-no-message": "message index list [0, 3] names no message of",
    "index-list-too-long": "the message index list claims 100 entries",
    "payload-does-not-parse": "the payload is not a valid {package}.shop.Order: wire format was corrupt",
    "payload-bad-utf8": "the payload is not a valid {package}.shop.Order: string field had bad UTF-8",
    "empty": "empty value",
    "null": "null value (tombstone)",
}
"""What the DLQ's exception message says for each kind of `poison` (a part of it)."""

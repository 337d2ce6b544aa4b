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

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import message_factory
from sentinel_helpers import BASE_TS, order

from governance.kafka import KafkaSettings
from governance.protobuf import parse_schema

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
    producer = Producer(kafka.client_config(enable_idempotence=True, linger_ms=20, acks="all"))
    poison = poison or {}
    for i in indices:
        value = poison[i] if i in poison else serializer(order_message(cls, i), context)
        while True:
            try:
                producer.produce(topic, value, f"k{i}".encode(), headers=[("seq", str(i).encode())], timestamp=BASE_TS + i)
                break
            except BufferError:
                producer.poll(0.05)
    assert producer.flush(60) == 0

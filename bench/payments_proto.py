"""The bench's payments as Protobuf: bench/common.py's ten-field Payment as a `.proto` file, registering
it, and each record in Confluent's Protobuf wire format (`bench.sentinel --format protobuf`).

Records are written with a message class built from our own compiled descriptor (no generated code),
as confluent-kafka's ProtobufSerializer writes them: magic byte 0, the schema id, the index list
`[0]` (the single byte 0) and the payload.
"""

from __future__ import annotations

import json
import struct
import urllib.request
from collections.abc import Callable
from typing import Any

PROTO_NAME = "bench/sentinel/payment.proto"
PROTO = """syntax = "proto3";
package bench.sentinel;

// bench/common.py's Avro Payment, field for field. customer is `optional`: it has presence, so a
// payment without one reads as null, as Avro's ["null", "string"] does; the other scalars read as
// their value, defaults included.
message Payment {
  string id = 1;
  optional string customer = 2;
  double amount = 3;
  string status = 4;
  string note = 5;
  string currency = 6;
  int32 quantity = 7;
  int64 createdAt = 8;
  string country = 9;
  bool express = 10;
}
"""


def register_proto(registry: str, subject: str) -> int:
    """PROTO under `subject` as `schemaType: PROTOBUF`; returns its id."""
    body = {"schemaType": "PROTOBUF", "schema": PROTO}
    request = urllib.request.Request(f"{registry.rstrip('/')}/subjects/{subject}/versions", method="POST",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(json.load(response)["id"])


def payment_class() -> Any:
    """The Payment message class, from PROTO compiled by governance.protobuf."""
    from google.protobuf import message_factory

    from governance.protobuf import parse_schema

    pool = parse_schema(PROTO, PROTO_NAME).pool
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("bench.sentinel.Payment"))


def encoder(schema_id: int) -> Callable[[dict[str, Any]], bytes]:
    """A function from a bench record (bench.common.record) to its Confluent Protobuf wire-format value."""
    cls = payment_class()
    header = b"\x00" + struct.pack(">I", schema_id) + b"\x00"

    def encode(rec: dict[str, Any]) -> bytes:
        fields = rec if rec["customer"] is not None else {k: v for k, v in rec.items() if k != "customer"}
        return header + cls(**fields).SerializeToString()

    return encode

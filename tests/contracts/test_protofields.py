"""A CEL_FIELD rule on a Protobuf subject visits the fields confluent-kafka's Protobuf walk judges,
tags read from `(confluent.field_meta)` options and metadata globs."""

from __future__ import annotations

from typing import Any

import pytest

from governance.contracts import Contract, ContractError
from governance.contracts.fields import walker

META = """syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
message Meta { string doc = 1; map<string, string> params = 2; repeated string tags = 3; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
"""

SCHEMA = """syntax = "proto3";
package shop;
import "confluent/meta.proto";
import "google/protobuf/timestamp.proto";

message Payment {
  string id = 1;
  string email = 2 [(confluent.field_meta).tags = "PII"];
  optional string note = 3 [(confluent.field_meta) = {tags: ["PII", "FREE"]}];
  Address address = 4;
  repeated string phones = 5 [(confluent.field_meta).tags = "PII"];
  map<string, string> attrs = 6 [(confluent.field_meta).tags = "PII"];
  Status status = 7 [(confluent.field_meta).tags = "PII"];
  google.protobuf.Timestamp at = 8 [(confluent.field_meta).tags = "PII"];
  int64 n = 9;
  double d = 10;
}
message Address { string street = 1 [(confluent.field_meta).tags = "PII"]; uint32 zip = 2; }
enum Status { NEW = 0; PAID = 1; }
"""
REFERENCES = {"confluent/meta.proto": META}


def payment(**overrides: Any) -> dict[str, Any]:
    return {"id": "p-1", "email": "a@b.c", "note": None, "address": {"street": "Main 1", "zip": 12345},
            "phones": ["+49 1", "+49 2"], "attrs": {"k": "v"}, "status": "NEW", "at": None, "n": 0, "d": 1.5,
            **overrides}


def visits(tags: tuple[str, ...], record: dict[str, Any], metadata: Any = None) -> list[tuple[str, str, str, Any]]:
    walk = walker("PROTOBUF", SCHEMA, tags, metadata, "at", REFERENCES)
    return [(field.full_name, field.name, field.type_name, value) for field, value, _ in walk(record)]


def test_the_tagged_primitive_fields_are_visited_unset_ones_skipped_repeated_ones_item_by_item() -> None:
    assert visits(("PII",), payment()) == [
        ("shop.Payment.email", "email", "STRING", "a@b.c"),
        ("shop.Address.street", "street", "STRING", "Main 1"),
        ("shop.Payment.phones", "phones", "STRING", "+49 1"),
        ("shop.Payment.phones", "phones", "STRING", "+49 2"),
    ]
    assert ("shop.Payment.note", "note", "STRING", "x") in visits(("FREE",), payment(note="x"))


def test_without_tags_every_primitive_field_is_visited_with_confluents_type_names() -> None:
    assert [(name, type_name) for _, name, type_name, _ in visits((), payment(phones=[]))] == [
        ("id", "STRING"), ("email", "STRING"), ("street", "STRING"), ("zip", "INT"), ("n", "LONG"), ("d", "DOUBLE")]


def test_metadata_globs_tag_protobuf_fields_by_full_name() -> None:
    assert [name for _, name, _, _ in visits(("KEY",), payment(), {"tags": {"shop.*.id": ["KEY"], "**.zip": ["KEY"]}})] == \
        ["id", "zip"]


def test_a_protobuf_cel_field_contract_judges_the_decoded_records() -> None:
    c = Contract.of({"domainRules": [{"name": "short-pii", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
                                      "tags": ["PII"], "expr": "size(value) <= 6"}]},
                    subject="payments-value", version=1, schema_type="PROTOBUF", schema=SCHEMA, references=REFERENCES)
    assert [[f.rule for f in fs] for fs in c.check_batch([payment(), payment(email="a-long@b.c"), payment(phones=["+49 123"])])] \
        == [[], ["short-pii"], ["short-pii"]]


def test_a_protobuf_schema_that_does_not_compile_or_lacks_the_message_is_a_contract_error() -> None:
    with pytest.raises(ContractError, match='rule "r": the Protobuf schema does not compile'):
        walker("PROTOBUF", "syntax = \"proto3\"; message {", (), None, 'rule "r"')
    with pytest.raises(ContractError, match="has no message 'shop.Nope'"):
        walker("PROTOBUF", SCHEMA, (), None, 'rule "r"', REFERENCES, "shop.Nope")

"""The sentinel's decoder on Confluent's Protobuf framing, against the real registry, records written by
confluent-kafka's own ProtobufSerializer: dicts shaped as for Avro, every kind of poison a DecodeFailure
with its reason, the descriptor's references fetched, the writer schema registered under the valid subject."""

from __future__ import annotations

import random

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from protobuf_orders import REASONS, OrderFiles, order_files, order_message, other_value, poison
from registry_helpers import http

from governance.protobuf import encode_indexes
from governance.sentinel.decode import Decoder, DecodeFailure


@pytest.fixture
def files(unique_name: str) -> OrderFiles:
    return order_files("t" + unique_name.rsplit("-", 1)[-1])


def serialize(registry_url: str, topic: str, message: object) -> bytes:
    serializer = ProtobufSerializer(type(message), SchemaRegistryClient({"url": registry_url}))
    return serializer(message, SerializationContext(topic, MessageField.VALUE))


def test_orders_decode_to_the_dicts_avro_orders_decode_to(registry_url: str, unique_name: str, files: OrderFiles) -> None:
    order, refund = files.classes()
    decoder = Decoder("protobuf", registry_url, f"{unique_name}-value")
    with_coupon, without = (serialize(registry_url, unique_name, order_message(order, i)) for i in (2, 1))
    assert decoder.decode(with_coupon) == {
        "orderId": "o-2", "customerId": "c-2", "orderedAt": order_message(order, 2).orderedAt,
        "items": [{"sku": "sku-2", "quantity": 3, "unitPriceCents": 500}], "totalCents": 1002,
        "shippingAddress": {"street": "Main St 1", "city": "Berlin", "zip": "10115", "country": "DE"},
        "couponCode": "SAVE10"}
    assert decoder.decode(without)["couponCode"] is None, "an absent optional field is None"
    empty = decoder.decode(with_coupon[:6])
    assert empty["shippingAddress"] is None and empty["couponCode"] is None, "message fields and optional ones have presence"
    assert (empty["orderId"], empty["totalCents"], empty["items"]) == ("", 0, []), "proto3 scalars carry defaults"
    second = with_coupon[:5] + encode_indexes([1]) + refund(orderId="o-9", amountCents=5).SerializeToString()
    assert decoder.decode(second) == {"orderId": "o-9", "amountCents": 5}, "the index list chooses the message"
    nested = with_coupon[:5] + encode_indexes([0, 0]) + order.Item(sku="s", quantity=1).SerializeToString()
    assert decoder.decode(nested) == {"sku": "s", "quantity": 1, "unitPriceCents": 0}


def test_every_kind_of_protobuf_poison_is_a_failure_with_its_reason(
        registry_url: str, unique_name: str, files: OrderFiles) -> None:
    order, _ = files.classes()
    subject = f"{unique_name}-value"
    good = serialize(registry_url, unique_name, order_message(order, 1))
    other = other_value(registry_url, files.package, f"{unique_name}-other")
    decoder = Decoder("protobuf", registry_url, subject)
    values = poison(good, other)
    results = decoder.decode_batch(list(values.values()))
    for (kind, value), result in zip(values.items(), results):
        assert isinstance(result, DecodeFailure), kind
        expected = REASONS[kind].format(subject=subject, package=files.package)
        assert expected in result.reason, (kind, result.reason)
    failures = dict(zip(values, results))
    assert failures["other-subject"].subjects == (f"{unique_name}-other-value",)
    assert failures["payload-does-not-parse"].exception_class == "ProtobufDecodeError"
    assert failures["payload-does-not-parse"].reason.endswith(f"(schema id {int.from_bytes(good[1:5], 'big')})")


def test_an_avro_id_under_the_subject_is_not_read_as_protobuf(registry_url: str, unique_name: str) -> None:
    subject = f"{unique_name}-value"
    assert http("PUT", f"{registry_url}/config/{subject}", {"compatibility": "NONE"})[0] == 200
    avro = '{"type": "record", "name": "R", "fields": [{"name": "x", "type": "long"}]}'
    status, answer = http("POST", f"{registry_url}/subjects/{subject}/versions", {"schema": avro})
    assert status == 200, answer
    failure = Decoder("protobuf", registry_url, subject).decode(b"\x00" + answer["id"].to_bytes(4, "big") + b"\x00\x02")
    assert isinstance(failure, DecodeFailure)
    assert failure.reason == (f"schema id {answer['id']} is AVRO, but the pipeline reads Protobuf "
                              "(`value_format: protobuf`)")


def test_random_and_mutated_values_never_raise(registry_url: str, unique_name: str, files: OrderFiles) -> None:
    order, _ = files.classes()
    good = serialize(registry_url, unique_name, order_message(order, 3))
    decoder = Decoder("protobuf", registry_url, f"{unique_name}-value")
    rng = random.Random(25)
    for _ in range(3000):
        value = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(5, len(value))
            value[at] = rng.randrange(256)
        if rng.random() < 0.3:
            value = value[:rng.randrange(5, len(value))]
        result = decoder.decode(bytes(value))
        assert isinstance(result, (dict, DecodeFailure))


def test_the_writer_schema_is_registered_under_the_valid_subject_as_protobuf_with_its_reference(
        registry_url: str, unique_name: str, files: OrderFiles) -> None:
    order, _ = files.classes()
    good = serialize(registry_url, unique_name, order_message(order, 1))
    valid_subject = f"{unique_name}-valid-value"
    decoder = Decoder("protobuf", registry_url, f"{unique_name}-value", valid_subject=valid_subject)
    assert isinstance(decoder.decode(good), dict)
    status, registered = http("GET", f"{registry_url}/subjects/{valid_subject}/versions/latest")
    assert status == 200, registered
    assert registered["id"] == int.from_bytes(good[1:5], "big"), "the same id names the schema under both subjects"
    assert registered["schemaType"] == "PROTOBUF"
    assert registered["references"] == [{"name": files.address_path, "subject": files.address_path, "version": 1}]


def test_a_value_the_record_cannot_hold_is_a_failure_not_a_crash(registry_url: str, unique_name: str) -> None:
    from google.protobuf import message_factory

    from governance.protobuf import parse_schema

    package = "t" + unique_name.rsplit("-", 1)[-1]
    text = (f'syntax = "proto3";\npackage {package};\nimport "google/protobuf/timestamp.proto";\n\n'
            "message Event {\n  google.protobuf.Timestamp at = 1;\n}\n")
    schema = parse_schema(text, f"{package}/event.proto")
    event = message_factory.GetMessageClass(schema.pool.FindMessageTypeByName(f"{package}.Event"))()
    event.at.seconds = 2**62  # beyond year 9999: a valid payload, no datetime
    value = serialize(registry_url, unique_name, event)
    failure = Decoder("protobuf", registry_url, f"{unique_name}-value").decode(value)
    assert isinstance(failure, DecodeFailure)
    assert failure.reason.startswith(f"unreadable Protobuf for schema id {int.from_bytes(value[1:5], 'big')}: "
                                     "ValueError: Timestamp is not valid")


def test_tombstones_pass_from_sources_that_pass_them_and_go_to_the_dlq_from_others(registry_url: str, unique_name: str) -> None:
    from governance.sentinel.judge import SentinelJudge
    from governance.sentinel.validate import RecordValidator

    decoder = Decoder("protobuf", registry_url, f"{unique_name}-value")
    judge = SentinelJudge(decoder, RecordValidator(()), pass_tombstones=frozenset({"compacted"}))
    verdicts, tally = judge.judge_values([None, None], ["compacted", "plain"])
    assert verdicts[0].valid and tally.tombstones == 1
    assert (verdicts[1].valid, verdicts[1].stage) == (False, "deserialize")
    assert "null value (tombstone)" in verdicts[1].exception_message

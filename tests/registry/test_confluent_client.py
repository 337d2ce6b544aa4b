"""The registry as Confluent's own Python client and serializers see it."""

from __future__ import annotations

import json

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka_helpers import create_topic

from governance.kafka import KafkaSettings


def record(name: str, *fields: dict, namespace: str = "com.example") -> Schema:
    return Schema(json.dumps({"type": "record", "name": name, "namespace": namespace, "fields": list(fields)}), "AVRO")


ID = {"name": "id", "type": "string"}
EMAIL = {"name": "email", "type": "string"}
EMAIL_DEFAULT = {"name": "email", "type": "string", "default": ""}
AGE_INT = {"name": "age", "type": "int"}
AGE_LONG = {"name": "age", "type": "long"}


@pytest.fixture
def subject(unique_name: str) -> str:
    return unique_name + "-value"


def test_register_get_and_lookup(client: SchemaRegistryClient, subject: str) -> None:
    schema = record("User", ID, AGE_INT)
    schema_id = client.register_schema(subject, schema)

    assert json.loads(client.get_schema(schema_id).schema_str) == json.loads(schema.schema_str)
    latest = client.get_latest_version(subject)
    assert (latest.schema_id, latest.version, latest.subject) == (schema_id, 1, subject)
    looked_up = client.lookup_schema(subject, schema)
    assert (looked_up.schema_id, looked_up.version) == (schema_id, 1)
    assert subject in client.get_subjects()
    assert client.get_versions(subject) == [1]
    assert client.get_version(subject, 1).schema_id == schema_id


def test_same_schema_again_and_under_another_subject_keeps_its_id(
    client: SchemaRegistryClient, subject: str, registry_url: str
) -> None:
    schema = record("Again", ID)
    first = client.register_schema(subject, schema)
    # A fresh client (no cache) and the same schema with other whitespace: the same id, no new version.
    again = SchemaRegistryClient({"url": registry_url}).register_schema(
        subject, Schema(json.dumps(json.loads(schema.schema_str), indent=4), "AVRO")
    )
    other = client.register_schema(subject + "-copy", schema)
    assert first == again == other
    assert client.get_versions(subject) == [1]
    assert sorted(client.get_subjects_by_schema_id(first)) == [subject, subject + "-copy"]


# Each level: a change it accepts and one it refuses, with the finding type it names.
LEVEL_CASES = {
    "BACKWARD": ([ID], [ID, EMAIL_DEFAULT], [ID, EMAIL], "READER_FIELD_MISSING_DEFAULT_VALUE"),
    "FORWARD": ([ID, EMAIL], [ID, EMAIL, AGE_INT], [ID], "READER_FIELD_MISSING_DEFAULT_VALUE"),
    "FULL": ([ID], [ID, EMAIL_DEFAULT], [ID, EMAIL], "READER_FIELD_MISSING_DEFAULT_VALUE"),
    "NONE": ([ID, AGE_INT], [ID, {"name": "age", "type": "string"}], None, None),
}


@pytest.mark.parametrize("level", LEVEL_CASES)
def test_each_level_accepts_what_it_should_and_refuses_what_it_should(
    client: SchemaRegistryClient, subject: str, level: str
) -> None:
    base, compatible, incompatible, finding = LEVEL_CASES[level]
    client.set_compatibility(subject, level)
    assert client.get_compatibility(subject) == level
    client.register_schema(subject, record("Lvl", *base))
    assert client.test_compatibility(subject, record("Lvl", *compatible)) is True
    if incompatible is not None:
        assert client.test_compatibility(subject, record("Lvl", *incompatible)) is False
        with pytest.raises(SchemaRegistryError) as error:
            client.register_schema(subject, record("Lvl", *incompatible))
        assert error.value.http_status_code == 409
    client.register_schema(subject, record("Lvl", *compatible))
    assert client.get_versions(subject) == [1, 2]


def test_backward_and_forward_are_mirror_images(client: SchemaRegistryClient, subject: str) -> None:
    """int -> long is a promotion a new reader can make (BACKWARD) but an old one cannot (FORWARD)."""
    for level, ok in (("BACKWARD", True), ("FORWARD", False)):
        name = f"{subject}-{level}"
        client.set_compatibility(name, level)
        client.register_schema(name, record("Num", ID, AGE_INT))
        assert client.test_compatibility(name, record("Num", ID, AGE_LONG)) is ok
    for level, ok in (("BACKWARD", False), ("FORWARD", True)):
        name = f"{subject}-{level}-narrow"
        client.set_compatibility(name, level)
        client.register_schema(name, record("Num", ID, AGE_LONG))
        assert client.test_compatibility(name, record("Num", ID, AGE_INT)) is ok


@pytest.mark.parametrize("level", ["BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"])
def test_transitive_levels_check_every_version(client: SchemaRegistryClient, subject: str, level: str) -> None:
    """v1 has `email` without default; v2 drops it; v3 brings it back without a default.

    v3 is compatible with v2 in both directions only if it has a default, so use the
    shape that differs per level: for BACKWARD_* v3 re-adds `email` with a default but
    as an int, which v2 (lacking it) accepts and v1 (string) refuses.
    """
    email_int = {"name": "email", "type": "int", "default": 0}
    client.set_compatibility(subject, "NONE")
    client.register_schema(subject, record("T", ID, EMAIL_DEFAULT))
    client.register_schema(subject, record("T", ID))
    client.set_compatibility(subject, level)
    non_transitive = level.removesuffix("_TRANSITIVE")
    assert client.test_compatibility(subject, record("T", ID, email_int)) is True, "fine against v2 alone"
    assert client.test_compatibility_all_versions(subject, record("T", ID, email_int)) is False
    with pytest.raises(SchemaRegistryError) as error:
        client.register_schema(subject, record("T", ID, email_int))
    assert error.value.http_status_code == 409
    client.set_compatibility(subject, non_transitive)
    client.register_schema(subject, record("T", ID, email_int))
    assert client.get_versions(subject) == [1, 2, 3]


def test_verbose_compatibility_names_the_field_and_version(registry_url: str, subject: str, client) -> None:
    from registry_helpers import http

    client.register_schema(subject, record("V", ID))
    status, body = http(
        "POST",
        f"{registry_url}/compatibility/subjects/{subject}/versions/latest?verbose=true",
        {"schema": record("V", ID, EMAIL).schema_str},
    )
    assert status == 200 and body["is_compatible"] is False
    text = " ".join(body["messages"])
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in text and "email" in text and "version 1" in text


def test_config_global_subject_and_delete(client: SchemaRegistryClient, subject: str, registry_url: str) -> None:
    from registry_helpers import http

    assert http("GET", f"{registry_url}/config/{subject}")[1]["error_code"] == 40408
    assert http("GET", f"{registry_url}/config/{subject}?defaultToGlobal=true")[1] == {
        "compatibilityLevel": client.get_compatibility()
    }
    client.set_compatibility(subject, "FULL_TRANSITIVE")
    assert client.get_config(subject).compatibility_level == "FULL_TRANSITIVE"
    assert client.delete_config(subject).compatibility_level == "FULL_TRANSITIVE"
    assert http("GET", f"{registry_url}/config/{subject}")[1]["error_code"] == 40408


def test_readonly_mode_refuses_writes_and_import_mode_takes_ids(
    client: SchemaRegistryClient, subject: str, registry_url: str
) -> None:
    from registry_helpers import http

    assert http("PUT", f"{registry_url}/mode/{subject}", {"mode": "READONLY"}) == (200, {"mode": "READONLY"})
    status, body = http("POST", f"{registry_url}/subjects/{subject}/versions", {"schema": record("M", ID).schema_str})
    assert (status, body["error_code"]) == (422, 42205)

    assert http("PUT", f"{registry_url}/mode/{subject}", {"mode": "IMPORT"})[0] == 200
    status, body = http(
        "POST", f"{registry_url}/subjects/{subject}/versions",
        {"schema": record("M", ID).schema_str, "id": 900_001, "version": 7},
    )  # fmt: skip
    assert (status, body) == (200, {"id": 900_001})
    assert client.get_version(subject, 7).schema_id == 900_001
    assert http("DELETE", f"{registry_url}/mode/{subject}") == (200, {"mode": "IMPORT"})
    assert http("GET", f"{registry_url}/mode/{subject}?defaultToGlobal=true") == (200, {"mode": "READWRITE"})


def test_references_to_types_of_another_subject(client: SchemaRegistryClient, subject: str) -> None:
    address = record("Address", {"name": "zip", "type": "string"}, namespace="com.example.geo")
    address_subject = subject + "-address"
    client.register_schema(address_subject, address)
    order = Schema(
        json.dumps({"type": "record", "name": "Order", "namespace": "com.example",
                    "fields": [ID, {"name": "shipTo", "type": "com.example.geo.Address"}]}),
        "AVRO",
        [SchemaReference("com.example.geo.Address", address_subject, 1)],
    )  # fmt: skip
    order_id = client.register_schema(subject, order)
    fetched = client.get_schema(order_id)
    assert [(r.name, r.subject, r.version) for r in fetched.references] == [
        ("com.example.geo.Address", address_subject, 1)
    ]
    assert client.get_referenced_by(address_subject, 1) == [order_id]
    with pytest.raises(SchemaRegistryError) as error:
        client.delete_version(address_subject, 1)
    assert error.value.error_code == 42206


def test_soft_then_hard_delete(client: SchemaRegistryClient, subject: str, registry_url: str) -> None:
    from registry_helpers import http

    first = client.register_schema(subject, record("D", ID))
    client.register_schema(subject, record("D", ID, EMAIL_DEFAULT))
    assert client.delete_version(subject, 1) == 1
    assert client.get_versions(subject) == [2]
    assert http("GET", f"{registry_url}/subjects/{subject}/versions?deleted=true")[1] == [1, 2]
    assert http("DELETE", f"{registry_url}/subjects/{subject}/versions/1")[1]["error_code"] == 40406
    assert http("DELETE", f"{registry_url}/subjects/{subject}/versions/2?permanent=true")[1]["error_code"] == 40407

    with pytest.raises(SchemaRegistryError) as error:
        client.delete_subject(subject, permanent=True)
    assert error.value.error_code == 40405
    assert client.delete_subject(subject) == [2]
    assert subject not in client.get_subjects()
    assert subject in http("GET", f"{registry_url}/subjects?deleted=true")[1]
    assert http("DELETE", f"{registry_url}/subjects/{subject}")[1]["error_code"] == 40404
    assert sorted(client.delete_subject(subject, permanent=True)) == [1, 2]
    assert subject not in http("GET", f"{registry_url}/subjects?deleted=true")[1]
    assert http("GET", f"{registry_url}/schemas/ids/{first}")[1]["error_code"] == 40403


def test_avro_serializer_round_trip_through_kafka(
    kafka: KafkaSettings, registry_url: str, client: SchemaRegistryClient, unique_name: str
) -> None:
    schema = json.dumps({"type": "record", "name": "UserActivity", "fields": [
        {"name": "userId", "type": "string"},
        {"name": "eventTime", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "pageViewCount", "type": "int", "default": 1},
    ]})  # fmt: skip
    create_topic(kafka, unique_name)
    serializer = AvroSerializer(client, schema)
    deserializer = AvroDeserializer(client)
    producer = Producer(kafka.client_config())
    sent = [{"userId": f"u{i}", "eventTime": 1_700_000_000_000 + i, "pageViewCount": i} for i in range(20)]
    for value in sent:
        ctx = SerializationContext(unique_name, MessageField.VALUE)
        producer.produce(unique_name, value=serializer(value, ctx))
    producer.flush(30)
    consumer = Consumer(kafka.client_config(group_id=unique_name, auto_offset_reset="earliest"))
    consumer.subscribe([unique_name])
    received = []
    while len(received) < len(sent):
        message = consumer.poll(10)
        assert message is not None, "records did not arrive"
        ctx = SerializationContext(unique_name, MessageField.VALUE)
        received.append(deserializer(message.value(), ctx))
    consumer.close()
    for value in received:
        value["eventTime"] = int(value["eventTime"].timestamp() * 1000)
    assert received == sent
    assert client.get_latest_version(unique_name + "-value").version == 1

"""The registry as confluent-kafka's own JSONSerializer and JSONDeserializer see it, records going through a
real broker: auto-registration, a `$ref` to another subject's schema by its reference name, and
`use.latest.version`; our decoder reads the same bytes, and refuses what the schema refuses."""

from __future__ import annotations

import io
import json

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError
from registry_helpers import http, round_trip

from governance.formats import format_for
from governance.json_schema import JsonSchemaViolation
from governance.kafka import KafkaSettings

JSON = format_for("JSON")
ADDRESS = json.dumps({"type": "object", "properties": {"zip": {"type": "string", "maxLength": 5}},
                      "required": ["zip"]}, indent=2)
ORDER = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Order",
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "amount": {"type": "number", "minimum": 0},
        "to": {"$ref": "address.json"},
        "lines": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}},
    },
    "required": ["id", "amount"],
}, indent=2)


def test_auto_registered_records_round_trip_and_our_decoder_reads_the_same_bytes(
        kafka: KafkaSettings, registry_url: str, client: SchemaRegistryClient, unique_name: str) -> None:
    schema = json.dumps({"type": "object", "properties": {"id": {"type": "string"}, "n": {"type": "integer"}},
                         "required": ["id"]})
    sent = [{"id": f"r{i}", "n": i} for i in range(5)]
    received, raw = round_trip(kafka, unique_name, JSONSerializer(schema, client), JSONDeserializer(None,
                               schema_registry_client=client), sent)
    assert received == sent
    latest = http("GET", f"{registry_url}/subjects/{unique_name}-value/versions/latest")[1]
    assert latest["schemaType"] == "JSON" and json.loads(latest["schema"]) == json.loads(schema)
    assert raw[2][0] == 0 and int.from_bytes(raw[2][1:5], "big") == latest["id"]
    assert JSON.decoder(latest["schema"])(io.BytesIO(raw[2][5:])) == {"id": "r2", "n": 2}
    with pytest.raises(SerializationError):
        JSONSerializer(schema, client)({"n": 1}, SerializationContext(unique_name, MessageField.VALUE))


def test_a_ref_to_another_subject_by_its_reference_name(
        kafka: KafkaSettings, registry_url: str, client: SchemaRegistryClient, unique_name: str) -> None:
    address_subject = f"{unique_name}-address"
    client.register_schema(address_subject, Schema(ADDRESS, "JSON"))
    version = client.get_latest_version(address_subject).version
    order = Schema(ORDER, "JSON", [SchemaReference("address.json", address_subject, version)])
    sent = [{"id": "o1", "amount": 3.5, "to": {"zip": "12345"}, "lines": [{"sku": "a"}]},
            {"id": "o2", "amount": 0, "to": {"zip": "9"}}]
    received, raw = round_trip(kafka, unique_name, JSONSerializer(order, client),
                               JSONDeserializer(None, schema_registry_client=client), sent)
    assert received == sent
    latest = http("GET", f"{registry_url}/subjects/{unique_name}-value/versions/latest")[1]
    assert latest["references"] == [{"name": "address.json", "subject": address_subject, "version": version}]
    address = http("GET", f"{registry_url}/subjects/{address_subject}/versions/{version}")[1]["schema"]
    read = JSON.decoder(latest["schema"], {"address.json": address})
    assert read(io.BytesIO(raw[0][5:])) == sent[0]

    too_long = json.dumps({"id": "o3", "amount": 1, "to": {"zip": "123456"}}).encode()
    with pytest.raises(JsonSchemaViolation) as refused:
        read(io.BytesIO(too_long))
    assert (refused.value.path, refused.value.keyword) == ("$.to.zip", "maxLength")
    with pytest.raises(SerializationError):
        JSONSerializer(order, client)(json.loads(too_long), SerializationContext(unique_name, MessageField.VALUE))


def test_use_latest_version_serializes_with_the_registered_schema(
        kafka: KafkaSettings, client: SchemaRegistryClient, unique_name: str) -> None:
    schema = json.dumps({"type": "object", "properties": {"id": {"type": "string"}}})
    JSONSerializer(schema, client)({"id": "first"}, SerializationContext(unique_name, MessageField.VALUE))
    latest = JSONSerializer(schema, client, conf={"auto.register.schemas": False, "use.latest.version": True})
    deserializer = JSONDeserializer(schema, schema_registry_client=client, conf={"use.latest.version": True})
    sent = [{"id": "x"}, {"id": "y"}]
    received, _ = round_trip(kafka, unique_name, latest, deserializer, sent)
    assert received == sent
    assert client.get_versions(f"{unique_name}-value") == [1]

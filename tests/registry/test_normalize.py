"""`normalize=true` through Confluent's own client: the registry stores and answers the text Confluent's normalizer
gives (Avro Java's key order, properties and aliases sorted, a logical type first, defaults as their type reads them)."""

from __future__ import annotations

import json

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from registry_helpers import http

WRITTEN = {
    "fields": [
        {"type": {"scale": 2, "connect.name": "money", "precision": 9, "type": "bytes", "logicalType": "decimal"},
         "name": "amount", "aliases": ["sum", "total"]},
        {"default": 0, "type": "double", "name": "rate", "order": "DESCENDING"},
    ],
    "aliases": ["Payment", "com.old.Pay"],
    "zeta": True,
    "namespace": "com.acme",
    "name": "Pay",
    "doc": "",
    "type": "record",
}
NORMALIZED = (
    '{"type":"record","name":"Pay","namespace":"com.acme","fields":['
    '{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2,"connect.name":"money"},'
    '"aliases":["sum","total"]},'
    '{"name":"rate","type":"double","default":0.0,"order":"descending"}],'
    '"zeta":true,"aliases":["Payment","com.old.Pay"]}'
)


def test_register_and_look_up_with_normalize(registry_url: str, unique_name: str) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    subject = f"{unique_name}-value"
    schema_id = client.register_schema(subject, Schema(json.dumps(WRITTEN), "AVRO"), normalize_schemas=True)

    assert client.get_schema(schema_id).schema_str == NORMALIZED
    assert http("GET", f"{registry_url}/subjects/{subject}/versions/1/schema")[1] == json.loads(NORMALIZED)

    # The same schema spelled otherwise (aliases and properties reordered, the full name, 0.0) is found, and
    # registering it again under normalize gives the same id and no new version.
    respelled = {**WRITTEN, "name": "com.acme.Pay", "aliases": ["com.old.Pay", "Payment"], "zeta": True}
    respelled["fields"] = [{**WRITTEN["fields"][0], "aliases": ["total", "sum"]}, {**WRITTEN["fields"][1], "default": 0.0}]
    found = client.lookup_schema(subject, Schema(json.dumps(respelled), "AVRO"), normalize_schemas=True)
    assert (found.schema_id, found.version) == (schema_id, 1)
    assert client.register_schema(subject, Schema(json.dumps(respelled), "AVRO"), normalize_schemas=True) == schema_id
    assert client.get_versions(subject) == [1]


def test_without_normalize_the_text_is_avro_javas_canonical_form(registry_url: str, unique_name: str) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    schema_id = client.register_schema(f"{unique_name}-value", Schema(json.dumps(WRITTEN), "AVRO"))
    text = client.get_schema(schema_id).schema_str
    assert text != NORMALIZED and '"doc":""' in text and '"default":0,' in text


def test_a_schema_confluents_normalizer_cannot_take_is_refused_with_the_reason(registry_url: str, unique_name: str) -> None:
    """Normalizing puts X (null namespace, inside n.R) in n, where n.X already is: Confluent refuses it too (422)."""
    text = ('{"type":"record","name":"R","namespace":"n","fields":['
            '{"name":"a","type":{"type":"record","name":"X","namespace":"","fields":[]}},'
            '{"name":"b","type":{"type":"record","name":"n.X","fields":[]}}]}')
    status, body = http("POST", f"{registry_url}/subjects/{unique_name}/versions?normalize=true", {"schema": text})
    assert (status, body["error_code"]) == (422, 42201)
    assert body["message"].startswith("Invalid schema: normalizing it fails: ") and '"n.X" is defined twice' in body[
        "message"]
    assert http("POST", f"{registry_url}/subjects/{unique_name}/versions", {"schema": text})[0] == 200

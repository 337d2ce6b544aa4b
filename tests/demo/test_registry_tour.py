"""The demo's account of a breaking change: our sentences only, none of Confluent's `{key: ...}` entries."""

from __future__ import annotations

import json

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from governance.demo.registry_tour import incompatibility_sentences


def test_a_breaking_change_is_told_in_sentences(registry_url: str, unique_name: str) -> None:
    subject = f"{unique_name}-value"
    old = {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"},
                                                         {"name": "totalCents", "type": "long"}]}
    client = SchemaRegistryClient({"url": registry_url})
    client.set_compatibility(subject, "FULL")
    client.register_schema(subject, Schema(json.dumps(old), "AVRO"))
    new = {**old, "fields": [{"name": "id", "type": "string"}, {"name": "totalCents", "type": "string"},
                             {"name": "email", "type": "string"}]}

    assert incompatibility_sentences(registry_url, subject, json.dumps(new)) == [
        "field `totalCents` changed type from long to string, so records written with the new schema cannot be read "
        "by consumers using version 1",
        "field `totalCents` changed type from long to string, so records written with version 1 cannot be read by "
        "the new schema",
        "field `email` was added without a default, so records written with version 1 cannot be read by the new schema",
    ]
    assert incompatibility_sentences(registry_url, subject, json.dumps(old), "latest") == []

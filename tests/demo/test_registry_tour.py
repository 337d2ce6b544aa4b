"""The demo's registry tour: it registers the schemas as `governance schemas register` does (levels from
subjects.yml first), and tells a breaking change in our sentences only, none of Confluent's `{key: ...}` entries."""

from __future__ import annotations

import json
from pathlib import Path

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from gate_cases import ID
from gate_helpers import record
from registry_helpers import http

from governance.demo.registry_tour import WalkthroughResult, incompatibility_sentences, register_schemas


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


def test_the_demo_sets_each_declared_level(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    orders, plain = f"{unique_name}-orders", f"{unique_name}-plain"
    (tmp_path / f"{orders}.avsc").write_text(record([ID]))
    (tmp_path / f"{plain}.avsc").write_text(record([ID], name="Plain"))
    (tmp_path / "subjects.yml").write_text(f"{orders}:\n  compatibility: FULL_TRANSITIVE\n")

    result = WalkthroughResult()
    register_schemas(registry_url, tmp_path, result)

    assert result.settings == [f"level set  {orders} FULL_TRANSITIVE (was inherited: the registry's global BACKWARD)"]
    assert sorted(s for s, _, _ in result.registered) == [orders, plain]
    assert http("GET", f"{registry_url}/config/{orders}") == (200, {"compatibilityLevel": "FULL_TRANSITIVE"})


def test_the_demo_sets_a_declared_json_schema_policy_and_says_so(tmp_path: Path, registry_url: str, unique_name: str) -> None:
    returns = f"{unique_name}-returns"
    (tmp_path / f"{returns}.json").write_text('{"type": "object", "properties": {"id": {"type": "string"}}}\n')
    (tmp_path / "subjects.yml").write_text(f"{returns}:\n  compatibility: BACKWARD\n  compatibility_policy: LENIENT\n")

    result = WalkthroughResult()
    register_schemas(registry_url, tmp_path, result)

    assert [s.split()[:3] for s in result.settings] == [["level", "set", returns], ["policy", "set", returns]]
    assert result.settings[1].startswith(f"policy set  {returns} LENIENT (was ")
    status, config = http("GET", f"{registry_url}/config/{returns}")
    assert status == 200 and config["compatibilityPolicy"] == "LENIENT"

"""Data contracts as Confluent's own Python client registers and reads them: the registry keeps a
schema's `ruleSet` and `metadata` as sent, a new ruleSet on the same schema text is a new version
(Confluent hashes both into a schema's identity), and Confluent's serializer writes records with the
registered id without running the rules when it is not told to use the latest version."""

from __future__ import annotations

import io
import json

import fastavro
import pytest
from confluent_kafka.schema_registry import (Metadata, MetadataProperties, MetadataTags, Rule, RuleKind, RuleMode,
                                             RuleParams, RuleSet, Schema, SchemaRegistryClient)
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from registry_helpers import http

ORDER = json.dumps({"type": "record", "name": "Order", "namespace": "com.example", "fields": [
    {"name": "id", "type": "string"},
    {"name": "amount", "type": "double", "confluent:tags": ["MONEY"]},
    {"name": "email", "type": ["null", "string"], "default": None},
]})  # fmt: skip


def rule(name: str, expr: str, **extra: object) -> Rule:
    fields = {"doc": None, "kind": RuleKind.CONDITION, "mode": RuleMode.WRITE, "type": "CEL", "tags": None,
              "params": None, "on_success": None, "on_failure": "DLQ", "disabled": None, **extra}
    return Rule(name=name, expr=expr, **fields)  # type: ignore[arg-type]


RULES = RuleSet(migration_rules=None, domain_rules=[
    rule("positive", "message.amount > 0"),
    rule("money", "value >= 0.0", type="CEL_FIELD", tags=["MONEY"], mode=RuleMode.WRITEREAD, on_failure="NONE"),
    rule("guarded", "message.email != null ; message.email.contains('@')", params=RuleParams({"dlq.topic": "x"})),
    rule("off", "false", disabled=True),
])  # fmt: skip
METADATA = Metadata(tags=MetadataTags({"Order.amount": ["PII"]}), properties=MetadataProperties({"owner": "sales"}), sensitive=None)
SENT = {"domainRules": [r.to_dict() for r in RULES.domain_rules or []]}


@pytest.fixture
def subject(unique_name: str) -> str:
    return unique_name + "-value"


def test_rule_set_and_metadata_come_back_as_sent(client: SchemaRegistryClient, registry_url: str, subject: str) -> None:
    schema_id = client.register_schema(subject, Schema(ORDER, "AVRO", rule_set=RULES, metadata=METADATA))

    # The client reads absent lists as empty ones: compare what was sent.
    for read in (client.get_latest_version(subject).schema, client.get_schema(schema_id),
                 client.get_version(subject, 1).schema):
        assert read.rule_set is not None and read.rule_set.domain_rules == RULES.domain_rules
        assert read.metadata is not None and (read.metadata.tags, read.metadata.properties) == (METADATA.tags,
                                                                                                METADATA.properties)
    for path in (f"/schemas/ids/{schema_id}", f"/subjects/{subject}/versions/1", f"/subjects/{subject}/versions/latest"):
        status, body = http("GET", registry_url + path)
        assert status == 200
        assert body["ruleSet"] == SENT  # same rules, same order, same keys
        assert list(body["ruleSet"]["domainRules"][2]) == list(SENT["domainRules"][2])
        assert body["metadata"] == METADATA.to_dict()


def test_the_same_schema_with_another_rule_set_is_a_new_version(client: SchemaRegistryClient, subject: str) -> None:
    first = client.register_schema(subject, Schema(ORDER, "AVRO", rule_set=RULES))
    again = client.register_schema(subject, Schema(ORDER, "AVRO", rule_set=RULES))
    fewer = RuleSet(migration_rules=None, domain_rules=(RULES.domain_rules or [])[:1])
    second = client.register_schema(subject, Schema(ORDER, "AVRO", rule_set=fewer))

    assert again == first != second
    assert client.get_versions(subject) == [1, 2]
    assert client.get_version(subject, 2).schema.rule_set.domain_rules == fewer.domain_rules  # type: ignore[union-attr]


def test_confluent_serializer_writes_without_running_the_rules(client: SchemaRegistryClient, subject: str) -> None:
    """What the sentinel's tests rely on to write records that break a contract."""
    schema = Schema(ORDER, "AVRO", rule_set=RULES)
    schema_id = client.register_schema(subject, schema)
    serializer = AvroSerializer(client, schema, conf={"auto.register.schemas": False})

    value = serializer({"id": "o1", "amount": -5.0, "email": "nobody"},
                       SerializationContext(subject.removesuffix("-value"), MessageField.VALUE))

    assert value is not None and value[0] == 0 and int.from_bytes(value[1:5], "big") == schema_id
    parsed = fastavro.parse_schema(json.loads(ORDER))
    assert fastavro.schemaless_reader(io.BytesIO(value[5:]), parsed) == {"id": "o1", "amount": -5.0, "email": "nobody"}

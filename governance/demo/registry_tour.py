"""The registry part of `governance demo`: register the governed schemas, send
Avro records through Confluent's serializers, and ask about a breaking change."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from governance.errors import GovernanceError
from governance.kafka.logs import client_logger
from governance.kafka.settings import KafkaSettings

DEMO_SUBJECT = "user-activity-value"


@dataclass
class WalkthroughResult:
    registered: list[tuple[str, int, int]] = field(default_factory=list)  # subject, id, version
    settings: list[str] = field(default_factory=list)  # "level set  orders-value FULL_TRANSITIVE (was BACKWARD)"
    topic: str = ""
    sent: int = 0
    received_equal: int = 0
    breaking_change_messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.sent == self.received_equal and bool(self.breaking_change_messages)


def register_schemas(registry_url: str, schemas_dir: Path, result: WalkthroughResult) -> None:
    """As `governance schemas register` does: each subject's level from subjects.yml, then its schema."""
    from governance.workspace import load_workspace
    from governance.gate.register import register_all

    actions, refused = register_all(load_workspace(schemas_dir), registry_url, dry_run=False)
    if refused:
        f = refused[0]
        raise GovernanceError(f"The registry at {registry_url} refused {f.file} under subject {f.subject}: "
                              f"{f.file}:{f.line}: {f.type} ({f.level}) {f.message}",
                              hint="`governance schemas check` lists every finding; `governance schemas register` "
                                   "registers the others")
    for a in actions:
        if a.what in ("level set", "policy set"):
            result.settings.append(f"{a.what}  {a.subject}{a.note}")
        elif a.version is not None and a.schema_id is not None:
            result.registered.append((a.subject, a.schema_id, a.version))


def run_walkthrough(settings: KafkaSettings, registry_url: str, schemas_dir: Path, records: int = 1000) -> WalkthroughResult:
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    result = WalkthroughResult()
    client = SchemaRegistryClient({"url": registry_url})
    register_schemas(registry_url, schemas_dir, result)

    result.topic = f"governance-demo-activity-{uuid.uuid4().hex[:8]}"
    schema_text = (schemas_dir / f"{DEMO_SUBJECT}.avsc").read_text()
    serializer = AvroSerializer(
        client, schema_text,
        conf={"auto.register.schemas": False, "use.latest.version": True,
              "subject.name.strategy": lambda ctx, name: DEMO_SUBJECT},
    )  # fmt: skip
    deserializer = AvroDeserializer(client)
    context = SerializationContext(result.topic, MessageField.VALUE)
    producer = Producer(settings.client_config(enable_idempotence=True, logger=client_logger()))
    sent = []
    for i in range(records):
        value = {"userId": f"user-{i % 50}", "eventTime": 1_764_000_000_000 + i, "action": "view", "pageViewCount": 1 + i % 7}
        sent.append(value)
        producer.produce(result.topic, key=value["userId"].encode(), value=serializer(value, context))
        producer.poll(0)
    producer.flush(60)
    result.sent = len(sent)

    consumer = Consumer(
        settings.client_config(group_id=result.topic, auto_offset_reset="earliest", logger=client_logger())
    )
    consumer.subscribe([result.topic])
    deadline = time.monotonic() + 60
    received = 0
    try:
        while received < records and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            value = deserializer(message.value(), context)
            value["eventTime"] = int(value["eventTime"].timestamp() * 1000)
            result.received_equal += value == sent[received]
            received += 1
    finally:
        consumer.close()

    breaking = json.loads(schema_text)
    breaking["fields"].append({"name": "email", "type": "string"})
    result.breaking_change_messages = incompatibility_sentences(registry_url, DEMO_SUBJECT, json.dumps(breaking), "latest")
    return result


def incompatibility_sentences(registry_url: str, subject: str, schema_text: str, version: str | None = None) -> list[str]:
    """Why the registry would refuse `schema_text` under `subject` (against `version`, else as registering
    checks it), told for people: a sentence per finding, none of Confluent's `{key: ...}` entries; [] if compatible."""
    import urllib.parse
    import urllib.request

    from governance.gate.registry_check import parse_messages

    against = f"/{version}" if version else ""
    request = urllib.request.Request(
        f"{registry_url}/compatibility/subjects/{urllib.parse.quote(subject, safe='')}/versions{against}?verbose=true",
        data=json.dumps({"schema": schema_text}).encode(),
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    if answer.get("is_compatible", True):
        return []
    messages = [m for m in answer.get("messages") or [] if isinstance(m, str)]
    return ([f.sentence for f in parse_messages(messages)]
            or [m for m in messages if not m.startswith("{")]
            or ["the registry refused it without saying why"])

"""The valid topic's subject: each writer schema the sentinel passes on is registered
under `<valid-topic>-value` with the same id, so tools that find a topic's schema by
subject (TopicNameStrategy) find the valid topic's, proven with DataHub's own Kafka
source (`datahub ingest`, `source: kafka`) against our broker and registry. The DLQ
holds the original bytes of any kind: it has no subject."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka_helpers import consume_all, create_topic
from registry_helpers import http
from sentinel_helpers import GOVERNANCE, ORDER_SCHEMA, Sentinel, failed_rules_of, order, pipeline_file, produce_orders

from governance.kafka import KafkaSettings

N = 200
DATAHUB = str(Path(sys.executable).parent / "datahub")


def evolved_schema() -> str:
    """orders-value with an optional field added: a second writer schema, compatible with the first."""
    schema = json.loads(ORDER_SCHEMA)
    schema["fields"].append({"name": "giftNote", "type": ["null", "string"], "default": None})
    return json.dumps(schema)


def produce_evolved(kafka: KafkaSettings, registry_url: str, topic: str, indices: range) -> None:
    serializer = AvroSerializer(SchemaRegistryClient({"url": registry_url}), evolved_schema())
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer(kafka.client_config(enable_idempotence=True, acks="all"))
    for i in indices:
        producer.produce(topic, serializer({**order(i), "giftNote": "enjoy"}, context), f"k{i}".encode())
    assert producer.flush(60) == 0


def datahub_kafka_source(tmp_path: Path, kafka: KafkaSettings, registry_url: str, topics: list[str]) -> list[dict]:
    """`datahub ingest` with DataHub's Kafka source, as a steward would run it, into a file."""
    output = tmp_path / "kafka-source.json"
    recipe = tmp_path / "recipe.yml"
    recipe.write_text(yaml.safe_dump({
        "source": {"type": "kafka", "config": {
            "connection": {"bootstrap": kafka.bootstrap_servers, "schema_registry_url": registry_url},
            "topic_patterns": {"allow": [f"^{t}$" for t in topics]}}},
        "sink": {"type": "file", "config": {"filename": str(output)}}}))
    (tmp_path / ".datahubenv").write_text("gms:\n  server: http://localhost:8080\n  token: ''\n")
    done = subprocess.run([DATAHUB, "ingest", "-c", str(recipe)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HOME": str(tmp_path), "DATAHUB_TELEMETRY_ENABLED": "false"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(output.read_text())


def schema_of(records: list[dict], topic: str) -> dict | None:
    urn = f"urn:li:dataset:(urn:li:dataPlatform:kafka,{topic},PROD)"
    found = [r["aspect"]["json"] for r in records if r["entityUrn"] == urn and r["aspectName"] == "schemaMetadata"]
    return found[0] if found else None


def test_datahubs_kafka_source_reads_the_valid_topics_schema_after_a_sentinel_run(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, unique_name: str) -> None:
    source, valid, dlq = f"{unique_name}-raw", f"{unique_name}-raw-valid", f"{unique_name}-raw-dlq"
    create_topic(kafka, source, partitions=2)
    produce_orders(kafka, registry_url, source, range(N))
    produce_evolved(kafka, registry_url, source, range(N, 2 * N))
    source_versions = http("GET", f"{registry_url}/subjects/{source}-value/versions")[1]
    ids = [http("GET", f"{registry_url}/subjects/{source}-value/versions/{v}")[1]["id"] for v in source_versions]
    assert len(ids) == 2

    path = pipeline_file(tmp_path, unique_name, source)
    sentinel = Sentinel(path, kafka, registry_url)
    try:
        expected_valid = sum(1 for i in range(2 * N) if not failed_rules_of(i))
        assert len(consume_all(kafka, valid, expected_valid, group=f"{unique_name}-v", timeout=120)) == expected_valid
    finally:
        assert sentinel.stop() == 0, sentinel.output

    records = datahub_kafka_source(tmp_path, kafka, registry_url, [source, valid, dlq])
    theirs, ours = schema_of(records, valid), schema_of(records, source)
    assert theirs is not None, "DataHub's Kafka source found no schema for the valid topic"
    assert ours is not None and theirs["fields"] == ours["fields"]
    paths = [f["fieldPath"] for f in theirs["fields"]]
    assert "[version=2.0].[type=Order].[type=Address].shippingAddress.[type=string].zip" in paths
    assert any(p.endswith(".giftNote") for p in paths), "the latest writer schema"
    assert schema_of(records, dlq) is None, "the DLQ has no subject"

    subject = f"{valid}-value"
    status, versions = http("GET", f"{registry_url}/subjects/{subject}/versions")
    assert status == 200 and len(versions) == 2, versions
    assert sorted(http("GET", f"{registry_url}/subjects/{subject}/versions/{v}")[1]["id"] for v in versions) == sorted(ids)
    assert http("GET", f"{registry_url}/config/{subject}") == (200, {"compatibilityLevel": "NONE"})
    for schema_id in ids:  # once each, however many records carried it
        assert sum(f"writer schema id {schema_id} registered under {subject}" in line for line in sentinel.lines) == 1

    assert http("DELETE", f"{registry_url}/subjects/{subject}")[0] == 200
    assert http("DELETE", f"{registry_url}/subjects/{subject}?permanent=true")[0] == 200
    dry = subprocess.run([*GOVERNANCE, "sentinel", "replay", str(path), "-b", kafka.bootstrap_servers,
                          "--registry", registry_url, "--dry-run"], capture_output=True, text=True, timeout=300)
    assert dry.returncode == 0 and "would move 0 record(s)" in dry.stdout, dry.stdout + dry.stderr
    assert http("GET", f"{registry_url}/subjects/{subject}/versions")[0] == 404, "a dry run writes nothing"


def test_a_level_of_the_valid_subjects_own_is_kept_and_a_refusal_is_said_once_while_routing_goes_on(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, unique_name: str) -> None:
    source, valid = f"{unique_name}-raw", f"{unique_name}-raw-valid"
    subject = f"{valid}-value"
    create_topic(kafka, source)
    produce_orders(kafka, registry_url, source, range(N))
    assert http("PUT", f"{registry_url}/config/{subject}", {"compatibility": "FULL"})[0] == 200
    other = {"type": "record", "name": "Other", "fields": [{"name": "x", "type": "int"}]}
    assert http("POST", f"{registry_url}/subjects/{subject}/versions", {"schema": json.dumps(other)})[0] == 200

    sentinel = Sentinel(pipeline_file(tmp_path, unique_name, source), kafka, registry_url)
    try:
        consume_all(kafka, valid, sum(1 for i in range(N) if not failed_rules_of(i)), group=f"{unique_name}-v")
        refusal = sentinel.wait_for(rf"{subject} refused writer schema id \d+ \(.*\): records with it go on to the "
                                    r"valid topic, readable by id")
    finally:
        assert sentinel.stop() == 0, sentinel.output
    assert "PUT" in refusal.string and f"/config/{subject}" in refusal.string
    assert sum("refused writer schema id" in line for line in sentinel.lines) == 1
    assert http("GET", f"{registry_url}/config/{subject}") == (200, {"compatibilityLevel": "FULL"})

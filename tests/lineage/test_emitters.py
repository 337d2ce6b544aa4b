"""`lineage emit` through DataHub's own emitters: REST requests captured by a local
server in both wire forms with the bearer token, and the Kafka emitter end to end
through the real broker and our registry, read back with Confluent's deserializer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from gms_capture import GmsCapture
from kafka_helpers import consume_all, create_topic

from governance.kafka import KafkaSettings
from governance.lineage.build import Sources, build_estate
from governance.lineage.datahub import Mapper

PROJECT = Path(__file__).parent / "project"


def expected(registry_url: str | None = None) -> list[tuple[str, str]]:
    """What the project emits (with what the registry holds, when given one)."""
    mcps = Mapper(build_estate(Sources(PROJECT / "schemas", PROJECT / "rules", PROJECT / "lineage", registry_url))).mcps()
    return sorted((m.entityUrn, m.aspectName) for m in mcps)


def emit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "governance", "lineage", "emit", "--project", str(PROJECT), *args],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize(("flag", "path"), [("--restli", "/aspects?action=ingestProposal"),
                                            ("--openapi", "/openapi/v3/entity/")])
def test_rest_sends_every_aspect_with_the_bearer_token(flag: str, path: str, tmp_path: Path) -> None:
    gms = GmsCapture()
    try:
        done = emit("--to", gms.url, "--token", "s3cret", flag, "--registry", "http://127.0.0.1:9")
        assert done.returncode == 2 and "cannot reach the schema registry" in done.stderr  # an explicit registry must answer
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DATAHUB_GMS_TOKEN": "s3cret"}
        done = emit("--to", gms.url, flag, env=env)
        assert done.returncode == 0, done.stderr
        posts = [r for r in gms.requests if r.method == "POST"]
        assert posts and all(r.path.startswith(path) for r in posts)
        assert all(r.headers["Authorization"] == "Bearer s3cret" for r in posts)
        assert sorted((p["entityUrn"], p["aspectName"]) for p in gms.ingested()) == expected()
        assert f"DataHub REST at {gms.url}" in done.stdout
    finally:
        gms.stop()


def test_rest_that_refuses_connections_is_a_clear_error(tmp_path: Path) -> None:
    gms = GmsCapture()
    gms.stop()
    done = emit("--to", gms.url, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"DataHub at {gms.url} did not take the metadata" in done.stderr


def test_the_kafka_emitter_writes_avro_through_our_registry(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path) -> None:
    create_topic(kafka, "payments", partitions=3)  # the fixture project's raw topic, for its partition count
    want = expected(registry_url)  # before: emitting registers DataHub's own MCP schema there
    done = emit("--to", f"kafka://{kafka.bootstrap_servers}", "--registry", registry_url, "-b", kafka.bootstrap_servers)
    assert done.returncode == 0, done.stderr
    messages = consume_all(kafka, "MetadataChangeProposal_v1", len(want), group=f"mcp-{tmp_path.name}", isolation="read_uncommitted")
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    context = SerializationContext("MetadataChangeProposal_v1", MessageField.VALUE)
    records = [deserializer(m.value(), context) for m in messages]
    got = sorted((r["entityUrn"], r["aspectName"]) for r in records)
    assert got == want
    sample = next(r for r in records if r["aspectName"] == "upstreamLineage" and "payments-valid" in r["entityUrn"])
    assert b"urn:li:dataset:(urn:li:dataPlatform:kafka,payments,PROD)" in sample["aspect"]["value"]
    assert sample["aspect"]["contentType"] == "application/json"
    properties = next(json.loads(r["aspect"]["value"]) for r in records if r["aspectName"] == "datasetProperties"
                      and r["entityUrn"] == "urn:li:dataset:(urn:li:dataPlatform:kafka,payments,PROD)")
    assert properties["customProperties"]["partitions"] == "3"


def test_a_registered_schema_with_references_is_read_whole(registry_url: str, tmp_path: Path) -> None:
    """DataHub's Avro reader knows no references: the referenced type is defined in place first."""
    from confluent_kafka.schema_registry import Schema, SchemaReference

    client = SchemaRegistryClient({"url": registry_url})
    suffix = tmp_path.name[-8:].replace("-", "")
    address = {"type": "record", "name": "Address", "namespace": f"ref{suffix}.geo",
               "fields": [{"name": "zip", "type": "string"}]}
    client.register_schema(f"ref{suffix}-address", Schema(json.dumps(address), "AVRO"))
    shipment = {"type": "record", "name": "Shipment", "namespace": f"ref{suffix}",
                "fields": [{"name": "to", "type": f"ref{suffix}.geo.Address"},
                           {"name": "from", "type": f"ref{suffix}.geo.Address"}]}
    client.register_schema(f"ref{suffix}-shipments-value", Schema(json.dumps(shipment), "AVRO", [
        SchemaReference(f"ref{suffix}.geo.Address", f"ref{suffix}-address", 1)]))
    estate = build_estate(Sources(tmp_path / "none", tmp_path / "none", tmp_path / "none", registry_url,
                                  registry_subjects=True))
    mapper = Mapper(estate)
    (schema,) = [m.aspect for m in mapper.mcps() if f"ref{suffix}-shipments," in m.entityUrn and m.aspectName == "schemaMetadata"]
    paths = [f.fieldPath for f in schema.fields]
    assert any(p.endswith("to.[type=string].zip") for p in paths) and any(p.endswith("from.[type=string].zip") for p in paths)

"""DataHub Lite, DataHub's own local store, as a steward without a server would use
it: a file we write imported with `datahub lite import`, and our `--to lite` emitter,
both read back with `datahub lite get` and `ls` in a temporary home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from governance.lineage.build import Sources, build_estate
from governance.lineage.datahub import Mapper
from governance.lineage.model import topic

PROJECT = Path(__file__).parent / "project"
DATAHUB = str(Path(sys.executable).parent / "datahub")
VALID = "urn:li:dataset:(urn:li:dataPlatform:kafka,payments-valid,PROD)"
RAW = "urn:li:dataset:(urn:li:dataPlatform:kafka,payments,PROD)"
JOB = "urn:li:dataJob:(urn:li:dataFlow:(governance,sentinel,prod),payments)"


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """A home with the ~/.datahubenv that DataHub Lite's commands insist on."""
    (tmp_path / ".datahubenv").write_text("gms:\n  server: http://localhost:8080\n  token: ''\n")
    return {**os.environ, "HOME": str(tmp_path), "DATAHUB_TELEMETRY_ENABLED": "false"}


def lite(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([DATAHUB, "lite", *args], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def get(env: dict[str, str], urn: str, aspect: str) -> dict:
    out = json.loads(lite(env, "get", "--urn", urn, "-a", aspect))
    return out[aspect]


def assert_estate_is_there(env: dict[str, str]) -> None:
    upstream = get(env, VALID, "upstreamLineage")
    assert [u["dataset"] for u in upstream["upstreams"]] == [RAW]
    io = get(env, JOB, "dataJobInputOutput")
    assert io["inputDatasets"] == [RAW]
    assert set(io["outputDatasets"]) == {VALID, "urn:li:dataset:(urn:li:dataPlatform:kafka,payments-dlq,PROD)"}
    mapper = Mapper(build_estate(Sources(PROJECT / "schemas", PROJECT / "rules", PROJECT / "lineage")))
    (job,) = [j for j in mapper.estate.jobs if j.kind == "sentinel"]
    for assertion in job.assertions:
        info = get(env, mapper.assertion_urn(assertion), "assertionInfo")
        assert info["customAssertion"]["nativeType"] == assertion.expectation_type
        assert info["customAssertion"]["entity"] == mapper.dataset_urn(topic("payments"))
    assert "payments-valid" in lite(env, "ls", "/streaming/kafka/instances/default/topics").split()


def test_a_file_we_write_imports_into_datahub_lite(tmp_path: Path, home: dict[str, str]) -> None:
    output = tmp_path / "estate.json"
    emitted = subprocess.run([sys.executable, "-m", "governance", "lineage", "emit", "--project", str(PROJECT),
                              "--to", f"file:{output}"], capture_output=True, text=True, env=home)
    assert emitted.returncode == 0, emitted.stderr
    lite(home, "import", "--file", str(output))
    assert_estate_is_there(home)


def test_emit_to_lite_writes_datahubs_default_store_and_twice_changes_nothing(home: dict[str, str]) -> None:
    for _ in range(2):
        emitted = subprocess.run([sys.executable, "-m", "governance", "lineage", "emit", "--project", str(PROJECT),
                                  "--to", "lite"], capture_output=True, text=True, env=home)
        assert emitted.returncode == 0, emitted.stderr
        assert "DataHub Lite at" in emitted.stdout
    assert_estate_is_there(home)
    exported = Path(home["HOME"]) / "export.json"
    lite(home, "export", "--file", str(exported))
    records = json.loads(exported.read_text())
    keys = [(r["entityUrn"], r["aspectName"]) for r in records]
    assert len(keys) == len(set(keys)), "an aspect stored twice"


def test_a_protobuf_topic_imports_into_datahub_lite_with_its_proto_schema(tmp_path: Path, home: dict[str, str]) -> None:
    project = Path(__file__).parent / "protobuf_project"
    output = tmp_path / "protobuf.json"
    emitted = subprocess.run([sys.executable, "-m", "governance", "lineage", "emit", "--project", str(project),
                              "--to", f"file:{output}"], capture_output=True, text=True, env=home)
    assert emitted.returncode == 0, emitted.stderr
    lite(home, "import", "--file", str(output))
    schema = get(home, "urn:li:dataset:(urn:li:dataPlatform:kafka,shipments,PROD)", "schemaMetadata")
    kafka_schema = schema["platformSchema"]["com.linkedin.schema.KafkaSchema"]
    assert kafka_schema == {"documentSchema": (project / "schemas" / "shipments-value.proto").read_text(),
                            "documentSchemaType": "PROTOBUF"}
    paths = [f["fieldPath"] for f in schema["fields"]]
    assert "[version=2.0].[type=logistics_Shipment].[type=union].tracking.[type=string].tracking_number" in paths
    assert len(paths) == 17
    upstream = get(home, "urn:li:dataset:(urn:li:dataPlatform:kafka,shipments-valid,PROD)", "upstreamLineage")
    assert len(upstream["fineGrainedLineages"]) == 13

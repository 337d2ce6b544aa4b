"""The gate starts fast: nothing heavy is imported on its path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gate_cases import ID
from gate_helpers import make_repo, record

HEAVY = ("great_expectations", "pandas", "datahub", "fastavro", "confluent_kafka", "uvicorn",
         "google", "grpc_tools", "grpc", "jsonschema", "jsonschema_rs")
"""protobuf (`google.protobuf`) and grpcio-tools load only for a workspace with `.proto` files, jsonschema only
for one with `.json` files."""


def test_check_imports_nothing_heavy(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"a-value.avsc": record([ID]), "subjects.yml": "a-value:\n  compatibility: FULL\n"})
    repo.write({"a-value.avsc": record([ID, {"name": "x", "type": "int"}])})
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "governance", "schemas", "check", "--against", "HEAD"],
                          cwd=repo.root, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "governance" in imported
    assert imported.isdisjoint(HEAVY), sorted(imported & set(HEAVY))


def test_help_imports_nothing_heavy() -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "governance", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert imported.isdisjoint(HEAVY), sorted(imported & set(HEAVY))


def test_a_json_schema_check_imports_jsonschema_but_nothing_else_heavy(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit({"a-value.json": '{"type": "object", "properties": {"n": {"type": "integer", "maximum": 9}}}\n'})
    repo.write({"a-value.json": '{"type": "object", "properties": {"n": {"type": "integer", "maximum": 5}}}\n'})
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "governance", "schemas", "check", "--against", "HEAD"],
                          cwd=repo.root, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stdout
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "jsonschema" in imported
    assert imported.isdisjoint(set(HEAVY) - {"jsonschema"}), sorted(imported & set(HEAVY))

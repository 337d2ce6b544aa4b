"""A lineage fixture project through the real CLI and DataHub's own checks, offline or against our registry."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from datahub.emitter.mcp import MetadataChangeProposalWrapper

from governance.lineage.build import Sources, build_estate
from governance.lineage.datahub import Mapper

OFFLINE = {"PATH": "/usr/bin:/bin"}
"""No $GOVERNANCE_REGISTRY_URL and no local stack in HOME: schemas/ only."""


def governance(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "governance", *args], capture_output=True, text=True, timeout=120,
                          env={**OFFLINE, "HOME": str(home)})


def aspects(mcps: list[MetadataChangeProposalWrapper], urn_part: str, name: str) -> list:
    return [m.aspect for m in mcps if urn_part in m.entityUrn and m.aspectName == name]


def estate_mcps(project: Path) -> list[MetadataChangeProposalWrapper]:
    return Mapper(build_estate(Sources(project / "schemas", project / "rules", project / "lineage"))).mcps()


def emit_passing_datahubs_check(project: Path, tmp_path: Path) -> Path:
    """`lineage emit` of the project to a file, which `datahub check metadata-file` finds all valid."""
    output = tmp_path / "out.json"
    emitted = governance("lineage", "emit", "--project", str(project), "--to", f"file:{output}", home=tmp_path)
    assert emitted.returncode == 0, emitted.stderr
    checked = subprocess.run([str(Path(sys.executable).parent / "datahub"), "check", "metadata-file", str(output)],
                             capture_output=True, text=True, env={**OFFLINE, "HOME": str(tmp_path)})
    assert checked.returncode == 0 and "all valid" in checked.stdout + checked.stderr, checked.stdout + checked.stderr
    return output


def renamed_project(project: Path, tmp_path: Path, topic: str, name: str) -> Path:
    """The fixture project with the topic and its subject renamed (the session's registry is shared)."""
    copy = tmp_path / "project"
    shutil.copytree(project, copy)
    for path in [p for p in copy.rglob("*") if p.is_file()]:
        path.write_text(path.read_text().replace(topic, name))
        if topic in path.name:
            path.rename(path.with_name(path.name.replace(topic, name)))
    return copy


def emit_with_registry_subjects(project: Path, registry_url: str, tmp_path: Path) -> list[dict[str, Any]]:
    """The records `lineage emit --include-registry-subjects` writes for the project and the registry."""
    output = tmp_path / "out.json"
    emitted = subprocess.run([sys.executable, "-m", "governance", "lineage", "emit", "--project", str(project),
                              "--registry", registry_url, "--include-registry-subjects", "--to", f"file:{output}"],
                             capture_output=True, text=True, timeout=120, env={**OFFLINE, "HOME": str(tmp_path)})
    assert emitted.returncode == 0, emitted.stderr
    return json.loads(output.read_text())


def kafka_aspect(records: list[dict[str, Any]], topic_name: str, aspect_name: str) -> dict:
    """The one aspect of a Kafka topic's dataset among emitted records."""
    urn = f"urn:li:dataset:(urn:li:dataPlatform:kafka,{topic_name},PROD)"
    (found,) = [r["aspect"]["json"] for r in records if r["entityUrn"] == urn and r["aspectName"] == aspect_name]
    return found

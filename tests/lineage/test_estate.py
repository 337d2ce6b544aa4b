"""What `lineage emit` publishes, through the real command and the session's registry: the
declared compatibility level (the registry's beside it, a warning where they differ)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import uuid
from pathlib import Path

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

ROOT = Path(__file__).resolve().parents[2]
PROJECT = Path(__file__).parent / "project"


def governance(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "governance", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


def without_a_registry(tmp_path: Path) -> dict[str, str]:
    """No registry answers: none in the environment (a closed port) and no local stack's to fall back on,
    whatever runs on this machine."""
    return {**os.environ, "GOVERNANCE_REGISTRY_URL": f"http://127.0.0.1:{closed_port()}",
            "GOVERNANCE_STACK_DIR": str(tmp_path / "no-stack")}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def emitted(path: Path) -> list[dict]:
    return json.loads(path.read_text())


def properties(mcps: list[dict], topic_name: str) -> dict[str, str]:
    urn = f"urn:li:dataset:(urn:li:dataPlatform:kafka,{topic_name},PROD)"
    (found,) = [m["aspect"]["json"]["customProperties"] for m in mcps
                if m["entityUrn"] == urn and m["aspectName"] == "datasetProperties"]
    return found


def governed_project(root: Path, subject: str, level: str) -> Path:
    (root / "schemas").mkdir(parents=True)
    (root / "schemas" / f"{subject}.avsc").write_text((PROJECT / "schemas" / "payments-value.avsc").read_text())
    (root / "schemas" / "subjects.yml").write_text(f"{subject}:\n  compatibility: {level}\n")
    return root


def test_emit_publishes_the_declared_level_and_warns_while_the_registry_inherits_another(
        registry_url: str, tmp_path: Path) -> None:
    subject = f"lv{uuid.uuid4().hex[:8]}-value"
    project = governed_project(tmp_path / "project", subject, "FULL_TRANSITIVE")
    client = SchemaRegistryClient({"url": registry_url})
    client.register_schema(subject, Schema((project / "schemas" / f"{subject}.avsc").read_text(), "AVRO"))
    global_level = client.get_compatibility()
    assert global_level != "FULL_TRANSITIVE"
    out = tmp_path / "out.json"

    done = governance("lineage", "emit", "--project", str(project), "--registry", registry_url, "--to", f"file:{out}")
    assert done.returncode == 0, done.stderr
    assert (f"warning: {subject}: the registry enforces {global_level} (inherited from the registry’s global level), "
            f"but schemas/subjects.yml declares FULL_TRANSITIVE; `governance schemas register` applies the declared level"
            ) in done.stderr
    props = properties(emitted(out), subject.removesuffix("-value"))
    assert props["compatibility"] == "FULL_TRANSITIVE"
    assert props["compatibility_declared_in"] == "schemas/subjects.yml"
    assert (props["registry_compatibility"], props["registry_compatibility_inherited"]) == (global_level, "true")

    offline = governance("lineage", "emit", "--project", str(project), "--to", f"file:{out}", env=without_a_registry(tmp_path))
    assert offline.returncode == 0, offline.stderr
    assert "no schema registry reached" in offline.stderr and "warning:" not in offline.stderr
    props = properties(emitted(out), subject.removesuffix("-value"))
    assert props["compatibility"] == "FULL_TRANSITIVE" and "registry_compatibility" not in props

    registered = governance("schemas", "register", "--registry", registry_url, "--schemas", str(project / "schemas"))
    assert registered.returncode == 0, registered.stdout + registered.stderr
    again = governance("lineage", "emit", "--project", str(project), "--registry", registry_url, "--to", f"file:{out}")
    assert again.returncode == 0 and "warning:" not in again.stderr, again.stderr
    props = properties(emitted(out), subject.removesuffix("-value"))
    assert (props["compatibility"], props["registry_compatibility"], props["registry_compatibility_inherited"]) == \
        ("FULL_TRANSITIVE", "FULL_TRANSITIVE", "false")


def topics_of_file(mcps: list[dict]) -> set[str]:
    prefix = "urn:li:dataset:(urn:li:dataPlatform:kafka,"
    return {m["entityUrn"].removeprefix(prefix).rsplit(",", 1)[0] for m in mcps if m["entityUrn"].startswith(prefix)}


def topics_of_show(project: Path) -> set[str]:
    done = governance("lineage", "show", "--project", str(project))
    assert done.returncode == 0, done.stderr
    return set(re.findall(r"kafka:(\S+)", done.stdout))


def datasets_of_file(mcps: list[dict]) -> set[str]:
    pattern = re.compile(r"^urn:li:dataset:\(urn:li:dataPlatform:([^,]+),(.*),PROD\)$")
    return {"{}:{}".format(*match.groups()) for m in mcps if (match := pattern.match(m["entityUrn"]))}


def datasets_of_show(project: Path) -> set[str]:
    done = governance("lineage", "show", "--project", str(project))
    return {match.group(1) for line in done.stdout.splitlines()
            if (match := re.match(r"^\s+(?:<- |-> )?([a-z0-9-]+:\S+)", line))}


def test_emit_publishes_the_estate_lineage_show_draws_and_registry_leftovers_only_on_request(
        registry_url: str, tmp_path: Path) -> None:
    leftover = f"leftover{uuid.uuid4().hex[:8]}-kpi-value"
    SchemaRegistryClient({"url": registry_url}).register_schema(
        leftover, Schema('{"type": "record", "name": "Kpi", "fields": [{"name": "n", "type": "long"}]}', "AVRO"))
    out = tmp_path / "out.json"
    done = governance("lineage", "emit", "--project", str(ROOT), "--registry", registry_url, "--to", f"file:{out}")
    assert done.returncode == 0, done.stderr
    shown = topics_of_show(ROOT)
    assert {"orders", "orders-valid", "orders-dlq", "orders-s3-sink-dlq"} <= shown
    assert topics_of_file(emitted(out)) == shown
    assert datasets_of_file(emitted(out)) == datasets_of_show(ROOT)
    assert f"{len(shown)} topics" in done.stdout

    everything = governance("lineage", "emit", "--project", str(ROOT), "--registry", registry_url,
                            "--include-registry-subjects", "--to", f"file:{out}")
    assert everything.returncode == 0, everything.stderr
    assert shown | {leftover.removesuffix("-value")} <= topics_of_file(emitted(out))
    offline = governance("lineage", "emit", "--project", str(ROOT), "--registry", "http://127.0.0.1:9",
                         "--include-registry-subjects", "--to", f"file:{out}")
    assert offline.returncode == 2 and "cannot reach the schema registry" in offline.stderr


def test_the_owners_and_tags_of_a_lineage_file_reach_every_dataset_and_job_of_its_flow(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    done = governance("lineage", "emit", "--project", str(ROOT), "--to", f"file:{out}", env=without_a_registry(tmp_path))
    assert done.returncode == 0, done.stderr
    mcps = emitted(out)
    flow = [f"urn:li:dataset:(urn:li:dataPlatform:kafka,{t},PROD)"
            for t in ("orders", "orders-valid", "orders-dlq", "orders-s3-sink-dlq")]
    flow += ["urn:li:dataset:(urn:li:dataPlatform:postgres,shop.orders,PROD)",
             "urn:li:dataset:(urn:li:dataPlatform:s3,shop-data-lake/raw/kafka/orders-valid,PROD)",
             "urn:li:dataJob:(urn:li:dataFlow:(governance,sentinel,prod),orders)",
             "urn:li:dataJob:(urn:li:dataFlow:(kafka-connect,kafka-connect,prod),orders-s3-sink)",
             "urn:li:dataJob:(urn:li:dataFlow:(kafka-connect,kafka-connect,prod),orders-jdbc-source)"]

    def aspect(urn: str, name: str) -> dict:
        (found,) = [m["aspect"]["json"] for m in mcps if m["entityUrn"] == urn and m["aspectName"] == name]
        return found

    for urn in flow:
        assert [o["owner"] for o in aspect(urn, "ownership")["owners"]] == ["urn:li:corpGroup:orders-team"], urn
        assert [t["tag"] for t in aspect(urn, "globalTags")["tags"]] == ["urn:li:tag:shop"], urn
    impact = governance("lineage", "impact", "orders-value", "--project", str(ROOT))
    assert impact.returncode == 0, impact.stderr
    lines = impact.stdout.splitlines()
    assert lines[lines.index("owners to tell:") + 1].startswith("  orders-team: kafka:orders, sentinel orders")


def test_a_sentinel_reports_its_job_and_topics_with_the_owners_and_tags_of_its_flow() -> None:
    from governance.lineage.build import pipeline_estate
    from governance.lineage.model import topic

    estate = pipeline_estate(PROJECT / "rules" / "payments.yml", None)
    (job,) = estate.jobs
    assert job.owners == ("payments-team", "user:alice") and job.tags == ("quality", "finance")
    for name in ("payments", "payments-valid", "payments-dlq"):
        assert (estate.datasets[topic(name)].owners, estate.datasets[topic(name)].tags) == (("payments-team",), ("finance",))

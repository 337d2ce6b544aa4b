"""Declared lineage files and Kafka Connect configs: what they become, and the file,
line and reason for every mistake."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from governance.errors import GovernanceError
from governance.lineage.build import Sources, build_estate
from governance.lineage.connect import load_connector
from governance.lineage.model import DatasetRef, topic

PROJECT = Path(__file__).parent / "project"
ROOT = Path(__file__).resolve().parents[2]


def project_with(tmp_path: Path, lineage_yml: str, connectors: dict[str, object] | None = None) -> Path:
    """The fixture project with lineage/extra.yml (and connector configs) added."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    (project / "lineage" / "extra.yml").write_text(textwrap.dedent(lineage_yml).lstrip("\n"))
    for name, config in (connectors or {}).items():
        path = project / "lineage" / name
        path.write_text(config if isinstance(config, str) else json.dumps(config, indent=2))
    return project


def error_of(project: Path) -> str:
    with pytest.raises(GovernanceError) as e:
        build_estate(Sources(project / "schemas", project / "rules", project / "lineage"))
    return e.value.message


def test_the_repository_declares_flows_for_every_seed_subject() -> None:
    estate = build_estate(Sources(ROOT / "schemas", ROOT / "rules", ROOT / "lineage"))
    for raw in ("orders", "transactions", "user-activity", "shipments", "returns"):
        assert estate.writers(topic(raw)), f"nothing declared writes {raw}"
        assert estate.readers(topic(f"{raw}-valid")), f"nothing declared reads {raw}-valid"
    (sink,) = [j for j in estate.jobs if j.name == "orders-s3-sink"]
    assert sink.outputs == (DatasetRef("s3", "shop-data-lake/raw/kafka/orders-valid"), topic("orders-s3-sink-dlq"))


@pytest.mark.parametrize(("config", "inputs", "outputs"), [
    ({"connector.class": "io.confluent.connect.s3.S3SinkConnector", "topics": "a, b", "s3.bucket.name": "lake",
      "errors.deadletterqueue.topic.name": "a-dlq"},
     ["kafka:a", "kafka:b"], ["s3:lake/topics/a", "s3:lake/topics/b", "kafka:a-dlq"]),
    ({"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": "a",
      "connection.url": "jdbc:postgresql://db:5432/wh", "table.name.format": "kafka_${topic}"},
     ["kafka:a"], ["postgres:wh.kafka_a"]),
    ({"connector.class": "com.snowflake.kafka.connector.SnowflakeSinkConnector", "topics": "a",
      "snowflake.database.name": "DB", "snowflake.schema.name": "S", "snowflake.topic2table.map": "a:T"},
     ["kafka:a"], ["snowflake:db.s.t"]),
    ({"connector.class": "io.debezium.connector.postgresql.PostgresConnector", "topic.prefix": "shop",
      "database.dbname": "shop", "table.include.list": "public.orders"},
     ["postgres:shop.public.orders"], ["kafka:shop.public.orders"]),
    ({"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector", "connection.url": "jdbc:mysql://db:3306/app",
      "table.include.list": "users", "topic.prefix": "app-"},
     ["mysql:app.users"], ["kafka:app-users"]),
], ids=["s3-sink", "jdbc-sink", "snowflake-sink", "debezium-postgres", "jdbc-source"])
def test_connector_configs_become_jobs(tmp_path: Path, config: dict, inputs: list[str], outputs: list[str]) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"name": "c", "config": config}))
    job = load_connector(path)
    assert [str(r) for r in job.inputs] == inputs and [str(r) for r in job.outputs] == outputs
    assert (job.kind, job.orchestrator, job.name) == ("connector", "kafka-connect", "c")


@pytest.mark.parametrize(("text", "line", "message"), [
    ("jobs:\n  - name: j\n    inputs: [postgress:db.t]\n    outputs: [kafka:payments]\n", 3,
     "unknown platform `postgress` (did you mean `postgres`?)"),
    ("jobs:\n  - name: j\n    inputs: [postgres:]\n    outputs: [kafka:payments]\n", 3, "has no name after `postgres:`"),
    ("jobs:\n  - name: j\n    inputs: [orders]\n    outputs: [kafka:payments]\n", 3, "needs a platform"),
    ("jobs:\n  - name: j\n    outputs: [kafka:payments]\n", 2, "job `j` has no inputs"),
    ("jobs:\n  - name: j\n    inputs: [postgres:db.t]\n    outputs: []\n", 2, "job `j` has no outputs"),
    ("jobs:\n  - name: j\n    inputs: [kafka:nowhere]\n    outputs: [s3:b/p]\n", 3,
     "topic `nowhere` is not a topic this project knows"),
    ("datasets:\n  - description: x\n", 2, "missing the required key `dataset`"),
    ("jobz: []\n", 1, "unknown key `jobz`"),
    ("connectors:\n  - connect/missing.json\n", 2, "does not exist"),
    ("jobs:\n  - name: j\n    orchestrator: cron\n    inputs: [postgres:db.t]\n    outputs: [s3:b/p]\n", 3,
     "unknown platform `cron`"),
    ("jobs: [\n", 2, "YAML syntax error"),
])
def test_mistakes_in_a_lineage_file_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    project = project_with(tmp_path, text)
    error = error_of(project)
    assert error.startswith(f"{project / 'lineage' / 'extra.yml'}, line {line}:"), error
    assert message in error


@pytest.mark.parametrize(("config", "line", "message"), [
    ('{\n  "name": "x",\n  "config": {\n    "topics": "payments"\n  }\n}\n', 3, "no `connector.class`"),
    ('{\n  "name": "x",\n  "config": {\n    "connector.class": "com.acme.Sink",\n    "topics": "payments"\n  }\n}\n', 4,
     "connector class com.acme.Sink is not one this tool can read"),
    ('{\n  "config": {\n    "connector.class": "io.confluent.connect.s3.S3SinkConnector",\n'
     '    "s3.bucket.name": "b"\n  }\n}\n', 2, "needs `topics` or `topics.regex`"),
    ('{\n  "config": {\n    "connector.class": "io.confluent.connect.s3.S3SinkConnector",\n'
     '    "topics.regex": "zzz.*",\n    "s3.bucket.name": "b"\n  }\n}\n', 4, "matches no topic"),
    ('{\n  "config": {\n    "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",\n'
     '    "topics": "payments",\n    "connection.url": "jdbc:foo://x/y"\n  }\n}\n', 5,
     "cannot tell the database platform"),
    ('{\n  "config": {\n    "connector.class": "io.confluent.connect.s3.S3SinkConnector",\n    "topics": "nowhere",\n'
     '    "s3.bucket.name": "b"\n  }\n}\n', 0, "topic `nowhere` is not a topic this project knows"),
    ('{"config": {"connector.class": \n', 2, "YAML syntax error"),
], ids=["no-class", "unknown-class", "no-topics", "regex-matches-nothing", "unknown-jdbc", "unknown-topic", "syntax"])
def test_mistakes_in_a_connector_config_name_file_and_line(tmp_path: Path, config: str, line: int, message: str) -> None:
    project = project_with(tmp_path, "connectors:\n  - connect/bad.json\n", {"connect/bad.json": config})
    error = error_of(project)
    where = project / "lineage" / "connect" / "bad.json"
    assert error.startswith(f"{where}, line {line}:" if line else str(where)), error
    assert message in error

"""Rule columns against the subject's registered schemas: the column paths an Avro
schema gives records (as `validate.flatten` names them), and the message for a
column no version has. End to end: `sentinel run` and `sentinel check` stop on a
misspelt column, accept one only a later version has, and a JSON pipeline reports
a column no record had."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import yaml
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka_helpers import create_topic
from sentinel_helpers import GOVERNANCE, ORDER_SCHEMA, Sentinel, kpi_records

from governance.kafka import KafkaSettings
from governance.formats import format_for
from governance.sentinel.columns import unknown_columns
from governance.sentinel.pipeline import Rule

PAYMENT_V1 = {"type": "record", "name": "Payment", "namespace": "test.columns",
              "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}]}
PAYMENT_V2 = {**PAYMENT_V1, "fields": [*PAYMENT_V1["fields"], {"name": "currency", "type": "string", "default": "EUR"}]}


def rule(column: str, line: int = 7) -> Rule:
    return Rule(f"r-{column}", "expect_column_values_to_not_be_null", {"column": column}, "critical", line)


def test_an_unknown_column_names_the_nearest_field_and_lists_the_others() -> None:
    (problem,) = unknown_columns([rule("amout"), rule("id")], format_for("AVRO").columns(json.dumps(PAYMENT_V1)), "payments-value (version 1)")
    assert problem.column == "amout"
    assert "did you mean `amount`?" in problem.message and "fields: amount, id" in problem.message
    (nested,) = unknown_columns([rule("shippingAddress")], format_for("AVRO").columns(ORDER_SCHEMA), "orders-value")
    assert "nested record" in nested.message and "shippingAddress.zip" in nested.message


# -------------------------------------------------------------------- end to end


def register(registry_url: str, subject: str, *schemas: dict) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    for schema in schemas:
        client.register_schema(subject, Schema(json.dumps(schema), "AVRO"))


def amount_pipeline(tmp_path: Path, name: str, source: str, column: str, value_format: str = "avro") -> Path:
    path = tmp_path / f"{name}.yml"
    doc = {"name": name, "source": source, "value_format": value_format,
           "window": {"seconds": 1}, "commit": {"every_records": 1000, "every_ms": 200},
           "expectations": [{"expectation": "expect_column_values_to_be_between", "column": column, "min_value": 0}]}
    if value_format == "avro":
        doc["subject"] = f"{source}-value"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def governance(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GOVERNANCE, *args], capture_output=True, text=True, timeout=120)


def test_a_misspelt_column_stops_run_and_check_with_file_the_column_line_and_the_nearest_field(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, unique_name: str) -> None:
    source = f"{unique_name}-raw"
    create_topic(kafka, source)
    register(registry_url, f"{source}-value", PAYMENT_V1)
    path = amount_pipeline(tmp_path, unique_name, source, "amout")
    lines = path.read_text().splitlines()
    line = 1 + lines.index("  column: amout")
    assert line == 2 + lines.index("- expectation: expect_column_values_to_be_between"), "the rule starts a line earlier"
    for command in (["sentinel", "check", str(path), "--registry", registry_url],
                    ["sentinel", "run", str(path), "-b", kafka.bootstrap_servers, "--registry", registry_url]):
        done = governance(*command)
        assert done.returncode == 2, done.stdout + done.stderr
        assert f"{path}, line {line}:" in done.stderr
        assert "`amout`" in done.stderr and "did you mean `amount`?" in done.stderr and "fields: amount, id" in done.stderr
        assert "Traceback" not in done.stderr
    assert f"{source}-valid" not in AdminClient(kafka.client_config()).list_topics(timeout=10).topics, \
        "nothing is created for a pipeline that cannot start"


def test_each_misspelt_column_of_a_list_points_at_its_own_line(
        registry_url: str, tmp_path: Path, unique_name: str) -> None:
    source = f"{unique_name}-raw"
    register(registry_url, f"{source}-value", PAYMENT_V1)
    path = tmp_path / "p.yml"
    path.write_text(f"name: {unique_name}\nsource: {source}\nexpectations:\n"
                    "  - expectation: expect_select_column_values_to_be_unique_within_record\n"
                    "    column_list:\n      - id\n      - amout\n"
                    "  - expectation: expect_column_pair_values_a_to_be_greater_than_b\n"
                    "    column_A: amount\n    column_B: idd\n")
    done = governance("sentinel", "check", str(path), "--registry", registry_url)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{path}, line 7: column `amout`" in done.stderr
    assert "\n  line 10: column `idd`" in done.stderr


def test_a_field_only_a_later_version_has_is_accepted(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, unique_name: str) -> None:
    source = f"{unique_name}-raw"
    register(registry_url, f"{source}-value", PAYMENT_V1, PAYMENT_V2)
    done = governance("sentinel", "check", str(amount_pipeline(tmp_path, unique_name, source, "currency")),
                      "--registry", registry_url)
    assert done.returncode == 0, done.stderr
    assert f"every rule column is a field of {source}-value (versions 1-2)" in done.stdout


def json_topic(kafka: KafkaSettings, name: str, values: list[dict]) -> str:
    source = f"{name}-raw"
    create_topic(kafka, source)
    producer = Producer(kafka.client_config())
    for value in values:
        producer.produce(source, json.dumps(value).encode())
    assert producer.flush(30) == 0
    return source


def test_a_json_pipeline_reports_a_column_no_record_had(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, unique_name: str) -> None:
    """No schema to check against: the window line and the KPI record say the rule checked nothing."""
    source = json_topic(kafka, unique_name, [{"id": i, "amount": -5 if i % 10 == 0 else 7} for i in range(100)])
    path = amount_pipeline(tmp_path, unique_name, source, "amout", value_format="json")
    sentinel = Sentinel(path, kafka, registry_url)
    sentinel.wait_for(r"no record had column\(s\) amout: the rules on them checked nothing")
    assert sentinel.stop() == 0
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    kpis = kpi_records(kafka, f"{unique_name}-kpi", f"{unique_name}-k",
                       lambda v: deserializer(v, SerializationContext(f"{unique_name}-kpi", MessageField.VALUE)))
    with_records = [k for k in kpis if k["window"]["records_in"]]
    assert with_records and all(k["unseen_columns"] == ["amout"] for k in with_records)
    assert sum(k["window"]["records_in"] for k in kpis) == 100


def test_a_json_column_that_records_have_is_not_reported(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, unique_name: str) -> None:
    source = json_topic(kafka, unique_name, [{"id": i, "amount": 7} for i in range(50)])
    sentinel = Sentinel(amount_pipeline(tmp_path, unique_name, source, "amount", value_format="json"), kafka, registry_url)
    sentinel.wait_for(r"window .*: 50 in, 50 valid")
    time.sleep(1.5)
    assert sentinel.stop() == 0
    assert "no record had column" not in sentinel.output

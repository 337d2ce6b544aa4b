"""A `subject` that is not the producers' one used to send every record to the DLQ. Now
`sentinel check` and `sentinel run` refuse a subject with nothing registered when a
registered one is a typo away, say plainly when none is; records whose schema ids belong
to another subject are named as such; and without a `dlq_limit` a pipeline whose first
1,000 records all fail stops (exit 3) after committing what it routed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka_helpers import consume_all, create_topic
from sentinel_helpers import GOVERNANCE, ORDER_SCHEMA, Sentinel, order, pipeline_file

from governance.kafka import KafkaSettings
from governance.sentinel.subjects import near_subjects


def governance(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GOVERNANCE, *args], capture_output=True, text=True, timeout=120)


def register(registry_url: str, subject: str, schema: str = ORDER_SCHEMA) -> None:
    SchemaRegistryClient({"url": registry_url}).register_schema(subject, Schema(schema, "AVRO"))


def with_note(schema: str) -> str:
    """Another schema than `schema` (so another id), with the same fields and one more."""
    parsed = json.loads(schema)
    parsed["fields"].append({"name": "note", "type": ["null", "string"], "default": None})
    return json.dumps(parsed)


def test_a_near_subject_is_a_typo_away_and_other_tests_subjects_are_not() -> None:
    assert near_subjects("trial-sensor-value", ["orders-value", "trial-sensors-value"]) == ["trial-sensors-value"]
    assert near_subjects("test_x-1a2b3c4d-raw-value", ["test_x-9f8e7d6c-raw-value"]) == []


def test_a_mistyped_subject_stops_check_and_run_with_the_subject_line_and_did_you_mean(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, unique_name: str) -> None:
    source = f"{unique_name}-raw"
    create_topic(kafka, source)
    register(registry_url, f"{unique_name}-sensors-value")
    path = pipeline_file(tmp_path, unique_name, source, subject=f"{unique_name}-sensor-value")
    line = 1 + next(i for i, text in enumerate(path.read_text().splitlines()) if text.startswith("subject:"))
    for command in (["sentinel", "check", str(path), "--registry", registry_url],
                    ["sentinel", "run", str(path), "-b", kafka.bootstrap_servers, "--registry", registry_url]):
        done = governance(*command)
        assert done.returncode == 2, done.stdout + done.stderr
        assert f"{path}, line {line}: nothing is registered under subject {unique_name}-sensor-value" in done.stderr
        assert f"did you mean {unique_name}-sensors-value?" in done.stderr
        assert "OK" not in done.stdout and "Traceback" not in done.stderr
    assert f"{source}-dlq" not in AdminClient(kafka.client_config()).list_topics(timeout=10).topics, "nothing started"


def test_a_subject_with_nothing_registered_and_nothing_near_is_said_plainly(
        registry_url: str, tmp_path: Path, unique_name: str) -> None:
    path = pipeline_file(tmp_path, unique_name, f"{unique_name}-raw")
    done = governance("sentinel", "check", str(path), "--registry", registry_url)
    assert done.returncode == 0, done.stderr
    assert (f"columns not checked: nothing is registered under subject {unique_name}-raw-value (`subject`) and no "
            "registered subject has a similar name; until a schema is registered under "
            f"{unique_name}-raw-value, every record goes to the DLQ (stage deserialize)") in done.stdout


def test_records_of_another_subject_are_named_and_the_default_limit_stops_the_flood(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, unique_name: str) -> None:
    """The pipeline's subject exists, but the producer writes under another one: every record fails.
    The sentinel says whose ids they carry, and stops once its first 1,000 records all failed,
    with what it routed committed exactly once."""
    source, other = f"{unique_name}-raw", f"{unique_name}-legacy-orders"
    create_topic(kafka, source)
    register(registry_url, f"{source}-value", with_note(ORDER_SCHEMA))
    own = json.dumps({**json.loads(ORDER_SCHEMA), "namespace": f"test.subjects.u{unique_name[-8:]}"})
    serializer = AvroSerializer(SchemaRegistryClient({"url": registry_url}), own,
                                conf={"subject.name.strategy": lambda ctx, record_name: other})
    producer = Producer(kafka.client_config(linger_ms=20))
    context = SerializationContext(source, MessageField.VALUE)
    n = 5000
    for i in range(n):
        producer.produce(source, serializer(order(i), context), f"k{i}".encode())
        if i % 1000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0
    path = pipeline_file(tmp_path, unique_name, source, window={"seconds": 1},
                         commit={"every_records": 500, "every_ms": 200})
    sentinel = Sentinel(path, kafka, registry_url)
    code = sentinel.process.wait(180)
    out = sentinel.output
    assert code == 3, out
    assert f"record(s) of a batch carry schema ids of subject {other}, not {source}-value" in out
    assert f"record(s) carry schema ids of subject {other}, not {source}-value" in out, "the window line says it"
    assert f"all went to {source}-dlq (dlq_limit: first_records 1,000)" in out
    assert f"carry schema ids of subject {other}, not {source}-value: is `subject` right" in out
    assert "everything read so far is routed and committed" in out and "Traceback" not in out
    routed = int(out.split("stopped after ")[1].split(" records")[0].replace(",", ""))
    assert 1000 <= routed < n, "stopped early, not after the whole topic"
    assert len(consume_all(kafka, f"{source}-dlq", routed, group=f"{unique_name}-d")) == routed
    consumer = Consumer({**kafka.client_config(), "group.id": f"sentinel-{unique_name}"})
    try:
        (committed,) = consumer.committed([TopicPartition(source, 0)], timeout=10)
    finally:
        consumer.close()
    assert committed.offset == routed, "the routed records' offsets are committed with them"


def test_a_pipeline_with_valid_records_is_not_stopped_by_the_default_limit(
        kafka: KafkaSettings, tmp_path: Path, unique_name: str) -> None:
    source = f"{unique_name}-raw"
    create_topic(kafka, source)
    producer = Producer(kafka.client_config(linger_ms=20))
    for i in range(3000):
        producer.produce(source, json.dumps({"id": i if i == 0 else None}).encode())
    assert producer.flush(60) == 0
    path = tmp_path / "p.yml"
    path.write_text(f"name: {unique_name}\nsource: {source}\nvalue_format: json\n"
                    "expectations:\n  - {expectation: expect_column_values_to_not_be_null, column: id}\n")
    sentinel = Sentinel(path, kafka, None, "--idle-exit", "3")
    assert sentinel.process.wait(180) == 0, sentinel.output
    assert "stopped after 3,000 records (1 valid, 2,999 to the DLQ)" in sentinel.output

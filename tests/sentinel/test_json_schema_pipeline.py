"""`value_format: json_schema` end to end: records written by confluent-kafka's JSONSerializer against our
registry, each checked against its registered schema (a `$ref` to another subject's schema included) before
the rules; what the schema refuses, and every other kind of poison, in the DLQ at stage `deserialize` with
the reason, exactly once through a SIGKILL."""

from __future__ import annotations

import json
import struct
import subprocess
import time
from collections import Counter
from pathlib import Path

import yaml
from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka_helpers import consume_all, create_topic
from sentinel_helpers import GOVERNANCE, Sentinel, records_in, start, wait_until

from governance.kafka import KafkaSettings
from governance.sentinel.decode import Decoder, DecodeFailure

ADDRESS = {"type": "object", "properties": {"zip": {"type": "string"},
                                            "country": {"type": "string", "minLength": 2, "maxLength": 2}},
           "required": ["zip", "country"]}
ORDER = {"$schema": "http://json-schema.org/draft-07/schema#", "title": "Order", "type": "object",
         "properties": {"orderId": {"type": "string"}, "totalCents": {"type": "integer"},
                        "shippingAddress": {"$ref": "address.json"},
                        "couponCode": {"type": ["string", "null"]}},
         "required": ["orderId", "totalCents", "shippingAddress"]}
OTHER = {"type": "object", "properties": {"n": {"type": "integer"}}}

ZIP_RULE = "expect_column_values_to_match_regex(shippingAddress.zip)"
TOTAL_RULE = "expect_column_values_to_be_between(totalCents)"
WORK = 8


def order(i: int) -> dict:
    """Every 17th order has a three-letter country (the referenced schema refuses it), every 7th a negative
    total (the top-level rule), every 5th a bad zip (the nested rule)."""
    return {"orderId": f"o-{i}", "totalCents": -5 if i % 7 == 0 else 1000 + i,
            "shippingAddress": {"zip": "!!" if i % 5 == 0 else "10115", "country": "DEU" if i % 17 == 0 else "DE"},
            "couponCode": None if i % 2 else "SAVE10"}


def expected(i: int) -> tuple[str, list[str]]:
    """Where order i goes: ("valid", []), ("schema", []) or ("rules", the critical rules it fails)."""
    if i % 17 == 0:
        return "schema", []
    failed = [rule for rule, bad in ((TOTAL_RULE, i % 7 == 0), (ZIP_RULE, i % 5 == 0)) if bad]
    return ("rules", failed) if failed else ("valid", [])


class Subjects:
    """The order schema (with its reference) under `<source>-value`, another subject's schema, and the serializer."""

    def __init__(self, registry_url: str, source: str) -> None:
        client = SchemaRegistryClient({"url": registry_url})
        self.subject = f"{source}-value"
        client.register_schema(f"{source}-address", Schema(json.dumps(ADDRESS), "JSON"))
        schema = Schema(json.dumps(ORDER), "JSON", [SchemaReference("address.json", f"{source}-address", 1)])
        self.id = client.register_schema(self.subject, schema)
        self.other_id = client.register_schema(f"{source}-other-value", Schema(json.dumps(OTHER), "JSON"))
        # validate=False: the serializer writes what its schema refuses too, as a careless producer would.
        conf = {"auto.register.schemas": False, "use.latest.version": True, "validate": False}
        self._serialize = JSONSerializer(schema, client, conf=conf)
        self._context = SerializationContext(source, MessageField.VALUE)

    def value(self, record: dict) -> bytes:
        return self._serialize(record, self._context)


def poison(subjects: Subjects) -> dict[str, tuple[bytes | None, str, str]]:
    """Kind -> (value, exception class, text the reason holds)."""
    header = b"\x00" + struct.pack(">I", subjects.id)
    return {
        "not-json": (header + b'{"orderId": "o-1", ', "JSONDecodeError", "not JSON"),
        "not-utf8": (header + b'{"orderId": "\xff\xfe"}', "UnicodeDecodeError", "not UTF-8"),
        "wrong-id": (b"\x00" + struct.pack(">I", subjects.other_id) + b'{"n": 1}', "SchemaNotCompliant",
                     f"not under {subjects.subject}"),
        "unknown-id": (b"\x00" + struct.pack(">I", 2_000_000_000) + b"{}", "SchemaNotCompliant", "unknown schema id"),
        "no-magic": (json.dumps(order(1)).encode(), "SerializationError", "magic byte"),
        "refused": (subjects.value({"orderId": 7, "totalCents": 1, "shippingAddress": {"zip": "1", "country": "DE"}}),
                    "JsonSchemaViolation", "$.orderId"),
        "tombstone": (None, "NullValue", "tombstone"),
    }


def write_pipeline(directory: Path, name: str, source: str, **extra: object) -> Path:
    doc = {"name": name, "source": source, "value_format": "json_schema",
           "expectations": [
               {"expectation": "expect_column_values_to_be_between", "column": "totalCents", "min_value": 0},
               {"expectation": "expect_column_values_to_match_regex", "column": "shippingAddress.zip",
                "regex": "^[0-9]{5}$"}],
           "commit": {"every_records": 500, "every_ms": 300}, **extra}
    path = directory / f"{name}.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def produce(kafka: KafkaSettings, topic: str, items: list[tuple[bytes, bytes | None]]) -> None:
    producer = Producer(kafka.client_config(enable_idempotence=True, linger_ms=20, acks="all"))
    for key, value in items:
        while True:
            try:
                producer.produce(topic, value, key)
                break
            except BufferError:
                producer.poll(0.05)
    assert producer.flush(60) == 0


def test_the_decoder_checks_each_value_against_its_registered_schema(registry_url: str, unique_name: str) -> None:
    subjects = Subjects(registry_url, unique_name)
    decoder = Decoder("json_schema", registry_url, subjects.subject)
    assert decoder.decode(subjects.value(order(1))) == order(1)
    for kind, (value, exception_class, text) in poison(subjects).items():
        failure = decoder.decode(value)
        assert isinstance(failure, DecodeFailure), kind
        assert (failure.exception_class, text in failure.reason) == (exception_class, True), (kind, failure)
    nested = decoder.decode(subjects.value(order(17)))
    assert isinstance(nested, DecodeFailure)
    assert nested.reason.startswith(f"schema id {subjects.id} refuses the value at $.shippingAddress.country: ")
    assert "longer than 2 characters" in nested.reason


def test_no_body_after_a_good_header_makes_the_decoder_raise(registry_url: str, unique_name: str) -> None:
    """What json.loads or jsonschema-rs raise beyond "not JSON" and "refused" is a DecodeFailure too."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    subjects = Subjects(registry_url, unique_name)
    decoder = Decoder("json_schema", registry_url, subjects.subject)
    header = subjects.value(order(1))[:5]
    for body, exception_class in ((b'{"\\ud800": 1}', "UnicodeEncodeError"),
                                  (b'{"totalCents": 1' + b"0" * 5000 + b"}", "ValueError"),
                                  (b"[" * 100 + b"]" * 100, "JsonTooDeep"), (b"[1, 2]", "JsonSchemaViolation")):
        failure = decoder.decode(header + body)
        assert isinstance(failure, DecodeFailure) and failure.exception_class == exception_class, (body[:20], failure)

    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
    json_text = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                             | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                             max_leaves=8).map(lambda v: json.dumps(v).encode())

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=st.binary(max_size=40) | json_text)
    def never_raises(body: bytes) -> None:
        result = decoder.decode(header + body)
        assert isinstance(result, (dict, DecodeFailure))

    never_raises()


def test_an_avro_schema_id_under_the_subject_is_refused_by_a_json_schema_pipeline(registry_url: str,
                                                                                    unique_name: str) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    subject = f"{unique_name}-value"
    avro_id = client.register_schema(subject, Schema(json.dumps({"type": "record", "name": "R", "fields": []}), "AVRO"))
    failure = Decoder("json_schema", registry_url, subject).decode(b"\x00" + struct.pack(">I", avro_id) + b"{}")
    assert isinstance(failure, DecodeFailure)
    assert failure.reason == f"schema id {avro_id} is AVRO, but the pipeline reads JSON Schema (`value_format: json_schema`)"


def test_valid_and_invalid_records_and_each_kind_of_poison_are_routed_with_their_reason(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path) -> None:
    source = f"{unique_name}-in"
    create_topic(kafka, source, partitions=2)
    subjects = Subjects(registry_url, source)
    bad = poison(subjects)
    n = 200
    items = [(f"k{i}".encode(), subjects.value(order(i))) for i in range(n)]
    items += [(f"p-{kind}".encode(), value) for kind, (value, _, _) in bad.items()]
    produce(kafka, source, items)

    sentinel = Sentinel(write_pipeline(tmp_path, unique_name, source), kafka, registry_url, "--idle-exit", "3")
    assert sentinel.process.wait(180) == 0, sentinel.output
    valid = consume_all(kafka, f"{source}-valid", 1, group=f"{unique_name}-v")
    dlq = consume_all(kafka, f"{source}-dlq", 1, group=f"{unique_name}-d")

    where = {i: expected(i) for i in range(n)}
    assert sorted(m.key() for m in valid) == sorted(f"k{i}".encode() for i in range(n) if where[i][0] == "valid")
    dead = {m.key(): dict(m.headers()) for m in dlq}
    assert len(dlq) == len(dead) == sum(1 for i in range(n) if where[i][0] != "valid") + len(bad)
    for i in range(n):
        kind, rules = where[i]
        if kind == "valid":
            continue
        headers = dead[f"k{i}".encode()]
        if kind == "schema":
            assert headers["__connect.errors.stage"] == b"deserialize"
            assert headers["__connect.errors.exception.class.name"] == b"JsonSchemaViolation"
            assert b"$.shippingAddress.country" in headers["__connect.errors.exception.message"]
        else:
            assert headers["__connect.errors.stage"] == b"validate"
            assert [r["rule"] for r in json.loads(headers["__sentinel.failed.rules"])] == rules
    for kind, (_, exception_class, text) in bad.items():
        headers = dead[f"p-{kind}".encode()]
        assert headers["__connect.errors.stage"] == b"deserialize", kind
        assert headers["__connect.errors.exception.class.name"] == exception_class.encode(), kind
        assert text in headers["__connect.errors.exception.message"].decode(), kind

    # The valid topic's subject holds the writer's JSON Schema, under the same id.
    client = SchemaRegistryClient({"url": registry_url})
    latest = client.get_latest_version(f"{source}-valid-value")
    assert (latest.schema_id, latest.schema.schema_type) == (subjects.id, "JSON")


def test_a_sigkill_midrun_with_poison_loses_and_duplicates_nothing(
        kafka: KafkaSettings, registry_url: str, unique_name: str, tmp_path: Path) -> None:
    source = f"{unique_name}-in"
    create_topic(kafka, source, partitions=3)
    subjects = Subjects(registry_url, source)
    bad = [value for value, _, _ in poison(subjects).values()]
    n = 12_000
    values = {f"k{i}".encode(): bad[i // 100 % len(bad)] if i % 100 == 3 else subjects.value(order(i)) for i in range(n)}
    produce(kafka, source, list(values.items()))
    pipeline = write_pipeline(tmp_path, unique_name, source)

    first = start(pipeline, kafka, registry_url, "--instance-id", "slot-0")
    try:
        wait_until(lambda: records_in(first, unique_name) >= 2_000, timeout=120, interval=0.05)
        time.sleep(0.1)  # into a transaction's middle
        committed = records_in(first, unique_name)
    finally:
        first.kill()
    assert first.process.returncode == -9
    assert committed < n, "the first process finished before it was killed"
    second = Sentinel(pipeline, kafka, registry_url, "--instance-id", "slot-0", "--idle-exit", "3")
    assert second.process.wait(300) == 0, second.output

    valid = consume_all(kafka, f"{source}-valid", 1, group=f"{unique_name}-v")
    dlq = consume_all(kafka, f"{source}-dlq", 1, group=f"{unique_name}-d")
    assert {k: c for k, c in Counter(m.key() for m in valid + dlq).items() if c > 1} == {}
    assert {m.key() for m in valid} | {m.key() for m in dlq} == set(values)
    poisoned = {f"k{i}".encode() for i in range(n) if i % 100 == 3}
    expect_valid = {f"k{i}".encode() for i in range(n) if i % 100 != 3 and expected(i)[0] == "valid"}
    assert {m.key() for m in valid} == expect_valid
    for m in valid + dlq:
        assert m.value() == values[m.key()]
    stages = Counter((m.key() in poisoned or expected(int(m.key()[1:]))[0] == "schema",
                      dict(m.headers())["__connect.errors.stage"]) for m in dlq)
    assert set(stages) <= {(True, b"deserialize"), (False, b"validate")}


def test_sentinel_check_names_the_json_schema_property_a_rule_misspells(
        registry_url: str, unique_name: str, tmp_path: Path) -> None:
    source = f"{unique_name}-in"
    Subjects(registry_url, source)
    pipeline = write_pipeline(tmp_path, unique_name, source)
    good = subprocess.run([*GOVERNANCE, "sentinel", "check", str(pipeline), "--registry", registry_url],
                          capture_output=True, text=True, timeout=120)
    assert good.returncode == 0, good.stdout + good.stderr
    assert f"every rule column is a field of {source}-value" in good.stdout

    text = pipeline.read_text().replace("shippingAddress.zip", "shippingAdress.zip")
    pipeline.write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "shippingAdress.zip" in row)
    done = subprocess.run([*GOVERNANCE, "sentinel", "check", str(pipeline), "--registry", registry_url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{pipeline}, line {line}: column `shippingAdress.zip`" in done.stderr
    assert "did you mean `shippingAddress.zip`?" in done.stderr


def test_a_json_schema_pipeline_defaults_its_subject_to_the_source_value(tmp_path: Path) -> None:
    from governance.sentinel.pipeline import load_pipeline

    path = tmp_path / "p.yml"
    path.write_text(yaml.safe_dump({"name": "p", "source": "payments", "value_format": "json_schema"}))
    assert load_pipeline(path).subject == "payments-value"

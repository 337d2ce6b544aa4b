"""`governance rules suggest` on a real broker and registry: the demo's records written by its own
generator and serializers (Avro, Protobuf, JSON Schema), a proposal that passes `sentinel check`
and the clean records and fails each bad kind, a contract the registry takes, and clear refusals."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka import Producer
from kafka_helpers import create_topic
from rules_helpers import ROOT, demo_kinds, failed_columns, records

from governance.demo.generator import Stream, streams_for
from governance.kafka import KafkaSettings
from governance.registry.client import RegistryClient
from governance.sentinel.decode import Decoder, DecodeFailure
from governance.sentinel.pipeline import load_pipeline
from governance.sentinel.validate import RecordValidator

SUFFIX = {"transactions": ".avsc", "shipments": ".proto", "returns": ".json"}
FORMATS = {"transactions": "avro", "shipments": "protobuf", "returns": "json_schema"}
TYPES = {"avro": "AVRO", "protobuf": "PROTOBUF", "json_schema": "JSON"}


def governance(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "governance", *args], capture_output=True, text=True, timeout=timeout)


class DemoTopic:
    """A demo stream on its own topic and subject: the shipped schema registered, its generator's serializer."""

    def __init__(self, kafka: KafkaSettings, registry_url: str, tmp_path: Path, demo: str, topic: str,
                 partitions: int = 2) -> None:
        self.kafka, self.registry_url, self.demo, self.topic = kafka, registry_url, demo, topic
        self.subject = f"{topic}-value"
        schemas = tmp_path / "schemas"
        schemas.mkdir(exist_ok=True)
        shutil.copy(ROOT / "schemas" / f"{demo}-value{SUFFIX[demo]}", schemas / f"{self.subject}{SUFFIX[demo]}")
        text = (schemas / f"{self.subject}{SUFFIX[demo]}").read_text()
        RegistryClient(registry_url).call("POST", f"/subjects/{self.subject}/versions",
                                          {"schema": text, "schemaType": TYPES[FORMATS[demo]]})
        rules = tmp_path / f"{demo}.yml"  # the generator knows its streams by source; the subject is ours
        rules.write_text((ROOT / "rules" / f"{demo}.yml").read_text().replace(f"subject: {demo}-value", f"subject: {self.subject}"))
        (self.stream,) = streams_for([load_pipeline(rules, check_rules=False)], 1.0, schemas, registry_url)
        create_topic(kafka, topic, partitions=partitions)

    def produce(self, clean: int, poison: int = 0) -> None:
        stream: Stream = self.stream
        producer = Producer(self.kafka.client_config())
        for i, value in enumerate(records(stream.kinds[0], clean, seed=1)):
            producer.produce(self.topic, stream.serialize(value), f"k{i}".encode())  # type: ignore[misc]
        for i in range(poison):
            producer.produce(self.topic, b"GET /cart HTTP/1.1", f"p{i}".encode())
        assert producer.flush(30) == 0

    def decoded(self, values: list[dict]) -> list[dict]:
        """Values as the sentinel sees them: serialized by the demo's serializer, decoded by the sentinel's decoder."""
        decoder = Decoder(FORMATS[self.demo], self.registry_url, self.subject)  # type: ignore[arg-type]
        out = [decoder.decode(self.stream.serialize(v)) for v in values]  # type: ignore[misc]
        assert not any(isinstance(d, DecodeFailure) for d in out), out
        return out  # type: ignore[return-value]

    def suggest(self, *args: str) -> subprocess.CompletedProcess:
        return governance("rules", "suggest", self.topic, "-b", self.kafka.bootstrap_servers,
                          "--registry", self.registry_url, *args)


@pytest.mark.parametrize("demo", ["transactions", "shipments", "returns"])
def test_a_proposal_from_the_demos_records_passes_sentinel_check_and_catches_each_bad_kind(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, unique_name: str, demo: str) -> None:
    topic = DemoTopic(kafka, registry_url, tmp_path, demo, unique_name)
    topic.produce(clean=600, poison=7)
    out = tmp_path / "proposed.yml"
    result = topic.suggest("-o", str(out))
    assert result.returncode == 0, result.stderr
    assert f"sampling {unique_name}: 607 records read in" in result.stderr
    assert (f"read 607 records of {unique_name} (600 decoded with {topic.subject}, 7 not) in" in result.stderr
            and "stopped at the end of every partition" in result.stderr)
    assert "not decoded, 7x: not Confluent wire format: magic byte is 71, expected 0" in result.stderr

    check = governance("sentinel", "check", str(out), "--registry", registry_url)
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"columns every rule column is a field of {topic.subject}" in check.stdout

    pipeline = load_pipeline(out)
    validator = RecordValidator(pipeline.record_rules)
    clean_kind, bad = demo_kinds(demo)
    assert all(f == [] for f in validator.validate(topic.decoded(records(clean_kind, 600, seed=1))))
    fresh = validator.validate(topic.decoded(records(clean_kind, 300, seed=5)))
    assert [f for f in fresh if any(r.severity == "critical" for r in f)] == []
    assert bad
    for kind, column in bad:
        failures = validator.validate(topic.decoded(records(kind, 30, seed=3)))
        assert all(column in failed_columns(pipeline.record_rules, f) for f in failures), kind.label


def test_as_a_contract_the_rules_compile_judge_clean_and_bad_records_and_register_with_the_schema(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, unique_name: str) -> None:
    celpy = pytest.importorskip("celpy")
    from confluent_kafka.schema_registry.rules.cel.cel_executor import msg_to_cel

    topic = DemoTopic(kafka, registry_url, tmp_path, "transactions", unique_name)
    topic.produce(clean=300)
    result = topic.suggest("--as", "contract")
    assert result.returncode == 0, result.stderr
    rule_set = json.loads(result.stdout)
    assert f"curl -s {registry_url}/subjects/{topic.subject}/versions/latest | jq --slurpfile rs ruleset.json" \
        in result.stderr
    env = celpy.Environment()
    programs = {r["name"]: env.program(env.compile(r["expr"])) for r in rule_set["domainRules"]}

    def broken(record: dict) -> set[str]:
        out = set()
        for name, program in programs.items():
            try:
                if not bool(program.evaluate({"message": msg_to_cel(record)})):
                    out.add(name)
            except celpy.CELEvalError:
                out.add(name)
        return out

    clean_kind, bad = demo_kinds("transactions")
    assert all(broken(r) == set() for r in topic.decoded(records(clean_kind, 300, seed=1)))
    for kind, column in bad:
        assert all(any(name.startswith(f"{column}-") for name in broken(r))
                   for r in topic.decoded(records(kind, 10, seed=3))), kind.label
    latest = RegistryClient(registry_url).call("GET", f"/subjects/{topic.subject}/versions/latest")
    answer = RegistryClient(registry_url).call("POST", f"/subjects/{topic.subject}/versions",
                                               {"schema": latest["schema"], "ruleSet": rule_set})
    stored = RegistryClient(registry_url).call("GET", f"/schemas/ids/{answer['id']}")
    assert stored["ruleSet"] == rule_set


def test_a_sample_too_small_is_refused_with_how_to_get_more(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, unique_name: str) -> None:
    topic = DemoTopic(kafka, registry_url, tmp_path, "transactions", unique_name, partitions=1)
    topic.produce(clean=60)
    result = topic.suggest()
    assert result.returncode == 2 and result.stdout == ""
    assert (f"error: {unique_name}: not proposing rules from 60 decoded records; proposing rules needs at least 100: "
            "a smaller sample says too little about the data") in result.stderr
    assert "hint: raise --max-seconds (read stopped at the end of every partition) or --max-records, produce more " \
           f"records to {unique_name}, or lower --min-records" in result.stderr
    assert "Traceback" not in result.stderr


def test_reading_stops_at_max_records(kafka: KafkaSettings, registry_url: str, tmp_path: Path, unique_name: str) -> None:
    topic = DemoTopic(kafka, registry_url, tmp_path, "transactions", unique_name, partitions=1)
    topic.produce(clean=300)
    result = topic.suggest("--max-records", "120")
    assert result.returncode == 0, result.stderr
    assert "read 120 records" in result.stderr and "stopped at --max-records 120" in result.stderr
    assert "from 120 records:" in result.stdout


def test_an_unknown_topic_or_subject_and_an_unreachable_cluster_are_clear_errors(
        kafka: KafkaSettings, registry_url: str, tmp_path: Path, unique_name: str) -> None:
    topic = DemoTopic(kafka, registry_url, tmp_path, "transactions", unique_name, partitions=1)
    no_topic = governance("rules", "suggest", unique_name + "x", "--subject", topic.subject,
                          "-b", kafka.bootstrap_servers, "--registry", registry_url)
    assert no_topic.returncode == 2
    assert f"error: topic {unique_name}x does not exist on {kafka.bootstrap_servers}; did you mean `{unique_name}`?" \
        in no_topic.stderr
    no_subject = governance("rules", "suggest", unique_name, "--subject", topic.subject + "s",
                            "-b", kafka.bootstrap_servers, "--registry", registry_url)
    assert no_subject.returncode == 2
    assert f"error: no schema is registered under subject {topic.subject}s at {registry_url}; did you mean " \
           f"`{topic.subject}`?" in no_subject.stderr
    no_kafka = governance("rules", "suggest", unique_name, "-b", "127.0.0.1:1", "--registry", registry_url)
    assert no_kafka.returncode == 2 and "did not answer: nothing listens at 127.0.0.1:1" in no_kafka.stderr
    no_registry = governance("rules", "suggest", unique_name, "-b", kafka.bootstrap_servers,
                             "--registry", "http://127.0.0.1:1")
    assert no_registry.returncode == 2 and "cannot reach the schema registry at http://127.0.0.1:1" in no_registry.stderr
    for result in (no_topic, no_subject, no_kafka, no_registry):
        assert "Traceback" not in result.stderr and result.stdout == ""


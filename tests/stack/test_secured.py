"""`stack up --security sasl_ssl`: every part works through the client properties file alone,
and a wrong password, an untrusted CA or a plaintext client is one clear sentence, at once."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka_helpers import consume_all, create_topic
from sentinel_helpers import ORDER_SCHEMA, is_valid, pipeline_file, produce_orders

from governance.kafka import KafkaSettings
from governance.kafka.properties import load_client_properties
from governance.lineage.build import Sources, build_estate
from governance.lineage.datahub import Mapper
from governance.stack import process
from governance.stack.cluster import LocalStack
from governance.stack.state import StackState
from governance.stack.tls import make_certificates

LINEAGE_PROJECT = Path(__file__).resolve().parents[1] / "lineage" / "project"


class Secured:
    def __init__(self, data_dir: Path, up: subprocess.CompletedProcess[str]) -> None:
        self.data_dir = data_dir
        self.up = up
        state = StackState.load(data_dir)
        assert state is not None and state.registry is not None and state.client_properties is not None
        self.state = state
        self.registry_url = state.registry.url
        self.properties = Path(state.client_properties)
        extra = load_client_properties(self.properties)
        self.settings = KafkaSettings(extra.pop("bootstrap.servers"), extra, "test")

    def variant(self, path: Path, **changes: str | None) -> Path:
        """The client properties with some changed (None: left out)."""
        properties = {**load_client_properties(self.properties), **changes}
        path.write_text("".join(f"{k}={v}\n" for k, v in properties.items() if v is not None))
        return path


def environment(**extra: str) -> dict[str, str]:
    """No Kafka or registry from the environment, and no stack but the one named: only the flags count."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVERNANCE_", "DATAHUB_"))}
    return {**env, "GOVERNANCE_STACK_DIR": "/nonexistent/governance-stack", "PYTHONUNBUFFERED": "1", **extra}


def governance(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "governance", *args], capture_output=True, text=True,
                          timeout=timeout, env=environment(**env))


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    data_dir = tmp_path_factory.mktemp("secured") / "stack"
    up = governance("stack", "up", "--security", "sasl_ssl", "--port", "0", "--data-dir", str(data_dir), timeout=300)
    try:
        assert up.returncode == 0, up.stderr
        yield Secured(data_dir, up)
    finally:
        LocalStack(data_dir, progress=lambda _: None).down(purge=True)


@pytest.mark.slow
def test_up_writes_the_client_properties_and_says_how_to_use_them(secured: Secured) -> None:
    bootstrap, registry_url, console_url, properties = secured.up.stdout.split()
    assert properties == str(secured.data_dir / "client.properties")
    assert f"governance kafka check --kafka-config {properties}" in secured.up.stderr
    assert f"export GOVERNANCE_KAFKA_CONFIG={properties}" in secured.up.stderr
    client = load_client_properties(Path(properties))
    assert client["bootstrap.servers"] == bootstrap
    assert client["security.protocol"] == "SASL_SSL" and client["sasl.mechanisms"] == "SCRAM-SHA-512"
    assert client["ssl.ca.location"] == str(secured.data_dir / "tls" / "ca.pem")
    for secret in ("client.properties", "users.json", "tls/broker.pem", "broker-1/server.properties"):
        assert stat.S_IMODE((secured.data_dir / secret).stat().st_mode) == 0o600, secret

    status = json.loads(governance("stack", "status", "--json", "--data-dir", str(secured.data_dir)).stdout)
    assert status["running"] is True
    assert status["security"] == "sasl_ssl" and status["client_properties"] == properties
    for service in ("registry_pid", "console_pid"):
        assert properties in process.cmdline(status[service]), service
    with urllib.request.urlopen(console_url + "/", timeout=10) as page:
        assert b"governance console" in page.read()

    again = governance("stack", "up", "--security", "plaintext", "--data-dir", str(secured.data_dir))
    assert again.returncode == 2 and "created with --security sasl_ssl, not plaintext" in again.stderr


@pytest.mark.slow
def test_kafka_check_through_the_properties_file_alone(secured: Secured) -> None:
    result = governance("kafka", "check", "--kafka-config", str(secured.properties))
    assert result.returncode == 0, result.stderr
    assert f"Connected to {secured.settings.bootstrap_servers} (from {secured.properties})" in result.stdout
    assert f"broker 1     {secured.settings.bootstrap_servers}" in result.stdout
    from_env = governance("kafka", "check", GOVERNANCE_KAFKA_CONFIG=str(secured.properties))
    assert from_env.returncode == 0, from_env.stderr


@pytest.mark.slow
def test_commands_find_the_running_secured_stack_with_its_properties(secured: Secured) -> None:
    result = governance("kafka", "check", GOVERNANCE_STACK_DIR=str(secured.data_dir))
    assert result.returncode == 0, result.stderr
    assert f"(from local stack in {secured.data_dir})" in result.stdout


@pytest.mark.slow
def test_the_registry_keeps_schemas_in_the_secured_cluster(secured: Secured, unique_name: str) -> None:
    client = SchemaRegistryClient({"url": secured.registry_url})
    schema_id = client.register_schema(f"{unique_name}-value", Schema(ORDER_SCHEMA, "AVRO"))
    assert client.get_latest_version(f"{unique_name}-value").schema_id == schema_id
    records = consume_all(secured.settings, "_schemas", 1, group=unique_name, settle=0.5)
    assert any(f'"subject":"{unique_name}-value"'.encode() in (m.key() or b"") for m in records)


@pytest.mark.slow
def test_the_gate_checks_against_the_secured_stacks_registry(secured: Secured, tmp_path: Path,
                                                            unique_name: str) -> None:
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    subject = schemas / f"{unique_name}.avsc"
    fields = [{"name": "id", "type": "string"}]
    subject.write_text(json.dumps({"type": "record", "name": "Thing", "fields": fields}))
    registered = governance("schemas", "register", "--registry", secured.registry_url, "--schemas", str(schemas))
    assert registered.returncode == 0, registered.stderr
    assert f"registered      {unique_name} version 1" in registered.stdout
    fields.append({"name": "n", "type": "int"})  # no default: breaks BACKWARD
    subject.write_text(json.dumps({"type": "record", "name": "Thing", "fields": fields}))
    check = governance("schemas", "check", "--registry", secured.registry_url, "--schemas", str(schemas))
    assert check.returncode == 1, check.stdout + check.stderr
    assert "READER_FIELD_MISSING_DEFAULT_VALUE against version 1 (BACKWARD) field n" in check.stdout
    assert f"(registry {secured.registry_url})" in check.stdout


@pytest.mark.slow
def test_the_sentinel_routes_records_of_the_secured_cluster(secured: Secured, tmp_path: Path, unique_name: str) -> None:
    source = f"{unique_name}-raw"
    create_topic(secured.settings, source)
    produce_orders(secured.settings, secured.registry_url, source, range(100))
    path = pipeline_file(tmp_path, unique_name, source)
    run = governance("sentinel", "run", str(path), "--kafka-config", str(secured.properties),
                     "--registry", secured.registry_url, "--idle-exit", "3")
    assert run.returncode == 0, run.stdout + run.stderr
    valid = consume_all(secured.settings, f"{source}-valid", 96, group=f"{unique_name}-v", settle=0.5)
    dlq = consume_all(secured.settings, f"{source}-dlq", 4, group=f"{unique_name}-d", settle=0.5)
    assert sorted(int(m.key()[1:]) for m in valid) == [i for i in range(100) if is_valid(i)]
    assert sorted(int(m.key()[1:]) for m in dlq) == [i for i in range(100) if not is_valid(i)]


@pytest.mark.slow
def test_lineage_publishes_through_the_kafka_emitter(secured: Secured, unique_name: str) -> None:
    mcps = Mapper(build_estate(Sources(LINEAGE_PROJECT / "schemas", LINEAGE_PROJECT / "rules",
                                       LINEAGE_PROJECT / "lineage", secured.registry_url))).mcps()
    want = sorted((m.entityUrn, m.aspectName) for m in mcps)
    done = governance("lineage", "emit", "--project", str(LINEAGE_PROJECT), "--to", "kafka://",
                      "--kafka-config", str(secured.properties), "--registry", secured.registry_url)
    assert done.returncode == 0, done.stderr
    assert f"DataHub's Kafka topic on {secured.settings.bootstrap_servers}" in done.stdout
    messages = consume_all(secured.settings, "MetadataChangeProposal_v1", len(want), group=unique_name,
                           isolation="read_uncommitted", settle=0.5)
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": secured.registry_url}))
    context = SerializationContext("MetadataChangeProposal_v1", MessageField.VALUE)
    records = [deserializer(m.value(), context) for m in messages]
    assert sorted((r["entityUrn"], r["aspectName"]) for r in records) == want


def clear_error(result: subprocess.CompletedProcess[str], seconds: float, limit: float, *sentences: str) -> None:
    """Exit 2 with the sentences, no traceback, no librdkafka log lines, well before the command's Kafka timeout."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "rdkafka" not in result.stderr, result.stderr
    assert seconds < limit, f"took {seconds:.1f}s: {result.stderr}"
    for sentence in sentences:
        assert sentence in result.stderr


def timed(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    result = governance(*args, timeout=60)
    return result, time.monotonic() - start


@pytest.mark.parametrize(("command", "limit"), [
    ("kafka check", 5),  # it waited 10 s for an answer before
    ("registry serve --port 0", 10),  # 60 s
    ("sentinel run", 15),  # 30 s, after importing Great Expectations
])
@pytest.mark.slow
def test_a_wrong_password_is_a_clear_error_at_once(secured: Secured, tmp_path: Path, command: str,
                                                   limit: float) -> None:
    properties = secured.variant(tmp_path / "wrong.properties", **{"sasl.password": "not-the-password"})
    args = command.split()
    if command == "sentinel run":
        args += [str(pipeline_file(tmp_path, "p", "orders")), "--registry", secured.registry_url]
    result, seconds = timed(*args, "--kafka-config", str(properties))
    clear_error(result, seconds, limit,
                f"Kafka at {secured.settings.bootstrap_servers} (from {properties}) refused the login of user "
                "'governance'", "invalid credentials",
                f"hint: check sasl.username, sasl.password and sasl.mechanism in {properties}")


@pytest.mark.slow
def test_a_ca_that_did_not_sign_the_broker_certificate_is_named(secured: Secured, tmp_path: Path) -> None:
    other = make_certificates(tmp_path / "other-ca").ca
    properties = secured.variant(tmp_path / "other.properties", **{"ssl.ca.location": str(other)})
    result, seconds = timed("kafka", "check", "--kafka-config", str(properties))
    clear_error(result, seconds, 5,
                f"presented a TLS certificate that the CA in ssl.ca.location ({other}) did not sign",
                f"set ssl.ca.location in {properties} to the CA that signed the broker's certificate")


@pytest.mark.slow
def test_a_plaintext_client_at_the_tls_port_is_told_so(secured: Secured, tmp_path: Path) -> None:
    properties = secured.variant(tmp_path / "plain.properties", **{
        k: None for k in ("security.protocol", "sasl.mechanisms", "sasl.username", "sasl.password", "ssl.ca.location")})
    result, seconds = timed("kafka", "check", "--kafka-config", str(properties))
    clear_error(result, seconds, 5, "closes the connection as soon as this client speaks: it most likely expects TLS",
                "security.protocol=PLAINTEXT")


def test_a_stack_json_from_before_security_loads_as_plaintext(tmp_path: Path) -> None:
    (tmp_path / "stack.json").write_text(json.dumps({
        "data_dir": str(tmp_path), "kafka_version": "4.4.0", "cluster_id": "x", "brokers": [], "registry": None}))
    state = StackState.load(tmp_path)
    assert state is not None and state.security == "plaintext" and state.client_properties is None


def test_a_secured_broker_that_dies_at_start_shows_its_log(tmp_path: Path) -> None:
    result = governance("stack", "up", "--security", "sasl_ssl", "--port", "0", "--data-dir", str(tmp_path / "s"),
                        GOVERNANCE_KAFKA_JVM_OPTS="-Xmx1k")
    assert result.returncode == 2, result.stderr
    assert "Broker 1 exited while starting" in result.stderr and "heap" in result.stderr.lower()

"""HTTP basic auth with roles read < write < admin, on a real `governance registry serve`."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
import yaml
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext
from registry_helpers import RegistryProcess

from governance.kafka import KafkaSettings
from governance.registry.auth import hash_password, verify_password
from governance.registry.client import RegistryClient

PASSWORDS = {"reader": "r-secret", "writer": "w-secret", "boss": "a-secret"}
ROLES = {"reader": "read", "writer": "write", "boss": "admin"}
SCHEMA = json.dumps({"type": "record", "name": "Auth", "fields": [{"name": "a", "type": "int"}]})


def write_users(path: Path, users: dict[str, dict]) -> Path:
    path.write_text(yaml.safe_dump(users))
    return path


@pytest.fixture(scope="module")
def secured(kafka: KafkaSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryProcess]:
    users = {name: {"password": hash_password(PASSWORDS[name]), "role": ROLES[name]} for name in PASSWORDS}
    users_file = write_users(tmp_path_factory.mktemp("auth") / "users.yaml", users)
    registry = RegistryProcess(
        kafka.bootstrap_servers, f"_schemas-auth-{uuid.uuid4().hex}", args=["--users-file", str(users_file)]
    )
    yield registry
    registry.stop()


def call(
    method: str, url: str, body: object = None, *, user: str | None = None, password: str | None = None
) -> tuple[int, dict, Message]:
    """(status, JSON body, headers) of one request, with basic credentials if `user` is given."""
    headers = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
    if user is not None:
        secret = password if password is not None else PASSWORDS[user]
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


def client(registry: RegistryProcess, user: str, password: str | None = None) -> SchemaRegistryClient:
    secret = password if password is not None else PASSWORDS[user]
    return SchemaRegistryClient({"url": registry.url, "basic.auth.user.info": f"{user}:{secret}"})


def test_no_credentials_is_401_with_a_basic_challenge(secured: RegistryProcess) -> None:
    status, body, headers = call("POST", f"{secured.url}/subjects/anon/versions", {"schema": SCHEMA})
    assert (status, body["error_code"]) == (401, 40101)
    assert headers.get("WWW-Authenticate", "").startswith("Basic realm=")
    # Reads need credentials too, including the fast path for schemas by id.
    for path in ("/subjects", "/schemas/ids/1", "/config"):
        status, body, _ = call("GET", secured.url + path)
        assert (status, body["error_code"]) == (401, 40101), path


@pytest.mark.parametrize(
    ("user", "password", "header"),
    [("writer", "wrong", None), ("nobody", "w-secret", None), (None, None, "Bearer abc"), (None, None, "Basic %%%")],
    ids=["wrong-password", "unknown-user", "other-scheme", "not-base64"],
)
def test_bad_credentials_are_401(secured: RegistryProcess, user, password, header) -> None:
    if header is None:
        status, body, headers = call("GET", f"{secured.url}/subjects", user=user, password=password)
    else:
        request = urllib.request.Request(f"{secured.url}/subjects", headers={"Authorization": header})
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request, timeout=30)
        status, body, headers = error.value.code, json.loads(error.value.read()), error.value.headers
    assert (status, body["error_code"]) == (401, 40101)
    assert headers.get("WWW-Authenticate", "").startswith("Basic")


def test_each_role_does_what_it_may_and_no_more(secured: RegistryProcess) -> None:
    url = secured.url
    status, body, _ = call("POST", f"{url}/subjects/roles/versions", {"schema": SCHEMA}, user="reader")
    assert (status, body["error_code"]) == (403, 40301)
    assert "read" in body["message"] and "write" in body["message"]

    status, body, _ = call("POST", f"{url}/subjects/roles/versions", {"schema": SCHEMA}, user="writer")
    assert status == 200
    schema_id = body["id"]
    for method, path, payload in [
        ("PUT", "/config", {"compatibility": "NONE"}),
        ("PUT", "/config/roles", {"compatibility": "NONE"}),
        ("DELETE", "/config", None),
        ("PUT", "/mode/roles", {"mode": "READONLY"}),
    ]:
        status, body, _ = call(method, url + path, payload, user="writer")
        assert (status, body["error_code"]) == (403, 40301), (method, path)
    assert call("GET", f"{url}/config/roles", user="reader")[1]["error_code"] == 40408, "nothing was changed"

    assert call("PUT", f"{url}/config/roles", {"compatibility": "FULL"}, user="boss")[:2] == (
        200, {"compatibility": "FULL"},
    )  # fmt: skip
    assert call("PUT", f"{url}/mode/roles", {"mode": "READONLY"}, user="boss")[:2] == (200, {"mode": "READONLY"})

    # The read user reads everything the others wrote.
    status, body, _ = call("GET", f"{url}/subjects", user="reader")
    assert status == 200 and "roles" in body
    status, body, _ = call("GET", f"{url}/schemas/ids/{schema_id}", user="reader")
    assert status == 200 and json.loads(body["schema"]) == json.loads(SCHEMA)
    status, body, _ = call("GET", f"{url}/subjects/roles/versions/latest", user="reader")
    assert (status, body["id"], body["version"]) == (200, schema_id, 1)
    assert call("GET", f"{url}/config/roles", user="reader")[:2] == (200, {"compatibilityLevel": "FULL"})
    assert call("GET", f"{url}/mode/roles", user="reader")[:2] == (200, {"mode": "READONLY"})
    # Lookups and compatibility checks are POSTs but reads.
    status, body, _ = call("POST", f"{url}/subjects/roles", {"schema": SCHEMA}, user="reader")
    assert (status, body["id"]) == (200, schema_id)
    status, body, _ = call("POST", f"{url}/compatibility/subjects/roles/versions/latest", {"schema": SCHEMA}, user="reader")
    assert (status, body) == (200, {"is_compatible": True})


def test_confluent_client_with_basic_auth_end_to_end(secured: RegistryProcess) -> None:
    subject = "client-value"
    schema = Schema(json.dumps({"type": "record", "name": "Payment", "namespace": "com.example", "fields": [
        {"name": "id", "type": "string"}, {"name": "amount", "type": "double"},
    ]}), "AVRO")  # fmt: skip
    writer = client(secured, "writer")
    schema_id = writer.register_schema(subject, schema)
    assert writer.get_latest_version(subject).schema_id == schema_id

    reader = client(secured, "reader")
    assert json.loads(reader.get_schema(schema_id).schema_str) == json.loads(schema.schema_str)
    assert reader.get_versions(subject) == [1]
    with pytest.raises(SchemaRegistryError) as denied:
        reader.register_schema(subject + "-2", schema)
    assert (denied.value.http_status_code, denied.value.error_code) == (403, 40301)
    with pytest.raises(SchemaRegistryError) as denied:
        writer.set_compatibility(subject, "NONE")
    assert (denied.value.http_status_code, denied.value.error_code) == (403, 40301)
    assert client(secured, "boss").set_compatibility(subject, "NONE") == {"compatibility": "NONE"}
    with pytest.raises(SchemaRegistryError) as refused:
        client(secured, "reader", "wrong").get_subjects()
    assert (refused.value.http_status_code, refused.value.error_code) == (401, 40101)

    # The serializer looks its schema up as the writer; the deserializer fetches it by id as the reader.
    ctx = SerializationContext("client", MessageField.VALUE)
    serialize = AvroSerializer(writer, schema.schema_str, conf={"auto.register.schemas": False, "use.latest.version": False})
    payload = serialize({"id": "p1", "amount": 9.5}, ctx)
    assert int.from_bytes(payload[1:5], "big") == schema_id
    assert AvroDeserializer(client(secured, "reader"))(payload, ctx) == {"id": "p1", "amount": 9.5}


def governance(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "governance", *args], capture_output=True, text=True, timeout=120)


def test_the_probe_of_commands_that_go_on_without_a_registry_sends_the_urls_credentials(
        secured: RegistryProcess) -> None:
    with_credentials = secured.url.replace("://", f"://reader:{PASSWORDS['reader']}@")
    assert RegistryClient(with_credentials, timeout=2).answers()
    assert not RegistryClient(secured.url, timeout=2).answers()  # 401: nothing this command can read
    assert not RegistryClient("http://127.0.0.1:1", timeout=2).answers()


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"password": "hunter2", "role": "write"}, ["plain", "hash-password"]),
        ({"password": hash_password("x", iterations=1000), "role": "superuser"}, ["superuser", "read, write, admin"]),
        ({"password": "pbkdf2_sha256$many$c2FsdA==$ZGlnZXN0", "role": "read"}, ["pbkdf2_sha256"]),
        ({"role": "read"}, ["password"]),
    ],
    ids=["plain-text-password", "unknown-role", "malformed-hash", "no-password"],
)
def test_a_bad_users_file_stops_serve_with_the_file_and_user_named(
    kafka: KafkaSettings, tmp_path: Path, entry: dict, words: list[str]
) -> None:
    users_file = write_users(tmp_path / "users.yaml", {
        "fine": {"password": hash_password("ok", iterations=1000), "role": "admin"}, "mallory": entry,
    })  # fmt: skip
    result = governance(
        "registry", "serve", "--port", "0", "-b", kafka.bootstrap_servers,
        "--topic", f"_schemas-auth-{uuid.uuid4().hex}", "--users-file", str(users_file),
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert str(users_file) in result.stderr and "mallory" in result.stderr
    for word in words:
        assert word in result.stderr


def test_hash_password_prints_a_hash_that_verifies() -> None:
    result = governance("registry", "hash-password", "--password", "s3cret pass")
    assert result.returncode == 0, result.stderr
    printed = result.stdout.strip()
    assert printed.startswith("pbkdf2_sha256$")
    assert verify_password("s3cret pass", printed)
    assert not verify_password("s3cret-pass", printed)
    assert governance("registry", "hash-password", "--password", "s3cret pass").stdout.strip() != printed, "salted"

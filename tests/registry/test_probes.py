"""The registry's liveness (/health, /_health) and readiness (/ready) probes: real registries on real Kafka.

Readiness fails honestly three ways: no election yet (an app whose election has not started), a reader behind
the topic's end (a transaction on `_schemas` left open, which a read_committed reader cannot pass), and a
stopped reader."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from registry_helpers import RegistryProcess, http, schema

from governance.kafka import KafkaSettings
from governance.registry.app import RegistryApp
from governance.registry.auth import hash_password
from governance.registry.election import PrimaryElection
from governance.registry.service import RegistryService
from governance.registry.state import RegistryState
from governance.registry.store import KafkaSchemaLog


def get(url: str) -> tuple[int, Any]:
    """Without credentials, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def asgi_get(app: RegistryApp, path: str) -> tuple[int, dict]:
    """One GET straight through the ASGI app (no server), its JSON answer."""
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"", "headers": []}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], json.loads(sent[1]["body"])


@pytest.fixture
def unelected(kafka: KafkaSettings) -> Iterator[tuple[RegistryApp, PrimaryElection, KafkaSchemaLog]]:
    """An app on a fresh topic, its reader caught up, its election not started yet."""
    state = RegistryState()
    log = KafkaSchemaLog(kafka, state, f"_schemas-probe-{uuid.uuid4().hex[:8]}")
    log.start()
    election = PrimaryElection(kafka, log, "http://127.0.0.1:9")
    yield RegistryApp(RegistryService(state, log.write), primary=election), election, log
    election.close()
    log.close()


@pytest.mark.parametrize("path", ["/health", "/_health"])
def test_health_answers_200_while_the_reader_runs(registry_url: str, path: str) -> None:
    status, body = http("GET", registry_url + path)
    assert (status, body) == (200, {"status": "healthy", "reasons": []})


def test_ready_names_the_primary_and_a_caught_up_reader(registry_url: str) -> None:
    assert http("POST", f"{registry_url}/subjects/ready-{uuid.uuid4().hex[:6]}/versions", schema("Ready"))[0] == 200
    status, body = http("GET", registry_url + "/ready")
    assert status == 200, body
    assert body["status"] == "ready" and body["reasons"] == []
    assert body["primary"] is True and body["primary_url"] == registry_url
    reader = body["reader"]
    assert reader["caught_up"] is True and reader["lag"] == 0
    assert reader["applied_offset"] >= reader["end_offset"] > 0


def test_ready_is_503_until_the_election_settles(unelected) -> None:
    app, election, _ = unelected
    status, body = asgi_get(app, "/ready")
    assert status == 503
    assert body["status"] == "not ready" and body["primary"] is False and body["primary_url"] is None
    assert len(body["reasons"]) == 1 and body["reasons"][0].startswith("no primary known")
    assert body["reader"]["caught_up"] is True, "the reader is not what keeps it unready"

    election.start()
    assert election.wait_settled(30)
    status, body = asgi_get(app, "/ready")
    assert (status, body["status"], body["primary"], body["reasons"]) == (200, "ready", True, [])
    assert body["primary_url"] == "http://127.0.0.1:9"


def test_a_follower_is_ready_and_names_the_primary(pair) -> None:
    primary, follower = pair if pair[0].says_primary else pair[::-1]
    status, body = http("GET", follower.url + "/ready")
    assert status == 200, body
    assert (body["primary"], body["primary_url"]) == (False, primary.url)


def test_ready_is_503_while_the_reader_is_behind_the_end_of_the_topic(kafka: KafkaSettings) -> None:
    topic = f"_schemas-behind-{uuid.uuid4().hex[:8]}"
    registry = RegistryProcess(kafka.bootstrap_servers, topic)
    producer = Producer(kafka.client_config(transactional_id=f"stuck-{topic}"))
    try:
        producer.init_transactions(30)
        producer.begin_transaction()
        producer.produce(topic, key=b'{"keytype":"NOOP"}', value=b"{}")
        producer.flush(30)  # in the log, past the end a read_committed reader may read until the commit

        status, body = http("GET", registry.url + "/ready")
        assert status == 503, body
        assert body["reader"]["caught_up"] is False and body["reader"]["lag"] >= 1
        assert any("behind the end offset" in reason for reason in body["reasons"]), body["reasons"]
        assert http("GET", registry.url + "/health")[0] == 200, "behind is not dead"

        producer.commit_transaction(30)
        deadline = time.monotonic() + 15
        while (answer := http("GET", registry.url + "/ready"))[0] != 200:
            assert time.monotonic() < deadline, answer
            time.sleep(0.2)
        assert answer[1]["reader"]["lag"] == 0
    finally:
        registry.stop()


def test_a_stopped_reader_fails_health_and_readiness(unelected) -> None:
    app, election, log = unelected
    election.start()
    assert election.wait_settled(30)
    log.close()
    for path in ("/health", "/_health"):
        status, body = asgi_get(app, path)
        assert status == 503 and body["status"] == "unhealthy"
        assert body["reasons"] == [f"the {log.topic} reader stopped: its thread is not running"]
    status, body = asgi_get(app, "/ready")
    assert status == 503 and body["reader"]["caught_up"] is False
    assert f"the {log.topic} reader stopped: its thread is not running" in body["reasons"]


def test_probes_and_metrics_need_no_credentials_when_the_api_does(kafka: KafkaSettings, tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    users.write_text(json.dumps({"ops": {"password": hash_password("secret"), "role": "admin"}}))
    registry = RegistryProcess(kafka.bootstrap_servers, f"_schemas-open-{uuid.uuid4().hex[:8]}",
                               args=["--users-file", str(users)])
    try:
        assert get(registry.url + "/subjects")[0] == 401
        for path in ("/health", "/_health", "/ready", "/metrics"):
            status, body = get(registry.url + path)
            assert status == 200, (path, body)
        assert b"registry_is_primary 1.0" in get(registry.url + "/metrics")[1]
    finally:
        registry.stop()

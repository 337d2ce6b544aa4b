"""Several registry instances on one topic: one primary chosen through Kafka,
followers forward writes, and a killed primary is replaced within 15 seconds
with no id handed out twice and none lost."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from registry_helpers import http

from governance.kafka import KafkaSettings
from governance.stack.ports import free_ports


class Instance:
    def __init__(self, kafka: KafkaSettings, topic: str, log: Path) -> None:
        self.port = free_ports(1)[0]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "governance", "registry", "serve", "--port", str(self.port),
                 "-b", kafka.bootstrap_servers, "--topic", topic],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "instance did not start"
            try:
                urllib.request.urlopen(self.url + "/", timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)

    @property
    def says_primary(self) -> bool:
        return "is now the primary" in self.log.read_text()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(20)


def schema(name: str) -> dict:
    return {"schema": json.dumps({"type": "record", "name": name, "fields": [{"name": "a", "type": "int"}]})}


@pytest.fixture
def pair(kafka: KafkaSettings, tmp_path: Path):
    topic = f"_schemas-failover-{uuid.uuid4().hex[:8]}"
    first = Instance(kafka, topic, tmp_path / "a.log")
    second = Instance(kafka, topic, tmp_path / "b.log")
    yield first, second
    first.stop()
    second.stop()


def test_one_primary_and_followers_forward_writes(pair) -> None:
    first, second = pair
    assert [first.says_primary, second.says_primary].count(True) == 1
    ids = {}
    for i in range(10):
        instance = pair[i % 2]
        status, body = http("POST", f"{instance.url}/subjects/fw-{i}/versions", schema(f"Fw{i}"))
        assert status == 200, body
        ids[f"fw-{i}"] = body["id"]
        # The instance that took the write answers with it at once, forwarded or not.
        assert http("GET", f"{instance.url}/subjects/fw-{i}/versions/1")[1]["id"] == body["id"]
    assert len(set(ids.values())) == 10
    deadline = time.monotonic() + 10
    for instance in pair:  # and every instance has every write soon after
        for subject, schema_id in ids.items():
            while (answer := http("GET", f"{instance.url}/subjects/{subject}/versions/1")[1]).get("id") is None:
                assert time.monotonic() < deadline, answer
                time.sleep(0.05)
            assert answer["id"] == schema_id


def test_killed_primary_is_replaced_within_15_seconds_without_duplicate_or_lost_ids(pair) -> None:
    primary, follower = pair if pair[0].says_primary else pair[::-1]
    before = {}
    for i in range(20):
        status, body = http("POST", f"{follower.url}/subjects/before-{i}/versions", schema(f"Before{i}"))
        assert status == 200, body
        before[f"before-{i}"] = body["id"]

    primary.stop(signal.SIGKILL)
    killed_at = time.monotonic()
    while True:
        status, body = http("POST", f"{follower.url}/subjects/after-0/versions", schema("After0"))
        if status == 200:
            break
        assert body["error_code"] in (50003, 50004), body
        assert time.monotonic() - killed_at < 15, "no new primary within 15 s"
        time.sleep(0.2)
    took_over_in = time.monotonic() - killed_at
    assert follower.says_primary
    after = {"after-0": body["id"]}
    for i in range(1, 20):
        status, body = http("POST", f"{follower.url}/subjects/after-{i}/versions", schema(f"After{i}"))
        assert status == 200, body
        after[f"after-{i}"] = body["id"]

    every = {**before, **after}
    assert len(set(every.values())) == 40, "no id handed out twice"
    assert min(after.values()) > max(before.values())
    for subject, schema_id in every.items():
        assert http("GET", f"{follower.url}/subjects/{subject}/versions/latest")[1]["id"] == schema_id
    print(f"new primary took over in {took_over_in:.1f}s")

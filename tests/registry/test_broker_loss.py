"""The registry on the three-broker cluster while the leader of its schema log is killed
and brought back: no acknowledged registration is lost, ids stay unique, and reads are
served throughout."""

from __future__ import annotations

import threading
import time

import pytest
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from registry_helpers import RegistryProcess

from governance.kafka import KafkaSettings
from governance.stack.cluster import LocalStack

pytestmark = [pytest.mark.cluster3, pytest.mark.slow]


def _schema(i: int) -> Schema:
    return Schema(f'{{"type":"record","name":"R{i}","fields":[{{"name":"f{i}","type":"long"}}]}}', "AVRO")


class Registrations(threading.Thread):
    """Registers subject s0, s1, ... one after another through Confluent's client until stopped."""

    def __init__(self, url: str, prefix: str) -> None:
        super().__init__(daemon=True)
        self.client, self.prefix = SchemaRegistryClient({"url": url}), prefix
        self.acknowledged: dict[str, int] = {}
        self.refused: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            subject = f"{self.prefix}-s{i}"
            try:
                self.acknowledged[subject] = self.client.register_schema(subject, _schema(i))
            except Exception as e:  # noqa: BLE001  (every refusal is counted and shown)
                self.refused.append(f"{subject}: {e}")
            i += 1


class Reads(threading.Thread):
    """Reads one schema by id and the subject list every 50 ms, counting answers and failures."""

    def __init__(self, url: str, schema_id: int) -> None:
        super().__init__(daemon=True)
        self.url, self.schema_id = url, schema_id
        self.served, self.failed = 0, []  # type: ignore[var-annotated]
        self.stop = threading.Event()

    def run(self) -> None:
        import urllib.request

        while not self.stop.wait(0.05):
            for path in (f"/schemas/ids/{self.schema_id}", "/subjects"):
                try:
                    with urllib.request.urlopen(self.url + path, timeout=5) as response:
                        response.read()
                    self.served += 1
                except OSError as e:
                    self.failed.append(f"{path}: {e}")


def _election_coordinator(kafka: KafkaSettings, group: str) -> int:
    """The broker that runs the registry's election group: losing it costs the primary its
    group session, the hardest broker to lose (the log's leader only delays writes)."""
    admin = AdminClient(kafka.client_config())
    (description,) = admin.describe_consumer_groups([group])[group].result(timeout=10),
    return description.coordinator.id


def test_registrations_while_the_schema_log_leader_is_killed_are_kept_unique_and_readable(
    cluster3: LocalStack, unique_name: str
) -> None:
    state = cluster3.state()
    assert state is not None
    kafka = KafkaSettings(state.bootstrap_servers)
    topic = f"_schemas-{unique_name}"[:200]
    registry = RegistryProcess(state.bootstrap_servers, topic)
    writes = reads = None
    try:
        first = SchemaRegistryClient({"url": registry.url}).register_schema(f"{unique_name}-first", _schema(1_000_000))
        writes, reads = Registrations(registry.url, unique_name), Reads(registry.url, first)
        writes.start()
        reads.start()
        time.sleep(2)
        leader = _election_coordinator(kafka, f"schema-registry-{topic}")
        before = len(writes.acknowledged)
        cluster3.stop_broker(leader, hard=True)
        time.sleep(10)
        during = len(writes.acknowledged) - before
        cluster3.up()
        time.sleep(5)
    finally:
        for thread in (writes, reads):
            if thread is not None:
                thread.stop.set()
                thread.join(60)
        registry.stop()

    assert writes is not None and reads is not None
    assert writes.refused == [], "a registration during the broker loss was refused"
    assert len(writes.acknowledged) > before, "registrations went on"
    assert reads.failed == [] and reads.served > 100
    ids = list(writes.acknowledged.values())
    assert len(set(ids)) == len(ids), "distinct schemas got distinct ids"
    assert first not in ids

    # Durable: a new instance that replays the log answers every acknowledged registration.
    replayed = RegistryProcess(state.bootstrap_servers, topic)
    try:
        client = SchemaRegistryClient({"url": replayed.url})
        for subject, schema_id in writes.acknowledged.items():
            assert client.get_latest_version(subject).schema_id == schema_id
    finally:
        replayed.stop()
    print(f"{len(ids)} registrations, {during} while broker {leader} was down; {reads.served} reads served")

"""Eight clients registering at once: no id given to two schemas, no schema given two ids,
no version number skipped or given twice, and nothing lost."""

from __future__ import annotations

import json
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from registry_helpers import RegistryProcess

from governance.kafka import KafkaSettings

CLIENTS = 8
Registration = tuple[str, str, int]  # subject, schema text, id


def evolving(*optional: str) -> str:
    """`Evolving` with a required id and optional fields: any two are compatible both ways."""
    fields = [{"name": "id", "type": "string"}]
    fields += [{"name": name, "type": "string", "default": ""} for name in optional]
    return json.dumps({"type": "record", "name": "Evolving", "namespace": "com.example", "fields": fields})


def plain(name: str) -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "com.example", "fields": [{"name": "a", "type": "int"}]})


SERIES = [evolving(*(f"f{i}" for i in range(k))) for k in range(10)]
SHARED_EVERYWHERE = plain("Everywhere")
MANY = [f"many-{j}" for j in range(20)]


def workloads() -> list[list[tuple[str, str]]]:
    """What each client registers, in its order."""
    work: list[list[tuple[str, str]]] = []
    for t in range(2):  # distinct subjects, distinct schemas
        work.append([(f"distinct-{t}-{i}", plain(f"D{t}x{i}")) for i in range(15)])
    for _ in range(2):  # one subject, the same evolving series raced by two clients
        work.append([("shared", schema) for schema in SERIES])
    for t in range(2):  # the same subject, each client adding its own compatible variants
        work.append([("shared", evolving(f"v{t}x{i}")) for i in range(8)])
    work.append([(subject, SHARED_EVERYWHERE) for subject in MANY])  # one schema, many subjects
    work.append([(subject, SHARED_EVERYWHERE) for subject in reversed(MANY)])
    assert len(work) == CLIENTS
    return work


@pytest.fixture(scope="module")
def registry(kafka: KafkaSettings) -> Iterator[RegistryProcess]:
    process = RegistryProcess(kafka.bootstrap_servers, f"_schemas-concurrency-{uuid.uuid4().hex}")
    yield process
    process.stop()


def run_together(tasks: list[Callable[[], list[Registration]]]) -> list[Registration]:
    start = threading.Barrier(len(tasks))
    results: list[list[Registration]] = [[] for _ in tasks]
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait(30)
            results[index] = tasks[index]()
        except BaseException as exc:  # reported below, with the others
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tasks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    assert failures == []
    return [registration for result in results for registration in result]


def test_concurrent_registrations_keep_ids_and_versions_straight(registry: RegistryProcess) -> None:
    def client_task(work: list[tuple[str, str]]) -> Callable[[], list[Registration]]:
        def task() -> list[Registration]:
            client = SchemaRegistryClient({"url": registry.url})
            return [(subject, text, client.register_schema(subject, Schema(text, "AVRO"))) for subject, text in work]

        return task

    registrations = run_together([client_task(work) for work in workloads()])
    assert len(registrations) == sum(len(work) for work in workloads())

    # One id per distinct schema, and one schema per id.
    ids_of: dict[str, set[int]] = defaultdict(set)
    schemas_of: dict[int, set[str]] = defaultdict(set)
    for _, text, schema_id in registrations:
        ids_of[text].add(schema_id)
        schemas_of[schema_id].add(text)
    assert {text: ids for text, ids in ids_of.items() if len(ids) > 1} == {}
    assert {i: texts for i, texts in schemas_of.items() if len(texts) > 1} == {}

    # Versions: consecutive from 1, one per distinct schema of the subject; every registration is there.
    reader = SchemaRegistryClient({"url": registry.url})
    expected: dict[str, set[str]] = defaultdict(set)
    for subject, text, _ in registrations:
        expected[subject].add(text)
    assert sorted(reader.get_subjects()) == sorted(expected)
    for subject, texts in expected.items():
        versions = reader.get_versions(subject)
        assert versions == list(range(1, len(texts) + 1)), subject
        stored = {json.dumps(json.loads(reader.get_version(subject, v).schema.schema_str)) for v in versions}
        assert stored == {json.dumps(json.loads(text)) for text in texts}, subject
    for subject, text, schema_id in registrations:
        assert reader.lookup_schema(subject, Schema(text, "AVRO")).schema_id == schema_id
        assert json.loads(reader.get_schema(schema_id).schema_str) == json.loads(text)

    # The evolving series was registered in order by each of its clients, so its versions are in order too.
    series_ids = [next(iter(ids_of[schema])) for schema in SERIES]
    positions = [reader.lookup_schema("shared", Schema(schema, "AVRO")).version for schema in SERIES]
    assert positions == sorted(positions) and len(set(series_ids)) == len(SERIES)
    assert {reader.get_latest_version(subject).schema_id for subject in MANY} == ids_of[SHARED_EVERYWHERE]

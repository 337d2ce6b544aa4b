"""The `_schemas` topic is the registry's only state: a new process on the same topic
answers exactly as the old one did, the records are Confluent's bytes, and a topic
Confluent's own registry wrote is served as it was left."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource
from kafka_helpers import create_topic
from registry_helpers import RegistryProcess, http

from governance.kafka import KafkaSettings

Record = tuple[bytes, bytes | None]

CONTRACT = {
    "metadata": {"properties": {"owner": "x"}},
    "ruleSet": {"domainRules": [
        {"name": "r", "kind": "CONDITION", "type": "CEL", "mode": "WRITE", "expr": "message.a > 0", "onFailure": "DLQ"},
    ]},
}  # fmt: skip


def avro(name: str, *fields: dict, namespace: str = "com.example") -> str:
    return json.dumps({"type": "record", "name": name, "namespace": namespace, "fields": list(fields)})


def compact(text: str) -> str:
    return json.dumps(json.loads(text), separators=(",", ":"))


def field(name: str, type_: Any = "string", **extra: Any) -> dict:
    return {"name": name, "type": type_, **extra}


@pytest.fixture
def topic(unique_name: str) -> str:
    return f"_schemas-{unique_name}"


@pytest.fixture
def registries(kafka: KafkaSettings) -> Iterator[list[RegistryProcess]]:
    """Processes a test starts, stopped at its end whatever happens."""
    started: list[RegistryProcess] = []
    yield started
    for registry in started:
        registry.stop()


def start(kafka: KafkaSettings, topic: str, registries: list[RegistryProcess]) -> RegistryProcess:
    registry = RegistryProcess(kafka.bootstrap_servers, topic)
    registries.append(registry)
    return registry


def ok(method: str, url: str, body: Any = None) -> Any:
    status, answer = http(method, url, body)
    assert status == 200, (method, url, status, answer)
    return answer


def snapshot(url: str, more_ids: set[int], more_subjects: set[str]) -> dict[str, tuple[int, Any]]:
    """Every GET answer the registry gives about what it holds, by path."""
    answers: dict[str, tuple[int, Any]] = {}

    def get(path: str) -> Any:
        answers[path] = http("GET", url + path)
        return answers[path][1]

    get("/subjects")
    every = get("/subjects?deleted=true")
    for path in ("/config", "/mode", "/schemas", "/schemas?deleted=true"):
        get(path)
    ids = set(more_ids)
    for subject in sorted(set(every) | more_subjects):
        get(f"/subjects/{subject}/versions")
        get(f"/subjects/{subject}/versions/latest")
        get(f"/config/{subject}")
        get(f"/mode/{subject}")
        versions = get(f"/subjects/{subject}/versions?deleted=true")
        for version in versions if isinstance(versions, list) else []:
            ids.add(get(f"/subjects/{subject}/versions/{version}?deleted=true")["id"])
            get(f"/subjects/{subject}/versions/{version}")
            get(f"/subjects/{subject}/versions/{version}/schema?deleted=true")
            get(f"/subjects/{subject}/versions/{version}/referencedby")
    for schema_id in sorted(ids):
        get(f"/schemas/ids/{schema_id}")
        get(f"/schemas/ids/{schema_id}/subjects?deleted=true")
        get(f"/schemas/ids/{schema_id}/versions?deleted=true")
    return answers


def read_topic(kafka: KafkaSettings, topic: str) -> list[Record]:
    """Every record of the topic's partition 0, from the start to the current end."""
    consumer = Consumer(kafka.client_config(
        group_id=f"raw-{uuid.uuid4()}", enable_auto_commit=False, isolation_level="read_committed",
    ))  # fmt: skip
    try:
        partition = TopicPartition(topic, 0, OFFSET_BEGINNING)
        _, high = consumer.get_watermark_offsets(partition, timeout=10)
        consumer.assign([partition])
        records: list[Record] = []
        deadline = time.monotonic() + 30
        while True:
            # Transaction markers take offsets but are never delivered: watch the position.
            (position,) = consumer.position([TopicPartition(topic, 0)])
            if position.offset >= high:
                return records
            assert time.monotonic() < deadline, f"{topic}: stuck at offset {position.offset} of {high}"
            message = consumer.poll(0.2)
            if message is not None:
                assert message.error() is None, message.error()
                records.append((message.key(), message.value()))
    finally:
        consumer.close()


def latest(records: list[Record]) -> dict[bytes, bytes | None]:
    """What compaction keeps: the last value per exact key bytes."""
    return dict(records)


def test_a_new_process_on_the_same_topic_answers_exactly_as_the_old_one(
    kafka: KafkaSettings, topic: str, registries: list[RegistryProcess]
) -> None:
    first = start(kafka, topic, registries)
    url = first.url
    ok("PUT", f"{url}/config", {"compatibility": "FULL"})

    orders = [avro("Order", field("id")), avro("Order", field("id"), field("note", default="")),
              avro("Order", field("id"), field("note", default=""), field("qty", "int", default=0))]  # fmt: skip
    order_ids = [ok("POST", f"{url}/subjects/orders-value/versions", {"schema": s})["id"] for s in orders]
    assert ok("POST", f"{url}/subjects/orders-copy/versions", {"schema": orders[0]})["id"] == order_ids[0]

    address = avro("Address", field("zip"), namespace="com.example.geo")
    ok("POST", f"{url}/subjects/geo/versions", {"schema": address})
    shipment = avro("Shipment", field("id"), field("to", "com.example.geo.Address"))
    reference = {"name": "com.example.geo.Address", "subject": "geo", "version": 1}
    shipment_id = ok("POST", f"{url}/subjects/shipments/versions", {"schema": shipment, "references": [reference]})["id"]

    contract_id = ok("POST", f"{url}/subjects/contract/versions", {"schema": avro("C", field("a", "int")), **CONTRACT})["id"]
    contract = ok("GET", f"{url}/subjects/contract/versions/1")
    assert (contract["metadata"], contract["ruleSet"]) == (CONTRACT["metadata"], CONTRACT["ruleSet"])

    ok("PUT", f"{url}/mode/imported", {"mode": "IMPORT"})
    imported = avro("Imported", field("x"))
    assert ok("POST", f"{url}/subjects/imported/versions", {"schema": imported, "id": 900, "version": 5}) == {"id": 900}

    ok("POST", f"{url}/subjects/frozen/versions", {"schema": avro("Frozen", field("x"))})
    ok("PUT", f"{url}/mode/frozen", {"mode": "READONLY"})
    ok("PUT", f"{url}/config/levels", {"compatibility": "NONE"})
    ok("PUT", f"{url}/config/config-reset", {"compatibility": "FORWARD"})
    assert ok("DELETE", f"{url}/config/config-reset") == {"compatibilityLevel": "FORWARD"}

    for subject in ("soft-version", "soft-subject", "hard-version"):
        ok("POST", f"{url}/subjects/{subject}/versions", {"schema": avro("S", field("a"))})
        ok("POST", f"{url}/subjects/{subject}/versions", {"schema": avro("S", field("a"), field("b", default=""))})
    assert ok("DELETE", f"{url}/subjects/soft-version/versions/1") == 1
    assert ok("DELETE", f"{url}/subjects/soft-subject") == [1, 2]
    assert ok("DELETE", f"{url}/subjects/hard-version/versions/1") == 1
    assert ok("DELETE", f"{url}/subjects/hard-version/versions/1?permanent=true") == 1
    hard_id = ok("POST", f"{url}/subjects/hard-subject/versions", {"schema": avro("Gone", field("g"))})["id"]
    # After the imported id 900: 901 for `frozen`, 902 and 903 for the two schemas the three
    # soft/hard subjects share, then this one.
    assert hard_id == 904
    ok("DELETE", f"{url}/subjects/hard-subject")
    assert ok("DELETE", f"{url}/subjects/hard-subject?permanent=true") == [1]

    no_schemas = {"hard-subject", "levels", "config-reset"}
    before = snapshot(url, {hard_id, 12345}, no_schemas)
    # The scenario really left what it meant to leave (so that "identical" means something).
    assert before["/subjects"][1] == sorted(
        ["contract", "frozen", "geo", "hard-version", "imported", "orders-copy", "orders-value", "shipments", "soft-version"]
    )
    assert "soft-subject" in before["/subjects?deleted=true"][1] and "hard-subject" not in before["/subjects?deleted=true"][1]
    assert before["/subjects/hard-version/versions?deleted=true"][1] == [2]
    assert before["/subjects/soft-version/versions?deleted=true"][1] == [1, 2]
    assert before["/subjects/geo/versions/1/referencedby"][1] == [shipment_id]
    assert before[f"/schemas/ids/{hard_id}"][1]["error_code"] == 40403
    assert before[f"/schemas/ids/{contract_id}"][1]["ruleSet"] == CONTRACT["ruleSet"]
    assert before["/config"][1] == {"compatibilityLevel": "FULL"}
    assert before["/config/config-reset"][1]["error_code"] == 40408
    assert before["/mode/frozen"][1] == {"mode": "READONLY"}

    first.stop()
    assert first.process.returncode == 0, "SIGTERM ends the registry cleanly (it hands the primary role back)"
    second = start(kafka, topic, registries)
    after = snapshot(second.url, {hard_id, 12345}, no_schemas)
    assert after.keys() == before.keys()
    differences = {path: (before[path], after[path]) for path in before if before[path] != after[path]}
    assert differences == {}
    check_records(kafka, topic, order_ids, shipment_id, contract_id, reference)

    # The new process carries on where the old one stopped: no id handed out twice.
    new_id = ok("POST", f"{second.url}/subjects/orders-value/versions", {"schema": avro(
        "Order", field("id"), field("note", default=""), field("qty", "int", default=0), field("tag", default=""),
    )})["id"]  # fmt: skip
    assert new_id == hard_id + 1
    assert ok("GET", f"{second.url}/subjects/orders-value/versions") == [1, 2, 3, 4]
    status, body = http("POST", f"{second.url}/subjects/frozen/versions", {"schema": avro("Frozen", field("y"))})
    assert (status, body["error_code"]) == (422, 42205), "the READONLY mode survived the restart"


def check_records(
    kafka: KafkaSettings, topic: str, order_ids: list[int], shipment_id: int, contract_id: int, reference: dict
) -> None:
    """The topic holds Confluent's records byte for byte, and is what Confluent needs it to be."""
    records = read_topic(kafka, topic)
    field_orders = {
        "SCHEMA": ["keytype", "subject", "version", "magic"],
        "CONFIG": ["keytype", "subject", "magic"],
        "MODE": ["keytype", "subject", "magic"],
        "DELETE_SUBJECT": ["keytype", "subject", "magic"],
    }
    for key, _ in records:
        parsed = json.loads(key)
        assert list(parsed) == field_orders[parsed["keytype"]], key
        assert json.dumps(parsed, separators=(",", ":")).encode() == key, "compact JSON, no spaces"

    def schema_key(subject: str, version: int) -> bytes:
        return b'{"keytype":"SCHEMA","subject":"%s","version":%d,"magic":1}' % (subject.encode(), version)

    kept = latest(records)
    value = json.loads(kept[schema_key("orders-value", 1)])
    assert json.loads(value.pop("schema")) == json.loads(avro("Order", field("id")))
    assert value == {"subject": "orders-value", "version": 1, "id": order_ids[0], "deleted": False}
    shipment = json.loads(kept[schema_key("shipments", 1)])
    assert (shipment["id"], shipment["references"]) == (shipment_id, [reference])
    contract = json.loads(kept[schema_key("contract", 1)])
    assert contract["id"] == contract_id
    assert (contract["metadata"], contract["ruleSet"]) == (CONTRACT["metadata"], CONTRACT["ruleSet"])
    imported = json.loads(kept[schema_key("imported", 5)])
    assert (imported["id"], imported["version"]) == (900, 5)
    assert json.loads(kept[schema_key("soft-version", 1)])["deleted"] is True
    assert json.loads(kept[schema_key("soft-version", 2)])["deleted"] is False

    assert kept[b'{"keytype":"CONFIG","subject":null,"magic":0}'] == b'{"compatibilityLevel":"FULL"}'
    assert kept[b'{"keytype":"CONFIG","subject":"levels","magic":0}'] == b'{"compatibilityLevel":"NONE"}'
    assert kept[b'{"keytype":"MODE","subject":"frozen","magic":0}'] == b'{"mode":"READONLY"}'
    assert kept[b'{"keytype":"MODE","subject":"imported","magic":0}'] == b'{"mode":"IMPORT"}'
    assert json.loads(kept[b'{"keytype":"DELETE_SUBJECT","subject":"soft-subject","magic":0}']) == {
        "subject": "soft-subject", "version": 2,
    }  # fmt: skip

    # Permanent deletes and resets are tombstones, written after the records they end.
    keys = [key for key, _ in records]
    for key in (schema_key("hard-version", 1), schema_key("hard-subject", 1), b'{"keytype":"CONFIG","subject":"config-reset","magic":0}'):
        assert key in kept and kept[key] is None, key
        assert any(value is not None for k, value in records[: keys.index(key) + 1] if k == key), key
    assert kept[schema_key("hard-version", 2)] is not None

    admin = AdminClient(kafka.client_config())
    metadata = admin.list_topics(topic, timeout=10).topics[topic]
    assert len(metadata.partitions) == 1
    (config,) = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)]).values()
    assert config.result(timeout=10)["cleanup.policy"].value == "compact"


def test_a_topic_written_by_confluent_is_taken_over(
    kafka: KafkaSettings, topic: str, registries: list[RegistryProcess]
) -> None:
    """Records as Confluent Schema Registry 7.x writes them, produced by hand."""
    create_topic(kafka, topic, config={"cleanup.policy": "compact"})
    # Confluent stores Avro Java's Schema.toString(): compact JSON, as `compact` makes. The
    # `users` schemas are spaced out instead, as text written by another tool may be.
    user_v1 = avro("User", field("id"))
    user_v2 = avro("User", field("id"), field("email", default=""))
    old = [compact(avro("Old", field("o"))), compact(avro("Old", field("o"), field("p", default="")))]
    gone = compact(avro("Gone", field("g")))

    def key(keytype: str, subject: str | None, version: int | None = None) -> bytes:
        if keytype == "SCHEMA":
            return json.dumps({"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1}, separators=(",", ":")).encode()
        if keytype == "NOOP":
            return b'{"keytype":"NOOP","magic":0}'
        return json.dumps({"keytype": keytype, "subject": subject, "magic": 0}, separators=(",", ":")).encode()

    def schema(subject: str, version: int, schema_id: int, text: str, deleted: bool = False) -> bytes:
        return json.dumps({"subject": subject, "version": version, "id": schema_id, "schema": text, "deleted": deleted}).encode()

    records: list[Record] = [
        (key("NOOP", None), None),
        (key("SCHEMA", "users-value", 1), schema("users-value", 1, 7, user_v1)),
        (key("SCHEMA", "users-value", 2), schema("users-value", 2, 9, user_v2)),
        (key("SCHEMA", "users-copy", 1), schema("users-copy", 1, 7, user_v1)),
        (key("SCHEMA", "old", 1), schema("old", 1, 12, old[0])),
        (key("SCHEMA", "old", 2), schema("old", 2, 13, old[1])),
        (key("DELETE_SUBJECT", "old"), json.dumps({"subject": "old", "version": 2}).encode()),
        (key("SCHEMA", "half", 1), schema("half", 1, 14, compact(avro("Half", field("h"))), deleted=True)),
        (key("SCHEMA", "half", 2), schema("half", 2, 15, compact(avro("Half", field("h"), field("i", default=""))))),
        (key("SCHEMA", "gone", 1), schema("gone", 1, 16, gone)),
        (key("SCHEMA", "gone", 1), None),
        # Confluent 7.x config values name their subject, and leave out what is not set.
        (key("CONFIG", None), json.dumps({"compatibilityLevel": "FULL"}).encode()),
        (key("CONFIG", "users-value"), json.dumps({"subject": "users-value", "compatibilityLevel": "NONE"}).encode()),
        (key("CONFIG", "half"), json.dumps({"subject": "half", "normalize": True}).encode()),
        (key("MODE", "half"), json.dumps({"subject": "half", "mode": "READWRITE"}).encode()),
        (key("NOOP", None), None),
    ]
    producer = Producer(kafka.client_config())
    for k, v in records:
        producer.produce(topic, key=k, value=v)
    assert producer.flush(30) == 0

    registry = start(kafka, topic, registries)
    url = registry.url
    assert ok("GET", f"{url}/subjects") == ["half", "users-copy", "users-value"]
    assert ok("GET", f"{url}/subjects?deleted=true") == ["half", "old", "users-copy", "users-value"]
    assert json.loads(ok("GET", f"{url}/schemas/ids/7")["schema"]) == json.loads(user_v1)
    assert ok("GET", f"{url}/schemas/ids/7/subjects") == ["users-copy", "users-value"]
    assert ok("GET", f"{url}/subjects/users-value/versions/latest")["id"] == 9
    assert ok("GET", f"{url}/subjects/users-value/versions") == [1, 2]
    status, body = http("GET", f"{url}/subjects/old/versions")
    assert (status, body["error_code"]) == (404, 40401)
    assert ok("GET", f"{url}/subjects/old/versions?deleted=true") == [1, 2]
    assert ok("GET", f"{url}/subjects/half/versions") == [2]
    assert ok("GET", f"{url}/subjects/half/versions?deleted=true") == [1, 2]
    status, body = http("GET", f"{url}/schemas/ids/16")
    assert (status, body["error_code"]) == (404, 40403)
    assert ok("GET", f"{url}/config") == {"compatibilityLevel": "FULL"}
    assert ok("GET", f"{url}/config/users-value") == {"compatibilityLevel": "NONE"}
    status, body = http("GET", f"{url}/config/half")
    assert (status, body["error_code"]) == (404, 40408), "a config record without a level sets no level"

    # New ids continue after the highest one ever written (16, though permanently deleted).
    assert ok("POST", f"{url}/subjects/fresh/versions", {"schema": avro("Fresh", field("f"))}) == {"id": 17}
    # Existing schemas keep their ids, though Confluent's text of them is laid out otherwise
    # than ours; new versions continue each subject's numbering.
    assert ok("POST", f"{url}/subjects/users-value/versions", {"schema": user_v2}) == {"id": 9}
    assert ok("POST", f"{url}/subjects/users-value", {"schema": user_v1})["version"] == 1
    assert ok("GET", f"{url}/subjects/users-value/versions") == [1, 2]
    assert ok("POST", f"{url}/subjects/old/versions", {"schema": old[0]}) == {"id": 12}
    assert ok("GET", f"{url}/subjects/old/versions") == [3]
    # FULL (global) applies to `half`: a new field without a default is refused.
    status, body = http("POST", f"{url}/subjects/half/versions", {"schema": avro("Half", field("h"), field("i", default=""), field("j"))})
    assert (status, body["error_code"]) == (409, 409)


def test_a_schemas_topic_without_compaction_is_refused(kafka: KafkaSettings, unique_name: str) -> None:
    import subprocess
    import sys

    from kafka_helpers import create_topic

    topic = f"_schemas-{unique_name}"
    create_topic(kafka, topic, config={"cleanup.policy": "delete"})
    result = subprocess.run(
        [sys.executable, "-m", "governance", "registry", "serve", "--port", "0", "-b", kafka.bootstrap_servers,
         "--topic", topic],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "cleanup.policy=delete" in result.stderr and "compacted" in result.stderr
    assert "Traceback" not in result.stderr

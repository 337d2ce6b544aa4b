"""A write too large for the `_schemas` topic is the request's problem, not the
registry's: a 422 naming the limit, with the writer and the primary untouched,
on a two-instance registry whether the primary or a follower takes it."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource
from kafka_helpers import consume_all
from registry_helpers import Instance, http, schema

from governance.kafka import KafkaSettings


def documented_schema(name: str, fields: int = 2500, doc_chars: int = 1000) -> dict:
    """About 2.6 MB of valid Avro: under the 16 MB body limit, over Kafka's default record size."""
    record = {"type": "record", "name": name, "namespace": "test.big", "fields": [
        {"name": f"field_{i}", "type": "string", "default": "", "doc": f"field {i} " + "d" * doc_chars}
        for i in range(fields)
    ]}
    return {"schema": json.dumps(record)}


def election_state(kafka: KafkaSettings, pair: tuple[Instance, Instance], group: str) -> tuple:
    """Who says they are primary, how often anyone took or left the role, and the announcements."""
    logs = [i.log.read_text() for i in pair]
    coordination = _coordination_topic(pair)
    announcements = consume_all(kafka, coordination, 1, group=group, timeout=10)
    return (
        [i.says_primary for i in pair],
        [log.count("is now the primary") for log in logs],
        [log.count("no longer the primary") for log in logs],
        [m.value() for m in announcements],
    )


def _coordination_topic(pair: tuple[Instance, Instance]) -> str:
    command = pair[0].process.args
    return command[command.index("--topic") + 1] + "_primary"


def test_an_oversized_schema_is_a_422_and_the_primary_keeps_its_role(
        kafka: KafkaSettings, pair: tuple[Instance, Instance]) -> None:
    primary, follower = pair if pair[0].says_primary else pair[::-1]
    assert http("POST", f"{primary.url}/subjects/small/versions", schema("Small0"))[0] == 200
    before = election_state(kafka, pair, "before")
    big = documented_schema("Big")
    assert 2_500_000 < len(json.dumps(big)) < 16 * 1024 * 1024
    for instance in (primary, follower):
        status, body = http("POST", f"{instance.url}/subjects/big/versions", big)
        assert status == 422, body
        assert body["error_code"] == 42209
        assert "max.message.bytes=1,048,588" in body["message"] and "kafka-configs --alter" in body["message"]
    started = time.monotonic()
    status, body = http("POST", f"{follower.url}/subjects/small-next/versions", schema("Small1"))
    assert status == 200, body
    assert time.monotonic() - started < 5, "the next registration succeeds at once"
    assert election_state(kafka, pair, "after") == before
    assert http("GET", f"{primary.url}/subjects/big/versions")[0] == 404


def test_huge_metadata_and_a_burst_of_concurrent_oversized_writes_leave_the_writer_alone(
        kafka: KafkaSettings, pair: tuple[Instance, Instance]) -> None:
    before = election_state(kafka, pair, "burst-before")
    huge_metadata = {**schema("WithMetadata"), "metadata": {"properties": {"notes": "m" * 1_500_000}}}
    big = documented_schema("Burst", fields=1200)

    def write(i: int) -> tuple[int, dict]:
        instance = pair[i % 2]
        if i % 3 == 0:
            return http("POST", f"{instance.url}/subjects/ok-{i}/versions", schema(f"Ok{i}"))
        if i % 3 == 1:
            return http("POST", f"{instance.url}/subjects/big-{i}/versions", big)
        return http("POST", f"{instance.url}/subjects/meta-{i}/versions", huge_metadata)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(write, range(24)))
    for i, (status, body) in enumerate(answers):
        if i % 3 == 0:
            assert status == 200, body
        else:
            assert (status, body["error_code"]) == (422, 42209), body
    assert election_state(kafka, pair, "burst-after") == before


def test_a_limit_raised_on_the_topic_is_honoured_without_a_restart(
        kafka: KafkaSettings, pair: tuple[Instance, Instance]) -> None:
    big = documented_schema("Raised")
    assert http("POST", f"{pair[0].url}/subjects/raised/versions", big)[0] == 422
    topic = _coordination_topic(pair).removesuffix("_primary")
    admin = AdminClient(kafka.client_config())
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic, incremental_configs=[
        ConfigEntry("max.message.bytes", str(8 * 1024 * 1024), incremental_operation=AlterConfigOpType.SET)])
    admin.incremental_alter_configs([resource])[resource].result(timeout=30)
    deadline = time.monotonic() + 30
    while (answer := http("POST", f"{pair[1].url}/subjects/raised/versions", big))[0] != 200:
        assert answer[1]["error_code"] == 42209, answer
        assert time.monotonic() < deadline, answer
        time.sleep(0.5)
    schema_id = answer[1]["id"]
    assert http("GET", f"{pair[0].url}/schemas/ids/{schema_id}")[0] == 200

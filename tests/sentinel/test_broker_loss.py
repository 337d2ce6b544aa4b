"""A broker lost under load, on the three-broker cluster: the sentinel routes every record
exactly once through the loss of a source partition's leader and its return, and tells
the operator once that it lost the broker and once that it is back."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient
from kafka_helpers import create_topic
from sentinel_helpers import (
    Offsets,
    PacedOrders,
    assert_routed_exactly_once,
    pipeline_file,
    produce_orders,
    records_in,
    start,
    wait_until,
)

from governance.kafka import KafkaSettings
from governance.stack.cluster import LocalStack

pytestmark = [pytest.mark.cluster3, pytest.mark.slow]

PARTITIONS = 3
RECORDS = int(os.environ.get("BROKER_LOSS_RECORDS", "60000"))
"""The issue's full size is 200,000: `BROKER_LOSS_RECORDS=200000 ./run test tests/sentinel/test_broker_loss.py`."""


def leader_to_kill(kafka: KafkaSettings, source: str, group: str) -> int:
    """The leader of a source partition: the one that is also the group's coordinator if there is one,
    so that every run also takes the coordinator that the sentinel's commits need away (a CI run saw
    librdkafka wait for ever for it: governance/kafka/bounded.py)."""
    admin = AdminClient(kafka.client_config())
    leaders = [p.leader for _, p in sorted(admin.list_topics(source, timeout=10).topics[source].partitions.items())]
    coordinator = admin.describe_consumer_groups([group], request_timeout=10)[group].result(timeout=30).coordinator.id
    return coordinator if coordinator in leaders else leaders[0]


def test_the_source_leader_killed_and_restarted_mid_run_loses_and_duplicates_nothing(
    cluster3: LocalStack, unique_name: str, tmp_path: Path
) -> None:
    state = cluster3.state()
    assert state is not None and state.registry is not None
    kafka, registry_url = KafkaSettings(state.bootstrap_servers), state.registry.url
    n = RECORDS
    source = f"{unique_name}-in"
    create_topic(kafka, source, partitions=PARTITIONS, replication=3)
    pipeline = pipeline_file(tmp_path, unique_name, source, commit={"every_records": 5000, "every_ms": 500})
    produce_orders(kafka, registry_url, source, range(10_000))
    producing = PacedOrders(kafka, registry_url, source, 10_000, n, {}, chunk=5_000, every=1.0)
    offsets = Offsets(kafka, f"sentinel-{unique_name}", source, PARTITIONS)
    sentinel = start(pipeline, kafka, registry_url)
    try:
        wait_until(lambda: records_in(sentinel, unique_name) >= 5_000, timeout=90, interval=0.1)
        leader = leader_to_kill(kafka, source, f"sentinel-{unique_name}")
        port = state.broker(leader).port
        cluster3.stop_broker(leader, hard=True)
        lost_at = time.monotonic()
        sentinel.wait_for(rf"lost Kafka broker ({leader} \(|at )127.0.0.1:{port}\b", timeout=60)
        routed_while_down = records_in(sentinel, unique_name)
        time.sleep(max(0.0, lost_at + 8 - time.monotonic()))
        cluster3.up()
        sentinel.wait_for(rf"Kafka broker ({leader} \(|at )127.0.0.1:{port}\)? is back after \d+ s", timeout=60)
        producing.join()
        try:
            wait_until(lambda: offsets.committed() == offsets.end() == n, timeout=120)
        except AssertionError:
            raise AssertionError(f"committed {offsets.committed():,} of {offsets.end():,} ({n:,} written); the "
                                 "sentinel said:\n" + "\n".join(sentinel.lines[-40:])) from None
        assert records_in(sentinel, unique_name) > routed_while_down, "routing went on after the broker returned"
        assert sentinel.stop() == 0
    finally:
        offsets.close()
        if sentinel.process.poll() is None:
            sentinel.kill()

    assert_routed_exactly_once(kafka, unique_name, source, n)
    output = sentinel.output
    assert len(re.findall(r"lost Kafka broker", output)) == 1, output
    assert len(re.findall(r"is back after", output)) == 1, output
    assert "rdkafka#" not in output, "librdkafka's retries are not shown one by one"

"""A three-node local cluster replicates, and survives losing a node."""

from __future__ import annotations

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from kafka_helpers import consume_all, create_topic

from governance.kafka import KafkaSettings
from governance.stack.cluster import LocalStack

pytestmark = [pytest.mark.cluster3, pytest.mark.slow]


def _produce(settings: KafkaSettings, topic: str, start: int, count: int) -> set[int]:
    """Send `count` numbered records with acks=all; return the numbers the cluster acknowledged."""
    acked: set[int] = set()

    def on_delivery(err, msg) -> None:
        if err is None:
            acked.add(int(msg.value()))

    producer = Producer(settings.client_config(acks="all", enable_idempotence=True, message_timeout_ms=60_000))
    for n in range(start, start + count):
        producer.produce(topic, key=str(n % 17).encode(), value=str(n).encode(), on_delivery=on_delivery)
        producer.poll(0)
    producer.flush(90)
    return acked


def test_three_brokers_all_registered(cluster3: LocalStack) -> None:
    state = cluster3.state()
    settings = KafkaSettings(state.bootstrap_servers)
    metadata = AdminClient(settings.client_config()).list_topics(timeout=10)
    assert sorted(metadata.brokers) == [1, 2, 3]
    assert len({b.port for b in state.brokers}) == 3


def test_writes_and_reads_continue_after_a_broker_stops(cluster3: LocalStack, unique_name: str) -> None:
    settings = KafkaSettings(cluster3.state().bootstrap_servers)
    create_topic(settings, unique_name, partitions=3, replication=3, config={"min.insync.replicas": "2"})
    admin = AdminClient(settings.client_config())
    partitions = admin.list_topics(unique_name, timeout=10).topics[unique_name].partitions
    assert all(len(p.replicas) == 3 for p in partitions.values())

    before = _produce(settings, unique_name, 0, 3_000)
    assert len(before) == 3_000

    victim = partitions[0].leader
    cluster3.stop_broker(victim, hard=True)

    after = _produce(settings, unique_name, 3_000, 3_000)
    assert len(after) == 3_000, "acks=all writes go on with two of three replicas in sync"

    values = {int(m.value()) for m in consume_all(settings, unique_name, 6_000, group=unique_name)}
    assert before | after <= values, "no acknowledged record was lost"
    assert values == set(range(6_000))

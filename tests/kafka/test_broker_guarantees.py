"""The real broker keeps the guarantees the sentinel and registry rely on."""

from __future__ import annotations

import json
from collections import defaultdict

from confluent_kafka import Producer
from kafka_helpers import consume_all, create_topic

from governance.kafka import KafkaSettings


def test_idempotent_producer_delivers_every_record_once_in_key_order(kafka: KafkaSettings, unique_name: str) -> None:
    create_topic(kafka, unique_name, partitions=6)
    producer = Producer(kafka.client_config(enable_idempotence=True, acks="all", linger_ms=5))
    delivered: list[str] = []
    keys = [f"key-{k}" for k in range(50)]
    per_key_seq: dict[str, int] = defaultdict(int)
    for i in range(10_000):
        key = keys[i % len(keys)]
        value = json.dumps({"key": key, "seq": per_key_seq[key]}).encode()
        per_key_seq[key] += 1
        producer.produce(
            unique_name, key=key.encode(), value=value,
            on_delivery=lambda err, msg: delivered.append("error" if err else "ok"),
        )  # fmt: skip
        producer.poll(0)
    assert producer.flush(60) == 0
    assert delivered.count("ok") == 10_000

    messages = consume_all(kafka, unique_name, 10_000, group=unique_name)

    assert len(messages) == 10_000
    assert {m.partition() for m in messages} == set(range(6)), "keys spread over all six partitions"
    seen: dict[str, list[int]] = defaultdict(list)
    for message in messages:
        record = json.loads(message.value())
        assert message.key().decode() == record["key"]
        seen[record["key"]].append(record["seq"])
    assert set(seen) == set(keys)
    for key, sequence in seen.items():
        assert sequence == list(range(per_key_seq[key])), f"{key} arrived out of order or with gaps"


def test_read_committed_consumer_never_sees_aborted_transactions(kafka: KafkaSettings, unique_name: str) -> None:
    create_topic(kafka, unique_name, partitions=3)
    producer = Producer(kafka.client_config(transactional_id=unique_name))
    producer.init_transactions(30)
    plan = [("t1", True, 300), ("t2", False, 200), ("t3", True, 300), ("t4", False, 100)]
    for name, commit, count in plan:
        producer.begin_transaction()
        for i in range(count):
            producer.produce(unique_name, key=str(i).encode(), value=f"{name}:{i}".encode())
        if commit:
            producer.commit_transaction(30)
        else:
            producer.flush(30)  # see governance/kafka/transactions.py: abort only once the writes have landed
            producer.abort_transaction(30)

    committed = consume_all(kafka, unique_name, 600, group=unique_name + "-rc")
    uncommitted = consume_all(kafka, unique_name, 900, group=unique_name + "-ru", isolation="read_uncommitted")

    def transactions(messages):
        counts: dict[str, int] = defaultdict(int)
        for message in messages:
            counts[message.value().decode().split(":")[0]] += 1
        return dict(counts)

    assert transactions(committed) == {"t1": 300, "t3": 300}
    # The aborted records really are in the log: only the isolation level hides them.
    assert transactions(uncommitted) == {"t1": 300, "t2": 200, "t3": 300, "t4": 100}

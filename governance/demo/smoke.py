"""The first part of `governance demo`: the Kafka we talk to keeps transactions.

Transactional writes (one transaction committed, one aborted) to a fresh topic,
read back by a `read_committed` consumer, counted and checked.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

from governance.kafka.cluster_info import describe_cluster
from governance.kafka.logs import client_logger
from governance.kafka.settings import KafkaSettings


@dataclass(frozen=True)
class DemoResult:
    topic: str
    committed: int
    aborted: int
    read: int
    aborted_seen: int
    seconds: float

    @property
    def ok(self) -> bool:
        return self.read == self.committed and self.aborted_seen == 0


def run_demo(settings: KafkaSettings, records: int = 10_000, partitions: int = 3) -> DemoResult:
    from confluent_kafka import Consumer
    from confluent_kafka.admin import AdminClient

    from governance.kafka.topics import TopicSpec, create_topics
    from governance.kafka.transactions import TransactionalProducer

    describe_cluster(settings)  # a clear error now rather than a timeout later
    started = time.monotonic()
    topic = f"governance-demo-{uuid.uuid4().hex[:8]}"
    admin = AdminClient(settings.client_config(logger=client_logger()))
    create_topics(admin, [TopicSpec(topic, partitions)])

    txn = TransactionalProducer(
        settings.client_config(transactional_id=f"governance-demo-{uuid.uuid4()}", logger=client_logger()), 60
    )
    aborted = max(1, records // 10)
    for batch, count, commit in (("committed", records, True), ("aborted", aborted, False)):
        txn.begin()
        for i in range(count):
            value = json.dumps({"batch": batch, "seq": i}).encode()
            txn.producer.produce(topic, key=f"user-{i % 100}".encode(), value=value)
            if i % 10_000 == 0:
                txn.producer.poll(0)
        if commit:
            txn.commit()
        else:
            txn.abort()

    consumer = Consumer(
        settings.client_config(
            group_id=f"governance-demo-{uuid.uuid4().hex[:8]}",
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            logger=client_logger(),
        )
    )
    consumer.subscribe([topic])
    read = aborted_seen = 0
    deadline = time.monotonic() + 60
    idle_since = time.monotonic()
    try:
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                if read >= records and time.monotonic() - idle_since > 1:
                    break
                continue
            idle_since = time.monotonic()
            if json.loads(message.value())["batch"] == "aborted":
                aborted_seen += 1
            else:
                read += 1
    finally:
        consumer.close()
        admin.delete_topics([topic])
    return DemoResult(topic, records, aborted, read, aborted_seen, time.monotonic() - started)

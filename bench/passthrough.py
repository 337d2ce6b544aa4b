"""The routing engine as a passthrough copier: an always-valid judge, exactly once.

    .venv/bin/python -m bench.passthrough [--records 1000000] [--partitions 3]
        [--commit-every 1000] [--bootstrap-servers HOST:PORT]

Without --bootstrap-servers it starts its own one-broker stack in a temporary
directory. Produces RECORDS small records (key ~7 bytes, value ~10 bytes, one
header) into a fresh topic, then times the router from start until every record
is committed to the output topic, and prints records/s and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import threading
import time
import uuid
from pathlib import Path

from confluent_kafka import Message, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from governance.kafka import KafkaSettings
from governance.sentinel.router import Router, RouterConfig
from governance.sentinel.routing import Verdict

VALID = Verdict(True)


def always_valid(messages: list[Message]) -> list[Verdict]:
    return [VALID] * len(messages)


def produce(settings: KafkaSettings, topic: str, n: int) -> None:
    producer = Producer(settings.client_config(linger_ms=20, batch_size=1_000_000, acks="all"))
    now = int(time.time() * 1000)
    for i in range(n):
        while True:
            try:
                producer.produce(topic, b"value-%d" % i, b"k%d" % i, headers=[("h", b"1")], timestamp=now)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(120)


def bench(settings: KafkaSettings, n: int, partitions: int, commit_every: int) -> None:
    name = f"bench-passthrough-{uuid.uuid4().hex[:8]}"
    admin = AdminClient(settings.client_config())
    topics = [NewTopic(f"{name}-{t}", partitions, 1) for t in ("in", "out", "dlq")]
    for future in admin.create_topics(topics).values():
        future.result(30)
    time.sleep(1)
    produce(settings, f"{name}-in", n)
    config = RouterConfig(
        sources=(f"{name}-in",), valid_topic=f"{name}-out", dlq_topic=f"{name}-dlq", group_id=name,
        pipeline_name="passthrough", transactional_id_prefix=name, commit_every_records=commit_every,
    )  # fmt: skip
    router = Router(settings, config, always_valid)
    stop = threading.Event()
    thread = threading.Thread(target=router.run, args=(stop,))
    started = time.monotonic()
    thread.start()
    while router.stats().committed.records_in < n:
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    stop.set()
    thread.join()
    stats = router.stats()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"records {n:,}  partitions {partitions}  commit every {commit_every:,} records or 1000 ms")
    print(f"passthrough exactly once: {n / elapsed:,.0f} records/s ({elapsed:.1f} s, {stats.commits} transactions)")
    print(f"peak RSS (bench process, input producer included): {rss_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--commit-every", type=int, default=1000)
    parser.add_argument("--bootstrap-servers")
    args = parser.parse_args()
    if args.bootstrap_servers:
        bench(KafkaSettings(args.bootstrap_servers), args.records, args.partitions, args.commit_every)
        return
    from governance.stack.cluster import LocalStack

    with tempfile.TemporaryDirectory(prefix="bench-passthrough-") as tmp:
        stack = LocalStack(Path(tmp))
        stack.up(brokers=1, port=0)
        try:
            state = stack.state()
            assert state is not None
            bench(KafkaSettings(state.bootstrap_servers), args.records, args.partitions, args.commit_every)
        finally:
            stack.down(purge=True)


if __name__ == "__main__":
    main()

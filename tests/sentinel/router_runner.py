"""Run the routing engine with the test judge in its own process:
`python router_runner.py BOOTSTRAP SOURCES VALID DLQ GROUP INSTANCE [COMMIT_RECORDS]`.
Prints `commit <records>` after every commit; SIGTERM and SIGINT stop it cleanly."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from router_helpers import judge  # noqa: E402

from governance.kafka import KafkaSettings  # noqa: E402
from governance.sentinel.router import Router, RouterConfig, RouterStats  # noqa: E402


def main(argv: list[str]) -> int:
    bootstrap, sources, valid, dlq, group, instance = argv[:6]
    commit_records = int(argv[6]) if len(argv) > 6 else 5000
    config = RouterConfig(
        sources=tuple(sources.split(",")),
        valid_topic=valid,
        dlq_topic=dlq,
        group_id=group,
        pipeline_name="router-test",
        transactional_id_prefix=group,
        commit_every_records=commit_records,
        commit_every_ms=500,
        instance_id=instance,
        session_timeout_ms=6000,
        transaction_timeout_ms=10_000,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def report(stats: RouterStats) -> None:
        print(f"commit {stats.committed.records_in}", flush=True)

    Router(KafkaSettings(bootstrap), config, judge).run(stop, on_commit=report)
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Run the routing engine with the test judge in its own process:
`python router_runner.py BOOTSTRAP SOURCES VALID DLQ GROUP INSTANCE [COMMIT_RECORDS]
[--commit-ms MS] [--guarantee exactly_once|at_least_once] [--session-timeout-ms MS] [--report-routed] [--ahead]`
(--ahead: the judge works ahead, as the sentinel's judge workers do).
Prints `commit <records>` after every commit, `assigned|revoked|lost <partitions>`
on every rebalance and, with --report-routed, `routed <records>` after every batch; SIGTERM and SIGINT stop it cleanly (then it prints
`stats aborts=<n> producer_rebuilds=<n>` and `stopped`)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from router_helpers import AheadJudge, judge  # noqa: E402

from governance.kafka import KafkaSettings  # noqa: E402
from governance.sentinel.router import Router, RouterConfig, RouterEvent  # noqa: E402
from governance.sentinel.routing import RouterStats  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    for name in ("bootstrap", "sources", "valid", "dlq", "group", "instance"):
        parser.add_argument(name)
    parser.add_argument("commit_records", nargs="?", type=int, default=5000)
    parser.add_argument("--commit-ms", type=int, default=500)
    parser.add_argument("--report-routed", action="store_true")
    parser.add_argument("--guarantee", choices=("exactly_once", "at_least_once"), default="exactly_once")
    parser.add_argument("--session-timeout-ms", type=int, default=6000)
    parser.add_argument("--ahead", action="store_true")
    args = parser.parse_args(argv)
    config = RouterConfig(
        sources=tuple(args.sources.split(",")),
        valid_topic=args.valid,
        dlq_topic=args.dlq,
        group_id=args.group,
        pipeline_name="router-test",
        transactional_id_prefix=args.group,
        commit_every_records=args.commit_records,
        commit_every_ms=args.commit_ms,
        guarantee=args.guarantee,
        instance_id=args.instance,
        session_timeout_ms=args.session_timeout_ms,
        transaction_timeout_ms=10_000,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def report(stats: RouterStats) -> None:
        print(f"commit {stats.committed.records_in}", flush=True)

    def on_event(event: RouterEvent, count: int) -> None:
        if event != "routed" or args.report_routed:  # printed so that tests can wait for them
            print(f"{event} {count}", flush=True)

    router = Router(KafkaSettings(args.bootstrap), config, AheadJudge() if args.ahead else judge, on_event=on_event)
    router.run(stop, on_commit=report)
    stats = router.stats()
    print(f"stats aborts={stats.aborts} producer_rebuilds={stats.producer_rebuilds}", flush=True)
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""End-to-end latency at a fixed offered load: the sentinel and its peers side by side.

    .venv/bin/python -m bench.latency [--rate 20000] [--seconds 60] [--paths b,e,f]
        [--partitions 3] [--commit-every 10000] [--log-dir DIR]
        [--bootstrap-servers HOST:PORT --registry URL]

For each path in turn, on a fresh topic: start it (b `governance sentinel run`, e the
Kafka Streams filter, f the Quix Streams app: the same processes bench/sentinel.py
times), wait until its consumer group has the partitions, then produce RATE records/s
for SECONDS seconds (bench/common.py's payments, 5% breaking a rule), each carrying
the moment it was produced in its `createdAt` field. A `read_committed` consumer on the
valid topic decodes each record it sees and takes now - createdAt: the time from the
producer to a downstream consumer seeing it committed, which includes each path's
commit interval (the sentinel commits every COMMIT_EVERY records or 1 s; the peers
every second; Quix every 10,000 records or 1 s). Printed per path: records seen, p50, p99, max, and the offered rate
actually reached. Without --bootstrap-servers a one-broker stack is started in a
temporary directory.
"""

from __future__ import annotations

import argparse
import io
import os
import struct
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import children, common
from bench.stacks import add_cluster_options, run_on_cluster


@dataclass(frozen=True)
class Target:
    """What a path reads and writes in one latency run."""

    name: str
    records: int

    @property
    def source(self) -> str:
        return f"{self.name}-in"

    @property
    def valid(self) -> str:
        return f"{self.name}-valid"

    @property
    def dlq(self) -> str:
        return f"{self.name}-dlq"


@dataclass(frozen=True)
class LatencyPath:
    key: str
    label: str
    command: Callable[[Target, str, str, Path], list[str]]
    """(target, bootstrap, registry, work dir) -> the command that runs the path until it has routed target.records."""
    group: Callable[[Target], str]
    """The consumer group the path reads with (its readiness is that group's assignment)."""


def _sentinel_command(t: Target, bootstrap: str, registry: str, work: Path, commit_every: int) -> list[str]:
    common.create_topics(bootstrap, [f"{t.name}-kpi"], 1)
    pipeline = children.write_pipeline(work, t.name, t.source, t.valid, t.dlq, commit_every)
    return children.sentinel_command(pipeline, bootstrap, registry, "--idle-exit", "5")


def _kstreams_command(t: Target, bootstrap: str, registry: str, work: Path) -> list[str]:
    from peers import kstreams

    jar = kstreams.build(lambda message: print(message, flush=True))
    return kstreams.command(jar, bootstrap, registry, t.source, t.valid, t.dlq, t.name, t.records, 1000)


def _quix_command(t: Target, bootstrap: str, registry: str, work: Path) -> list[str]:
    from peers import quix

    quix.prepare(lambda message: print(message, flush=True))
    return quix.command(bootstrap, registry, t.source, t.valid, t.dlq, t.name, t.records)


def paths(commit_every: int) -> dict[str, LatencyPath]:
    return {
        "b": LatencyPath("b", "b sentinel", lambda t, b, r, w: _sentinel_command(t, b, r, w, commit_every),
                         lambda t: f"sentinel-{t.name}"),
        "e": LatencyPath("e", "e Kafka Streams filter", _kstreams_command, lambda t: t.name),
        "f": LatencyPath("f", "f Quix Streams app", _quix_command, lambda t: t.name),
    }


def offer(bootstrap: str, topic: str, schema_id: int, rate: int, seconds: float) -> tuple[int, float]:
    """RATE records/s for SECONDS, paced in 10 ms ticks, createdAt = the moment of produce (ms).
    Returns the records produced and the seconds it took."""
    import fastavro
    from confluent_kafka import Producer

    parsed = fastavro.parse_schema(common.SCHEMA)
    header = b"\x00" + struct.pack(">I", schema_id)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all",
                         "queue.buffering.max.messages": 1_000_000})
    buf = io.BytesIO()
    total = int(rate * seconds)
    per_tick = max(1, rate // 100)
    started = time.monotonic()
    i = 0
    while i < total:
        due = started + i / rate
        if (wait := due - time.monotonic()) > 0:
            time.sleep(wait)
        now_ms = int(time.time() * 1000)
        for _ in range(min(per_tick, total - i)):
            rec = common.record(i, (i // 20) % 5 if i % 20 == 0 else None)
            rec["createdAt"] = now_ms
            buf.seek(0)
            buf.truncate()
            fastavro.schemaless_writer(buf, parsed, rec)
            common.send(producer, topic, header + buf.getvalue(), rec["id"].encode())
            i += 1
        producer.poll(0)
    producer.flush(60)
    return total, time.monotonic() - started


class Watch(threading.Thread):
    """Reads the valid topic (read_committed) from its end and keeps now - createdAt per record."""

    def __init__(self, bootstrap: str, topic: str, expected: int) -> None:
        super().__init__(daemon=True)
        import fastavro
        from confluent_kafka import Consumer

        self.expected = expected
        self.latencies_ms: list[int] = []
        self.stop = threading.Event()
        self.ready = threading.Event()
        self._schema = fastavro.parse_schema(common.SCHEMA)
        self._consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"latency-watch-{uuid.uuid4().hex[:8]}",
                                   "isolation.level": "read_committed", "enable.auto.commit": False,
                                   "auto.offset.reset": "earliest", "fetch.wait.max.ms": 10})
        self._consumer.subscribe([topic], on_assign=lambda c, p: self.ready.set())

    def run(self) -> None:
        import fastavro

        read = fastavro.schemaless_reader
        try:
            while not self.stop.is_set() and len(self.latencies_ms) < self.expected:
                for m in self._consumer.consume(1000, 0.05):
                    if m.error() is not None or not m.value():
                        continue
                    now_ms = time.time() * 1000
                    created = read(io.BytesIO(m.value()[5:]), self._schema, None)["createdAt"]
                    self.latencies_ms.append(int(now_ms - created))
        finally:
            self._consumer.close()


def measure(path: LatencyPath, args: argparse.Namespace, bootstrap: str, registry: str,
            work: Path) -> dict[str, Any] | None:
    run = uuid.uuid4().hex[:8]
    records = int(args.rate * args.seconds)
    expected_valid = records - len([i for i in range(records) if i % 20 == 0])
    target = Target(f"latency-{path.key}-{run}", records)
    common.create_topics(bootstrap, [target.source, target.valid, target.dlq], args.partitions)
    schema_id = common.register_plain(registry, f"{target.source}-value")
    watch = Watch(bootstrap, target.valid, expected_valid)
    watch.start()
    log = work / f"latency-{path.key}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(path.command(target, bootstrap, registry, work), stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        try:
            started = time.monotonic()
            common.wait_members(bootstrap, path.group(target), 1)
            ready = time.monotonic() - started
            watch.ready.wait(30)
            produced, took = offer(bootstrap, target.source, schema_id, args.rate, args.seconds)
            watch.join(timeout=120)
        finally:
            watch.stop.set()
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
    seen = sorted(watch.latencies_ms)
    if len(seen) < expected_valid:
        print(f"  {path.label}: saw {len(seen):,} of {expected_valid:,} valid records; log {log}", flush=True)
        if not seen:
            return None
    return {"ready": ready, "produced": produced, "rate": produced / took, "seen": len(seen),
            "expected": expected_valid, "p50": _pct(seen, 50), "p99": _pct(seen, 99), "max": seen[-1]}


def _pct(sorted_values: list[int], p: float) -> int:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p / 100))]


def bench(args: argparse.Namespace, bootstrap: str, registry: str, work: Path) -> None:
    known = paths(args.commit_every)
    wanted = [known[k] for k in args.paths.split(",")]
    print(f"offered load {args.rate:,} records/s for {args.seconds:.0f} s per path, {args.partitions} partitions; "
          f"{os.cpu_count()} cores", flush=True)
    rows: dict[str, dict[str, Any]] = {}
    for path in wanted:
        print(f"{path.label} ...", flush=True)
        row = measure(path, args, bootstrap, registry, work)
        if row is not None:
            rows[path.key] = row
            print(f"  assigned after {row['ready']:.1f} s; {row['seen']:,} valid records seen; p50 {row['p50']} ms, "
                  f"p99 {row['p99']} ms, max {row['max']} ms", flush=True)
    print()
    header = f"{'path':<24} {'offered/s':>10} {'seen':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    for path in wanted:
        row = rows.get(path.key)
        if row is None:
            print(f"{path.label:<24} {'failed':>10}")
            continue
        print(f"{path.label:<24} {row['rate']:>10,.0f} {row['seen']:>10,} {row['p50']:>8,} {row['p99']:>8,} {row['max']:>8,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--paths", default="b,e,f")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--commit-every", type=int, default=10_000)
    add_cluster_options(parser)
    args = parser.parse_args()
    run_on_cluster(parser, args, "bench-latency-", lambda b, r, work: bench(args, b, r, work))


if __name__ == "__main__":
    main()

"""Scaling: one, two and four sentinel processes on a topic of twelve partitions, one sentinel
judging on one, two and four processes, and one, two and four Kafka Streams threads, with
this machine's core count beside them.

    .venv/bin/python -m bench.scaling [--records 1000000] [--counts 1,2,4] [--paths b,w,e]
        [--partitions 12] [--commit-every 10000] [--log-dir DIR]
        [--bootstrap-servers HOST:PORT --registry URL]

For each path and count, on a fresh topic: start the workers (b: that many `governance
sentinel run --workers 0` processes sharing one consumer group; w: one `governance
sentinel run --workers COUNT-1`, which judges each batch on that many processes in all;
e: the Kafka Streams filter with that many stream threads), wait until the group has
its members holding partitions, then write RECORDS pre-encoded payments (5% break a rule) as fast as the
producer goes. The clock runs from the first record written to the moment the group's
committed offsets cover every record (polled every 50 ms), the same outside clock for
every path: how fast a group of workers empties a backlog, start-up excluded.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import struct
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from bench import children, common
from bench.stacks import add_cluster_options, run_on_cluster


def encode(n: int, schema_id: int) -> list[tuple[bytes, bytes]]:
    import fastavro

    parsed = fastavro.parse_schema(common.SCHEMA)
    header = b"\x00" + struct.pack(">I", schema_id)
    out = []
    buf = io.BytesIO()
    for i in range(n):
        rec = common.record(i, (i // 20) % 5 if i % 20 == 0 else None)
        buf.seek(0)
        buf.truncate()
        fastavro.schemaless_writer(buf, parsed, rec)
        out.append((rec["id"].encode(), header + buf.getvalue()))
    return out


def run_once(path: str, count: int, records: list[tuple[bytes, bytes]], args: argparse.Namespace, bootstrap: str,
             registry: str, work: Path) -> dict[str, Any] | None:
    from confluent_kafka import Consumer, Producer, TopicPartition

    name = f"scaling-{path}{count}-{uuid.uuid4().hex[:8]}"
    source, valid, dlq = f"{name}-in", f"{name}-valid", f"{name}-dlq"
    common.create_topics(bootstrap, [source, valid, dlq], args.partitions)
    schema_id = common.register_plain(registry, f"{source}-value")
    assert records[0][1][1:5] == struct.pack(">I", schema_id), "the payments were encoded with another schema id"
    n = len(records)
    processes: list[subprocess.Popen] = []
    logs = []
    if path in ("b", "w"):
        group = f"sentinel-{name}"
        common.create_topics(bootstrap, [f"{name}-kpi"], 1)
        pipeline = children.write_pipeline(work, name, source, valid, dlq, args.commit_every)
        commands = ([children.sentinel_command(pipeline, bootstrap, registry, "--instance-id", "w0", "--workers", str(count - 1))]
                    if path == "w" else
                    [children.sentinel_command(pipeline, bootstrap, registry, "--instance-id", f"w{k}", "--workers", "0")
                     for k in range(count)])
    else:
        from bench.peers import kstreams

        group = name
        commands = [kstreams.command(kstreams.build(print), bootstrap, registry, source, valid, dlq, group, n,
                                     1000, count)]
    for k, command in enumerate(commands):
        log = open(work / f"{name}-{k}.log", "wb")
        logs.append(log)
        processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
    try:
        common.wait_members(bootstrap, group, len(commands) if path == "w" else count)
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.size": 1_000_000,
                             "compression.type": "lz4", "queue.buffering.max.messages": 2_000_000, "acks": "all"})
        started = time.monotonic()
        for key, value in records:
            common.send(producer, source, value, key)
        producer.flush(120)
        written = time.monotonic() - started
        watcher = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
        partitions = [TopicPartition(source, p) for p in range(args.partitions)]
        deadline = time.monotonic() + 900
        while True:
            done = sum(max(tp.offset, 0) for tp in watcher.committed(partitions, timeout=10))
            if done >= n:
                seconds = time.monotonic() - started
                break
            if time.monotonic() > deadline or all(p.poll() is not None for p in processes):
                print(f"  {path}{count}: committed {done:,} of {n:,}; logs in {work}", flush=True)
                return None
            time.sleep(0.05)
        watcher.close()
    finally:
        for p in processes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in processes:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()
    counted = (common.count_topic(bootstrap, valid), common.count_topic(bootstrap, dlq))
    bad = len([i for i in range(n) if i % 20 == 0])
    return {"seconds": seconds, "written": written, "rate": n / seconds, "counted": counted,
            "right": counted == (n - bad, bad)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--counts", default="1,2,4")
    parser.add_argument("--paths", default="b,w,e")
    parser.add_argument("--partitions", type=int, default=12)
    parser.add_argument("--commit-every", type=int, default=10_000)
    add_cluster_options(parser)
    args = parser.parse_args()

    def work(bootstrap: str, registry: str, logs: Path) -> None:
        probe = f"scaling-probe-{uuid.uuid4().hex[:8]}"
        schema_id = common.register_plain(registry, f"{probe}-value")
        records = encode(args.records, schema_id)
        counts = [int(c) for c in args.counts.split(",")]
        labels = {"b": "sentinel processes", "w": "sentinel judge processes", "e": "Kafka Streams threads"}
        print(f"{args.records:,} records, {args.partitions} partitions, {os.cpu_count()} cores "
              f"({_cpu_model()})", flush=True)
        rows: dict[tuple[str, int], dict[str, Any] | None] = {}
        for path in args.paths.split(","):
            for count in counts:
                print(f"{path}) {count} {labels[path]} ...", flush=True)
                row = run_once(path, count, records, args, bootstrap, registry, logs)
                rows[(path, count)] = row
                if row:
                    print(f"  {row['rate']:,.0f} records/s ({row['seconds']:.1f} s; written in {row['written']:.1f} s); "
                          f"valid {row['counted'][0]:,}, DLQ {row['counted'][1]:,}"
                          + ("" if row["right"] else " (WRONG COUNTS)"), flush=True)
        print()
        header = f"{'workers':<26}" + "".join(f"{c:>12}" for c in counts) + f"{'x at ' + str(counts[-1]):>10}"
        print(header)
        print("-" * len(header))
        for path in args.paths.split(","):
            first = rows.get((path, counts[0]))
            cells = "".join(f"{r['rate']:>12,.0f}" if (r := rows.get((path, c))) else f"{'failed':>12}" for c in counts)
            last = rows.get((path, counts[-1]))
            gain = f"{last['rate'] / first['rate']:.2f}x" if first and last else "-"
            print(f"{labels[path]:<26}{cells}{gain:>10}")
        print(f"(records/s; {os.cpu_count()} cores)")

    run_on_cluster(parser, args, "bench-scaling-", work)

def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()

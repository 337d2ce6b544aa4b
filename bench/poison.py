"""Poison at scale: the sentinel on a topic where a fifth of the records are poison of every
kind, side by side with a clean topic of the same size.

    .venv/bin/python -m bench.poison [--records 1000000] [--poison-ratio 0.2] [--big 200]
        [--repeat 1] [--partitions 3] [--commit-every 10000] [--log-dir DIR]
        [--bootstrap-servers HOST:PORT --registry URL]

Two topics of RECORDS records each. The clean one is bench/common.py's payments
(one in twenty breaking one of the five rules of bench/sentinel-pipeline.yml). The
poisoned one (bench/poison_corpus.py) has POISON_RATIO of poison taking every kind in
turn: twelve kinds of bad bytes, an id whose schema was deleted from the registry,
records with a thousand headers, and BIG records of one megabyte; the rest are the same
payments. `governance sentinel run --idle-exit 3` routes each, in turns with --repeat.

For each run: the sentinel's own time and records/s (first record consumed to the last
commit, as it prints them), its peak RSS, and its resident memory at a quarter, half,
three quarters and the end of its run (sampled every 50 ms), to show whether memory stays
flat. Then the poisoned run's outputs are read back (read_committed) and every record is
checked to be exactly once where it belongs, at the DLQ stage it belongs to, with its
headers and its full size. Exit status 1 if anything is lost, duplicated or misplaced.

Beside each sentinel run, the floor: confluent-kafka alone copying every record of the
same topic with its key, value, timestamp and headers into one topic, exactly once
(a transaction every COMMIT_EVERY records), judging nothing. Its poisoned/clean ratio
is what moving these records through the Python client costs before any judging.
Without --bootstrap-servers a one-broker stack is started in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from bench import children, common, poison_corpus
from bench.stacks import add_cluster_options, run_on_cluster


def _registry(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(url.rstrip("/") + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def register_ids(registry: str, subjects: list[str], other: str) -> poison_corpus.Ids:
    """The payment schema under each of `subjects`; a schema of another subject; and an id
    registered under the first subject, then deleted for good."""
    ids = [common.register_plain(registry, s) for s in subjects]
    foreign = _registry(registry, "POST", f"/subjects/{other}/versions",
                        {"schema": json.dumps({"type": "record", "name": "Other", "fields": [{"name": "x", "type": "long"}]})})
    later = dict(common.SCHEMA, fields=[*common.SCHEMA["fields"], {"name": "tag", "type": ["null", "string"], "default": None}])
    deleted = _registry(registry, "POST", f"/subjects/{subjects[0]}/versions", {"schema": json.dumps(later)})["id"]
    version = _registry(registry, "POST", f"/subjects/{subjects[0]}", {"schema": json.dumps(later)})["version"]
    _registry(registry, "DELETE", f"/subjects/{subjects[0]}/versions/{version}")
    _registry(registry, "DELETE", f"/subjects/{subjects[0]}/versions/{version}?permanent=true")
    assert len(set(ids)) == 1
    return poison_corpus.Ids(ids[0], foreign["id"], deleted)


def run_sentinel(pipeline: Path, bootstrap: str, registry: str, log: Path) -> dict[str, Any] | None:
    samples: list[tuple[float, float]] = []
    cmd = children.sentinel_command(pipeline, bootstrap, registry, "--idle-exit", "3")
    code, text, peak = children.run_child(cmd, log, 3600, rss=samples)
    summary = children.sentinel_summary(text)
    if code != 0 or summary is None:
        print(f"  the sentinel failed (exit {code}) or printed no summary:\n{text[-3000:]}", flush=True)
        return None
    records, valid, dlq, seconds = summary
    end = samples[-1][0] if samples else 0.0
    quarters = [next((mb for t, mb in samples if t >= end * q), 0.0) for q in (0.25, 0.5, 0.75)]
    quarters.append(max((mb for _, mb in samples[-5:]), default=0.0))
    return {"records": records, "valid": valid, "dlq": dlq, "seconds": seconds, "rss": peak, "quarters": quarters}


def copy_all(bootstrap: str, source: str, target: str, n: int, commit_every: int) -> float:
    """The floor: seconds for confluent-kafka alone to copy `n` records of `source` into
    `target` exactly once, from the first record consumed to the last commit."""
    from confluent_kafka import Consumer, Producer

    group = f"{target}-copier"
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "isolation.level": "read_committed", "log_level": 3})
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": group, "linger.ms": 5,
                         "message.max.bytes": 1_200_000, "log_level": 3})
    producer.init_transactions(30)
    consumer.subscribe([source])
    copied = in_txn = 0
    started = opened = 0.0
    producer.begin_transaction()
    while copied < n:
        for message in consumer.consume(1000, 1.0):
            if message.error() is not None:
                continue
            if not started:
                started = opened = time.monotonic()
            while True:
                try:
                    producer.produce(target, message.value(), message.key(), headers=message.headers(),
                                     timestamp=message.timestamp()[1])
                    break
                except BufferError:
                    producer.poll(0.05)
            copied += 1
            in_txn += 1
        if in_txn and (in_txn >= commit_every or copied >= n or time.monotonic() - opened >= 1.0):
            producer.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                                 consumer.consumer_group_metadata(), 60)
            producer.commit_transaction(60)
            producer.begin_transaction()
            in_txn, opened = 0, time.monotonic()
    seconds = time.monotonic() - started
    producer.abort_transaction(30)
    consumer.close()
    return seconds


def bench(args: argparse.Namespace, bootstrap: str, registry: str, tmp: Path) -> int:
    run = uuid.uuid4().hex[:8]
    n = args.records
    clean, poisoned = f"bench-poison-{run}-clean", f"bench-poison-{run}-poisoned"
    tries = range(1, args.repeat + 1)
    outputs = {(source, k): (f"{source}-{k}-valid", f"{source}-{k}-dlq") for source in (clean, poisoned) for k in tries}
    copies = {(source, k): f"{source}-{k}-copy" for source in (clean, poisoned) for k in tries}
    common.create_topics(bootstrap, [clean, poisoned] + [t for pair in outputs.values() for t in pair]
                       + list(copies.values()), args.partitions)
    common.create_topics(bootstrap, [f"{source}-{k}-kpi" for source in (clean, poisoned) for k in tries], 1)
    ids = register_ids(registry, [f"{poisoned}-value", f"{clean}-value"], f"bench-poison-{run}-other-value")
    corpus = poison_corpus.Corpus(n, ids, args.poison_ratio, args.big)
    counts = corpus.counts()
    print(f"records {n:,} per topic, {args.partitions} partitions, commit every {args.commit_every:,} records or 1000 ms; "
          f"schema id {ids.schema}, another subject's {ids.foreign}, deleted {ids.deleted}", flush=True)
    print("poisoned topic: " + ", ".join(f"{kind} {count:,}" for kind, count in sorted(counts.items())), flush=True)
    started = time.monotonic()
    bad = common.produce(bootstrap, clean, ids.schema, n, 0.05)
    print(f"produced the clean topic ({bad:,} break a rule) in {time.monotonic() - started:.0f} s", flush=True)
    started = time.monotonic()
    poison_corpus.produce(bootstrap, poisoned, corpus,
                          progress=lambda done: print(f"  produced {done:,} poisoned", flush=True))
    print(f"produced the poisoned topic in {time.monotonic() - started:.0f} s", flush=True)

    results: dict[str, list[dict[str, Any]]] = {"clean": [], "poisoned": []}
    floors: dict[str, list[float]] = {"clean": [], "poisoned": []}
    failures = 0
    for k in tries:
        for label, source in (("clean", clean), ("poisoned", poisoned)):
            valid, dlq = outputs[(source, k)]
            pipeline = children.write_pipeline(tmp, f"{source}-{k}", source, valid, dlq, args.commit_every)
            print(f"{label} (try {k} of {args.repeat}) ...", flush=True)
            seconds = copy_all(bootstrap, source, copies[(source, k)], n, args.commit_every)
            floors[label].append(n / seconds)
            print(f"  the floor, confluent-kafka copying alone: {n:,} records in {seconds:.1f} s", flush=True)
            result = run_sentinel(pipeline, bootstrap, registry, tmp / f"sentinel-{label}-{k}.log")
            if result is None:
                failures += 1
                continue
            results[label].append(result)
            print(f"  {result['records']:,} records in {result['seconds']:.1f} s ({result['valid']:,} valid, "
                  f"{result['dlq']:,} to the DLQ), peak {result['rss']:.0f} MB, resident at 1/4, 1/2, 3/4, end: "
                  + ", ".join(f"{mb:.0f}" for mb in result["quarters"]) + " MB", flush=True)
            if label == "poisoned":
                started = time.monotonic()
                problems = poison_corpus.check(corpus, common.read_messages(bootstrap, valid),
                                               common.read_messages(bootstrap, dlq))
                print(f"  checked every record of {valid} and {dlq} in {time.monotonic() - started:.0f} s: "
                      + ("each exactly once where it belongs" if not problems else "PROBLEMS"), flush=True)
                for problem in problems:
                    print(f"    {problem}", flush=True)
                failures += bool(problems)
    report(results, floors, n, args.poison_ratio)
    return 1 if failures else 0


def report(results: dict[str, list[dict[str, Any]]], floors: dict[str, list[float]], n: int, ratio: float) -> None:
    def rate(row: dict[str, Any]) -> float:
        return row["records"] / max(row["seconds"], 1e-9)

    best = {label: max(rows, key=rate) for label, rows in results.items() if rows}
    print()
    header = (f"{'topic':<22} {'records':>10} {'to DLQ':>9} {'seconds':>8} {'records/s':>10} {'peak RSS MB':>12} "
              f"{'resident MB at 1/4, 1/2, 3/4, end':>36} {'floor records/s':>16}")
    print(header)
    print("-" * len(header))
    for label, title in (("clean", "clean (5% break a rule)"), ("poisoned", f"{ratio:.0%} poison + the same")):
        row = best.get(label)
        if row is None:
            print(f"{title:<22} {'not measured':>10}")
            continue
        floor = max(floors.get(label) or [0.0])
        print(f"{title:<22} {row['records']:>10,} {row['dlq']:>9,} {row['seconds']:>8.1f} {rate(row):>10,.0f} "
              f"{row['rss']:>12.0f} {', '.join(f'{mb:.0f}' for mb in row['quarters']):>36} {floor:>16,.0f}")
    if "clean" in best and "poisoned" in best:
        ratio_seen = rate(best["poisoned"]) / rate(best["clean"])
        print(f"\n{'PASS' if ratio_seen >= 0.5 else 'MISS'}  poisoned throughput >= 0.5x clean: {ratio_seen:.2f}x")
        if floors["clean"] and floors["poisoned"]:
            fast = {label: max(rates) for label, rates in floors.items()}
            print(f"      the floor's own ratio (confluent-kafka copying, judging nothing): "
                  f"{fast['poisoned'] / fast['clean']:.2f}x")
            print(f"      what the poison adds, in seconds for {n:,} records: the sentinel "
                  f"{n / rate(best['poisoned']) - n / rate(best['clean']):.1f}, the floor "
                  f"{n / fast['poisoned'] - n / fast['clean']:.1f}")
    for label, rows in results.items():
        if len(rows) > 1:
            print(f"note: {label}, records/s of each try: " + ", ".join(f"{rate(r):,.0f}" for r in rows)
                  + " (the table has the fastest); the floor's: " + ", ".join(f"{r:,.0f}" for r in floors[label]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--poison-ratio", type=float, default=0.2)
    parser.add_argument("--big", type=int, default=200, help="records of one megabyte among the poison")
    parser.add_argument("--repeat", type=int, default=1, help="run clean and poisoned this many times each, in turns")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--commit-every", type=int, default=10_000)
    add_cluster_options(parser, "keep each run's output and pipeline file here")
    args = parser.parse_args()
    status = [0]

    def work(bootstrap: str, registry: str, logs: Path) -> None:
        status[0] = bench(args, bootstrap, registry, logs)

    run_on_cluster(parser, args, "bench-poison-", work)
    sys.exit(status[0])


if __name__ == "__main__":
    main()

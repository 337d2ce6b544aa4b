"""How fast the steward console answers with a large estate: 2,000 subjects in the
registry and a dead-letter topic of 200,000 records.

    .venv/bin/python -m bench.console [--subjects 2000] [--dlq-records 200000] [--repeat 5]
        [--bootstrap-servers HOST:PORT --registry URL]

It starts a one-broker stack (unless given one), registers SUBJECTS small record
schemas, writes DLQ_RECORDS dead letters (Confluent Avro values with the sentinel's
headers, 3 partitions), starts `governance console` on a project whose pipeline
names that DLQ, and times each page REPEAT times over HTTP (the first request of
each page is reported apart: it opens Kafka clients and fills caches). The target
is under a second per page.
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.stacks import on_cluster


def register(registry: str, subjects: int) -> int:
    def one(i: int) -> int:
        schema = {"type": "record", "name": f"Bench{i}", "namespace": "bench.console",
                  "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}]}
        body = json.dumps({"schema": json.dumps(schema)}).encode()
        request = urllib.request.Request(f"{registry}/subjects/bench-console-{i:05d}-value/versions", data=body,
                                         headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read())["id"]

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(one, range(subjects)))
    return ids[0]


def write_dlq(bootstrap: str, topic: str, source: str, n: int, schema_id: int) -> None:
    import fastavro
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 3, 1)])[topic].result(30)
    parsed = fastavro.parse_schema({"type": "record", "name": "Bench0", "namespace": "bench.console",
                                    "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}]})
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "compression.type": "lz4"})
    rules = ["expect_column_values_to_be_between(amount)", "expect_column_values_to_match_regex(id)"]
    import io

    for i in range(n):
        buf = io.BytesIO()
        buf.write(struct.pack(">bI", 0, schema_id))
        fastavro.schemaless_writer(buf, parsed, {"id": f"pay-{i}", "amount": -i})
        rule = rules[i % 2]
        headers = [("__connect.errors.topic", source.encode()), ("__connect.errors.partition", b"0"),
                   ("__connect.errors.offset", str(i).encode()), ("__connect.errors.stage", b"validate"),
                   ("__sentinel.pipeline", b"bench"),
                   ("__sentinel.failed.rules", json.dumps([{"rule": rule, "message": f"{rule} failed: got {-i}"}]).encode())]
        while True:
            try:
                producer.produce(topic, buf.getvalue(), f"k{i}".encode(), headers=headers)
                break
            except BufferError:
                producer.poll(0.05)
    assert producer.flush(120) == 0


def timed(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as answer:
        answer.read()
        assert answer.status == 200, url
    return time.perf_counter() - started


def run(args: argparse.Namespace, bootstrap: str, registry: str, tmp: Path) -> None:
    from governance.stack.ports import free_ports

    run_id = uuid.uuid4().hex[:6]
    name, source = f"bench-console-{run_id}", f"bench-console-{run_id}-raw"
    started = time.monotonic()
    schema_id = register(registry, args.subjects)
    print(f"registered {args.subjects:,} subjects in {time.monotonic() - started:.0f} s", flush=True)
    started = time.monotonic()
    write_dlq(bootstrap, f"{source}-dlq", source, args.dlq_records, schema_id)
    print(f"wrote {args.dlq_records:,} dead letters in {time.monotonic() - started:.0f} s", flush=True)
    project = tmp / "project"
    (project / "rules").mkdir(parents=True)
    (project / "rules" / f"{name}.yml").write_text(
        f"name: {name}\nsource: {source}\nsubject: {source}-value\nexpectations:\n"
        "  - {expectation: expect_column_values_to_be_between, column: amount, min_value: 0}\n"
        "  - {expectation: expect_column_values_to_match_regex, column: id, regex: '^x'}\n")
    port = free_ports(1)[0]
    console = subprocess.Popen([sys.executable, "-m", "governance", "console", "--port", str(port), "--project",
                                str(project), "-b", bootstrap, "--registry", registry],
                               stdout=(tmp / "console.log").open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/static/console.css", timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "console did not start"
                time.sleep(0.2)
        pages = {
            "overview": "/",
            "subjects (page 1 of 20)": "/subjects",
            "subjects filtered": f"/subjects?q={args.subjects - 1:05d}",
            "subject": f"/subjects/bench-console-{args.subjects // 2:05d}-value",
            "pipeline": f"/pipelines/{name}",
            "DLQ newest page": f"/pipelines/{name}/dlq",
            "DLQ page 100": f"/pipelines/{name}/dlq?page=100",
            "DLQ filtered by rule": f"/pipelines/{name}/dlq?rule=expect_column_values_to_match_regex(id)",
            "lineage": "/lineage",
        }
        print(f"\n{'page':<24} {'first (s)':>10} {'median (s)':>11} {'max (s)':>9}")
        worst = 0.0
        for label, path in pages.items():
            first = timed(base + path)
            times = sorted(timed(base + path) for _ in range(args.repeat))
            worst = max(worst, times[-1])
            print(f"{label:<24} {first:>10.3f} {times[len(times) // 2]:>11.3f} {times[-1]:>9.3f}", flush=True)
        print(f"\n{'PASS' if worst < 1.0 else 'MISS'}  every page under 1 s after its first request "
              f"(slowest {worst:.3f} s); {args.subjects:,} subjects, {args.dlq_records:,} dead letters")
    except Exception:
        print((tmp / "console.log").read_text()[-3000:])
        raise
    finally:
        console.terminate()
        console.wait(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=2000)
    parser.add_argument("--dlq-records", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--bootstrap-servers")
    parser.add_argument("--registry")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp_name:
        tmp = Path(tmp_name)
        on_cluster(args.bootstrap_servers, args.registry, tmp, lambda bootstrap, registry: run(args, bootstrap, registry, tmp))

if __name__ == "__main__":
    main()

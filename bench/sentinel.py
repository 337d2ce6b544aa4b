"""The sentinel against a passthrough copier, Confluent data contracts, GX record by record, Kafka Streams and Quix Streams.

    .venv/bin/python -m bench.sentinel [--records 1000000] [--invalid-ratio 0.05]
        [--commit-every 10000] [--partitions 3] [--contract-records 50000]
        [--gx-records 2000] [--only a,b,c,d,e,f] [--repeat 1] [--warmup 500000] [--log-dir DIR]
        [--format avro|protobuf|json_schema] [--bootstrap-servers HOST:PORT --registry URL]

One topic of RECORDS ten-field Avro records (Confluent wire format; the schema is
registered under `<topic>-value` in the registry, with the CEL rule set of path c),
of which INVALID_RATIO break exactly one of five rules (each rule in turn), spread
evenly through the topic. Seven paths read it, each in its own process so that
its peak RSS (its process tree at its largest, see bench.children.run_child) is its alone:

  a  passthrough: governance.sentinel.router.Router with an always-valid judge,
     exactly once, no decoding: the ceiling. All records.
  b  the sentinel: `governance sentinel run PIPELINE.yml --idle-exit 3` with the
     five expectations of bench/sentinel-pipeline.yml, its judge workers at their
     default (one per usable core but one, at most 4). All records. Its time is
     the one it prints (first record consumed to last commit), taken from the
     records/s it prints after it when there (those use the unrounded time).
     The subject's data contract is ignored (`contract_rules: ignore`).
  k  the sentinel with the same five rules as the subject's data contract
     instead: path c's CEL rule set enforced by the sentinel (`contract_rules:
     enforce`, no expectations; governance.contracts). All records.
  c  Confluent data contracts: confluent_kafka's AvroDeserializer with the same
     five checks as CEL CONDITION rules (onFailure DLQ) in the schema's ruleSet,
     Confluent's own DlqAction teeing failures to the DLQ. The first
     CONTRACT_RECORDS records only (it is slow); see bench/sentinel_paths.py for how it
     is made exactly once. Its valid and DLQ topics are counted afterwards.
  d  Great Expectations record by record: the Router with a judge that decodes
     each record and runs the five expectations on a one-row batch
     (RecordValidator, not compiled). The first GX_RECORDS records only; its
     records/s is an extrapolation from that prefix.
  e  Kafka Streams: the quality filter a Java data engineer would write instead
     (bench/peers/kstreams-filter, built with Maven once; bench/peers/kstreams.py),
     the five rules hand-coded, exactly_once_v2, commit.interval.ms 1000 (Kafka
     Streams has no record-count commit), one stream thread, -Xmx512m. All
     records; its valid and DLQ topics are counted afterwards.
  f  Quix Streams: the five rules as the Quix Streams app a Python team would
     write (bench/peers/quix_filter.py; Quix's schema-registry Avro
     deserializer and serializer, a branch per outcome, exactly once, commit
     every 10,000 records or 1000 ms), in a venv of its own made once
     (bench/peers/quix.py: quixstreams pins an older confluent-kafka). All
     records; its valid and DLQ topics are counted afterwards.

With --format protobuf the same records are written as Protobuf (bench/payments_proto.py: the
Payment as a `.proto` file registered as PROTOBUF, Confluent's Protobuf wire format) and a, b
(`value_format: protobuf`) and e (protobuf-java's DynamicMessage from the registry's descriptor)
read them; c, d, k and f are Avro only. A further path, v, runs the sentinel on the same records
as Avro (a topic of their own), for the ratio of its Protobuf throughput to its Avro.

With --format json_schema the same records are also written as JSON Schema records
(Confluent's JSON wire format, bench.common.JSON_SCHEMA registered under the second
topic's `<topic>-value`), and the paths are a, b and

  j  the sentinel on the JSON Schema topic: `value_format: json_schema`, the same five
     expectations, each record validated against its registered schema first
     (jsonschema-rs). Its records/s against b's is the ratio the table checks.

a then copies the JSON Schema topic (its larger records); the peers c-f read Avro
and are not run. v and j come with b (`--only a,b` runs them too); bench.sentinel_report
lists each format's paths (PATHS).

Before a, b, k, e and f, an unmeasured passthrough of the first WARMUP records warms the
broker up (a broker fresh from start-up commits small transactions several
times slower for its first few seconds). With --repeat K, a, b, k, e and f run K times
each, taking turns on the same topic (fresh output topics and consumer groups
each time), and the table shows the fastest try of each: other work on the
machine then slows both alike.

Every path's time runs from the first record it consumed to the commit that
covered its last record, with the same commit settings (COMMIT_EVERY records or
1000 ms) for a, b and d; c commits every COMMIT_EVERY records or 1000 ms too.
The outside clock times a, b, e and f a second way: the output topics are
LogAppendTime topics, so the broker stamps each output as it appends it, and
"outside s" is from the first output appended to the last (read back with
read_committed, which also counts them).
Without --bootstrap-servers a one-broker stack is started in a temporary
directory and removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.children import (
    parse_result,
    run_child,
    sentinel_available,
    sentinel_command,
    sentinel_summary,
    write_pipeline,
)
from bench.common import (
    FORMATS,
    count_topic,
    create_topics,
    encoder,
    outside_seconds,
    produce,
    register_json_schema,
    register_plain,
    register_schema,
)
from bench.sentinel_report import PATHS, cpu_model, load, report

SECOND = {"protobuf": ("v", "avro"), "json_schema": ("j", "json_schema")}
"""The sentinel's second path of a --format, and the encoding of its own copy of the records."""


def bench(args: argparse.Namespace, bootstrap: str, registry: str, tmp: Path) -> None:
    run = uuid.uuid4().hex[:8]
    n = args.records
    source_format = "protobuf" if args.format == "protobuf" else "avro"  # what b (and c-f) read
    second, second_format = SECOND.get(args.format, ("", ""))
    only = set(args.only.split(","))
    only |= {second} if second and "b" in only else set()
    sources = {source_format: f"bench-sentinel-{run}-in"}
    if second in only or second_format == args.format:  # j's topic is a's too
        sources[second_format] = f"bench-sentinel-{run}-{second_format}-in"
    source = sources[source_format]
    tries = range(1, args.repeat + 1)
    # Fresh output topics (and consumer groups) for every path and every try.
    keys = [f"{p}{k}" for p in "abkef" + second for k in tries] + ["c1", "d1", "w1"]
    outputs = {key: (f"bench-sentinel-{run}-{key}-valid", f"bench-sentinel-{run}-{key}-dlq") for key in keys}
    create_topics(bootstrap, list(sources.values()), args.partitions)
    # The broker stamps each output when it appends it: the outside clock (outside_seconds).
    create_topics(bootstrap, [t for pair in outputs.values() for t in pair], args.partitions,
                  {"message.timestamp.type": "LogAppendTime"})
    pipelines: dict[str, Path] = {}
    for k in tries:
        for key, value_format in (("b", source_format), (second, second_format))[:1 + (second in only)]:
            name = f"bench-sentinel-{run}-{key}{k}"
            create_topics(bootstrap, [f"{name}-kpi"], 1)
            pipelines[f"{key}{k}"] = write_pipeline(tmp, name, sources[value_format], *outputs[f"{key}{k}"],
                                                    args.commit_every, value_format)
        if "k" in only:
            name = f"bench-sentinel-{run}-k{k}"
            create_topics(bootstrap, [f"{name}-kpi"], 1)
            pipelines[f"k{k}"] = write_pipeline(tmp, name, source, *outputs[f"k{k}"], args.commit_every, contract=True)
    compiled = compiled_rules(pipelines["b1"])
    print(f"records {n:,} ({args.format}), {args.invalid_ratio:.0%} invalid, {args.partitions} partitions, "
          f"commit every {args.commit_every:,} records or 1000 ms", flush=True)
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average {load()} at the start "
          "(other work on the machine slows every path)", flush=True)
    for value_format, topic in sources.items():
        schema_id = register(registry, f"{topic}-value", value_format, outputs["c1"][1] if topic == source else None)
        started = time.monotonic()
        bad = produce(bootstrap, topic, schema_id, n, args.invalid_ratio, encoder(value_format, schema_id))
        print(f"produced {n:,} records ({bad:,} invalid) as {value_format} (schema id {schema_id}) to {topic} "
              f"in {time.monotonic() - started:.1f} s", flush=True)

    results: dict[str, list[dict[str, Any]]] = {p: [] for p in "abkcdefvj"}
    notes: list[str] = []

    def child(path: str, key: str, target: int, keep: bool = True) -> dict[str, Any] | None:
        out, dlq = outputs[key]
        cmd = [sys.executable, "-m", "bench.sentinel_paths", path, "--bootstrap-servers", bootstrap,
               "--registry", registry, "--source", sources[args.format] if path == "passthrough" else source,
               "--out", out, "--dlq", dlq,
               "--pipeline", str(pipelines["b1"]), "--target", str(target), "--commit-every", str(args.commit_every)]
        t0 = time.monotonic()
        code, text, rss = run_child(cmd, tmp / f"{path}-{key}.log", 3600)
        result = parse_result(text)
        if code != 0 or result is None:
            print(f"  {path} failed (exit {code}):\n{text[-3000:]}", flush=True)
            notes.append(f"path {key[0]} (try {key[1:]}) failed with exit {code}")
            return None
        result["rss"] = max(rss, result.pop("hwm_mb", 0.0))  # the child's own last word on its peak
        print(f"  {path}: {result['records']:,} records in {result['seconds']:.1f} s "
              f"({result['valid']:,} valid, {result['invalid']:,} invalid), {result['rss']:.0f} MB, "
              f"wall {time.monotonic() - t0:.0f} s", flush=True)
        if keep:
            if path == "passthrough":
                result["outside"] = outside_seconds(bootstrap, outputs[key])[1]
            results[key[0]].append(result)
        return result

    def sentinel(key: str, k: int) -> None:
        cmd = sentinel_command(pipelines[f"{key}{k}"], bootstrap, registry, "--idle-exit", "3")
        t0 = time.monotonic()
        code, text, rss = run_child(cmd, tmp / f"sentinel-{key}{k}.log", 3600)
        summary = sentinel_summary(text)
        if code != 0 or summary is None:
            print(f"  sentinel failed (exit {code}) or printed no summary:\n{text[-3000:]}", flush=True)
            notes.append(f"the sentinel (path {key}, try {k}) exited {code} without its summary line")
            return
        records, valid, dlq, seconds = summary
        counted, outside = outside_seconds(bootstrap, outputs[f"{key}{k}"])
        results[key].append({"records": records, "seconds": seconds, "valid": valid, "invalid": dlq, "rss": rss,
                             "outside": outside})
        if counted != (n - bad, bad):
            notes.append(f"the sentinel's topics (path {key}, try {k}) hold {counted[0]:,} valid and "
                         f"{counted[1]:,} DLQ records; expected {n - bad:,} and {bad:,}")
        print(f"  sentinel: {records:,} records in {seconds:.1f} s ({valid:,} valid, {dlq:,} to the DLQ), "
              f"{rss:.0f} MB, wall {time.monotonic() - t0:.0f} s", flush=True)
        if (records, valid, dlq) != (n, n - bad, bad):
            notes.append(f"the sentinel (path {key}, try {k}) reported {records:,} records, {valid:,} valid, "
                         f"{dlq:,} to the DLQ; expected {n:,}, {n - bad:,}, {bad:,}")

    def peer(key: str, k: int, label: str, command: Callable[[str, str, str], list[str]]) -> None:
        """A peer (e, f) as a child: `command(valid, dlq, group)`; its outputs counted afterwards."""
        valid, dlq = outputs[f"{key}{k}"]
        t0 = time.monotonic()
        code, text, rss = run_child(command(valid, dlq, f"bench-sentinel-{run}-{key}{k}"), tmp / f"{key}{k}.log", 3600)
        result = parse_result(text)
        if code != 0 or result is None:
            print(f"  {label} failed (exit {code}):\n{text[-3000:]}", flush=True)
            notes.append(f"path {key} (try {k}) failed with exit {code}")
            return
        result["rss"] = max(rss, result.pop("hwm_mb", 0.0))
        results[key].append(result)
        counted, result["outside"] = outside_seconds(bootstrap, (valid, dlq))
        print(f"  {label}: {result['records']:,} records in {result['seconds']:.1f} s "
              f"({counted[0]:,} valid, {counted[1]:,} in its DLQ, read_committed), {result['rss']:.0f} MB, "
              f"wall {time.monotonic() - t0:.0f} s", flush=True)
        if counted != (n - bad, bad):
            notes.append(f"path {key} (try {k}): its topics hold {counted[0]:,} valid and {counted[1]:,} DLQ records; "
                         f"expected {n - bad:,} and {bad:,}")

    peers: dict[str, tuple[str, Callable[[str, str, str], list[str]]]] = {}
    if "e" in only:
        from bench.peers import kstreams

        try:
            jar = kstreams.build(lambda message: print(message, flush=True))
            peers["e"] = ("Kafka Streams filter", lambda valid, dlq, group: kstreams.command(
                jar, bootstrap, registry, source, valid, dlq, group, n, 1000, value_format=args.format))
        except kstreams.BuildError as e:
            notes.append(f"the Kafka Streams peer could not be built: e not measured ({e})")
            print(notes[-1], flush=True)
    if "f" in only:
        from bench.peers import quix

        try:
            quix.prepare(lambda message: print(message, flush=True))
            peers["f"] = ("Quix Streams app", lambda valid, dlq, group: quix.command(
                bootstrap, registry, source, valid, dlq, group, n))
        except (OSError, subprocess.CalledProcessError) as e:
            notes.append(f"the Quix Streams venv could not be made: f not measured ({e})")
            print(notes[-1], flush=True)
    have_sentinel = bool(only & {"b", "k", second}) and sentinel_available()
    if only & {"b", "k", second} and not have_sentinel:
        notes.append("`governance sentinel run` is not available (`sentinel run --help` fails): "
                     f"{', '.join(sorted(only & {'b', 'k', second}))} not measured")
        print(notes[-1], flush=True)
    if args.warmup and only & {"a", "b", "k", "e", "f", second}:
        # A broker fresh from start-up is slower (its JIT has not warmed up; most visible with
        # many small transactions), which would penalise whichever path runs first.
        target = min(args.warmup, n)
        print(f"warm-up: passthrough of {target:,} records, not measured ...", flush=True)
        child("passthrough", "w1", target, keep=False)
    for k in tries:  # a, b, k, v or j, e and f take turns, so load from elsewhere on the machine hits them alike
        suffix = f" (try {k} of {args.repeat})" if args.repeat > 1 else ""
        if "a" in only:
            print(f"a) passthrough copier{suffix} ...", flush=True)
            result = child("passthrough", f"a{k}", n)
            if result is not None and result["records"] != n:
                notes.append(f"passthrough (try {k}) routed {result['records']:,} records, expected {n:,}")
        if have_sentinel and "b" in only:
            print(f"b) governance sentinel run{suffix} ...", flush=True)
            sentinel("b", k)
        if have_sentinel and "k" in only:
            print(f"k) governance sentinel run, the five rules as the subject's data contract{suffix} ...", flush=True)
            sentinel("k", k)
        if have_sentinel and second in only:
            print(f"{second}) governance sentinel run, the same records as {second_format}{suffix} ...", flush=True)
            sentinel(second, k)
        for key, (label, command) in peers.items():
            print(f"{key}) {label}{suffix} ...", flush=True)
            peer(key, k, label, command)

    if "c" in only:
        target = min(args.contract_records, n)
        print(f"c) Confluent data contracts (CEL rules, DLQ action), first {target:,} records ...", flush=True)
        result = child("contract", "c1", target)
        if result is not None:
            counted = tuple(count_topic(bootstrap, t) for t in outputs["c1"])
            print(f"  counted (read_committed): {counted[0]:,} in its valid topic, {counted[1]:,} in its DLQ", flush=True)
            if counted != (result["valid"], result["invalid"]):
                notes.append(f"path c: its topics hold {counted[0]:,} valid and {counted[1]:,} DLQ records, "
                             f"but it counted {result['valid']:,} and {result['invalid']:,}")

    if "d" in only:
        target = min(args.gx_records, n)
        print(f"d) Great Expectations per record, first {target:,} records ...", flush=True)
        child("gx", "d1", target)

    for key in "cd":
        for row in results[key]:
            ratio = row["invalid"] / row["records"]
            spread = 3 * (args.invalid_ratio * (1 - args.invalid_ratio) / row["records"]) ** 0.5  # 3 sigma
            if abs(ratio - args.invalid_ratio) > max(spread, 0.001):
                notes.append(f"path {key} found {ratio:.1%} invalid in its prefix, expected about {args.invalid_ratio:.0%}")
    if compiled is not None:
        notes.append(f"the sentinel's validator compiles {compiled[0]} of its {compiled[1]} rules to plain Python "
                     "(governance.sentinel.fastpath); path d judges all of them with GX")
    if results["e"]:
        notes.append("path e commits every 1000 ms only: Kafka Streams has no record-count commit")
    for key in "abkefvj":
        if len(results[key]) > 1:
            rates = ", ".join(f"{r['records'] / max(r['seconds'], 1e-9):,.0f}" for r in results[key])
            notes.append(f"path {key}, records/s of each try: {rates} (the table has the fastest)")
    best = {key: max(rows, key=lambda r: r["records"] / max(r["seconds"], 1e-9)) for key, rows in results.items() if rows}
    notes.append(f"load average at the end: {load()} ({os.cpu_count()} cores)")
    report(best, args.commit_every, notes, args.format)


def register(registry: str, subject: str, value_format: str, dlq_topic: str | None) -> int:
    """The payment schema in `value_format` under `subject`, with path c's CEL rule set when given its DLQ
    topic (Avro only); returns its id."""
    if value_format == "protobuf":
        from bench.payments_proto import register_proto

        return register_proto(registry, subject)
    if value_format == "json_schema":
        return register_json_schema(registry, subject)
    return register_schema(registry, subject, dlq_topic) if dlq_topic else register_plain(registry, subject)


def compiled_rules(pipeline: Path) -> tuple[int, int] | None:
    """How many record rules the sentinel's RecordValidator checks without GX (None: it cannot say)."""
    import inspect

    from governance.sentinel.pipeline import load_pipeline
    from governance.sentinel.validate import RecordValidator

    if "compiled" not in inspect.signature(RecordValidator.__init__).parameters:
        return None
    rules = load_pipeline(pipeline).record_rules
    return len(RecordValidator(rules).compiled), len(rules)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--invalid-ratio", type=float, default=0.05)
    parser.add_argument("--commit-every", type=int, default=10_000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--contract-records", type=int, default=50_000, help="prefix for path c")
    parser.add_argument("--gx-records", type=int, default=2_000, help="prefix for path d")
    parser.add_argument("--only", help="paths to run, e.g. a,b (default: all of the format's; avro a,b,c,d,e,f, "
                                       "protobuf a,b,v,e, json_schema a,b,j; b brings v or j)")
    parser.add_argument("--format", choices=FORMATS, default="avro",
                        help="the payments' encoding, in Confluent's wire format (default avro)")
    parser.add_argument("--warmup", type=int, default=500_000,
                        help="records of an unmeasured passthrough run first, to warm the broker up (0: none)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run a, b (with v or j), k, e and f this many times each, in turns, "
                             "and report the fastest of each")
    parser.add_argument("--log-dir", type=Path, help="keep each path's output (and the pipeline file) here")
    parser.add_argument("--bootstrap-servers")
    parser.add_argument("--registry")
    args = parser.parse_args()
    if bool(args.bootstrap_servers) != bool(args.registry):
        parser.error("--bootstrap-servers and --registry go together")
    paths = ",".join(PATHS[args.format])
    args.only = args.only or paths
    unknown = set(args.only.split(",")) - set(paths.split(","))
    if unknown:
        parser.error(f"--only: {', '.join(sorted(unknown))} not among the paths of --format {args.format} ({paths})")
    with tempfile.TemporaryDirectory(prefix="bench-sentinel-") as tmp_name:
        tmp = Path(tmp_name)
        logs = tmp
        if args.log_dir:
            logs = args.log_dir.resolve()
            logs.mkdir(parents=True, exist_ok=True)
        from bench.stacks import on_cluster

        on_cluster(args.bootstrap_servers, args.registry, tmp, lambda bootstrap, registry: bench(args, bootstrap, registry, logs))


if __name__ == "__main__":
    main()

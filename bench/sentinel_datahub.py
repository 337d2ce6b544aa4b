"""The sentinel with DataHub reporting on, next to it off, in one run.

    .venv/bin/python -m bench.sentinel_datahub [--records 600000] [--repeat 3] [--window-seconds 1]
        [--bootstrap-servers HOST:PORT --registry URL]

The same topic of Avro records (bench/common.py's ten-field Payment, 5% invalid) is
routed by `governance sentinel run` with bench/sentinel-pipeline.yml, windows of
WINDOW_SECONDS, in turns: once without DataHub, once with `--datahub` pointing at a
local HTTP server that answers like DataHub's GMS and records every request (the REST
emitter, Rest.li form). Each try has fresh output topics and consumer groups. The
table shows the fastest try of each and their ratio; emission runs off the routing
path, so the ratio should stay within the run-to-run spread of the "off" tries.
"""

from __future__ import annotations

import argparse
import tempfile
import uuid
from pathlib import Path

from bench import children, common
from bench.stacks import on_cluster
from tests.gms_capture import GmsCapture  # the stand-in GMS the lineage tests use


def run(args: argparse.Namespace, bootstrap: str, registry: str, tmp: Path) -> None:
    import yaml

    run_id = uuid.uuid4().hex[:8]
    source = f"bench-datahub-{run_id}-in"
    common.create_topics(bootstrap, [source], args.partitions)
    schema_id = common.register_schema(registry, f"{source}-value", f"bench-datahub-{run_id}-unused-dlq")
    bad = common.produce(bootstrap, source, schema_id, args.records, 0.05)
    print(f"{args.records:,} records ({bad:,} invalid) in {source}; windows of {args.window_seconds} s", flush=True)
    gms = GmsCapture()
    rates: dict[str, list[float]] = {"off": [], "on": []}
    try:
        for k in range(1, args.repeat + 1):
            for mode in ("off", "on"):
                name = f"bench-datahub-{run_id}-{mode}{k}"
                valid, dlq = f"{name}-valid", f"{name}-dlq"
                common.create_topics(bootstrap, [valid, dlq, f"{name}-kpi"], args.partitions)
                pipeline = children.write_pipeline(tmp, name, source, valid, dlq, 10_000)
                spec = yaml.safe_load(pipeline.read_text())
                spec["window"] = {"seconds": args.window_seconds}
                pipeline.write_text(yaml.safe_dump(spec, sort_keys=False))
                cmd = children.sentinel_command(pipeline, bootstrap, registry, "--idle-exit", "3")
                if mode == "on":
                    cmd += ["--datahub", gms.url]
                before = len(gms.ingested())
                code, text, _ = children.run_child(cmd, tmp / f"{name}.log", 3600)
                match = None
                for match in children.SENTINEL_LINE.finditer(text):
                    pass
                if code != 0 or match is None:
                    print(f"  {mode} try {k} failed (exit {code}):\n{text[-2000:]}", flush=True)
                    continue
                records = int(match.group(1).replace(",", ""))
                rate = float(match.group(5).replace(",", "")) if match.group(5) else records / float(match.group(4))
                rates[mode].append(rate)
                sent = gms.ingested()[before:]
                events = sum(1 for p in sent if p["aspectName"] == "assertionRunEvent")
                extra = f", DataHub took {len(sent):,} aspects ({events:,} assertion results)" if mode == "on" else ""
                print(f"  DataHub {mode:<3} try {k}: {records:,} records, {rate:,.0f} records/s{extra}", flush=True)
    finally:
        gms.stop()
    if not rates["off"] or not rates["on"]:
        print("not measured")
        return
    off, on = max(rates["off"]), max(rates["on"])
    spread = (max(rates["off"]) - min(rates["off"])) / max(rates["off"])
    print()
    print(f"{'sentinel':<22} {'best records/s':>15} {'tries':>40}")
    for mode, best in (("DataHub off", off), ("DataHub on (REST)", on)):
        tries = ", ".join(f"{r:,.0f}" for r in rates["off" if "off" in mode else "on"])
        print(f"{mode:<22} {best:>15,.0f} {tries:>40}")
    print(f"\non / off: {on / off:.3f}x; run-to-run spread of the off tries: {spread:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=600_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--window-seconds", type=int, default=1)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--bootstrap-servers")
    parser.add_argument("--registry")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-datahub-") as tmp_name:
        tmp = Path(tmp_name)
        on_cluster(args.bootstrap_servers, args.registry, tmp, lambda bootstrap, registry: run(args, bootstrap, registry, tmp))

if __name__ == "__main__":
    main()

"""Runs the Quix Streams peer (bench/peers/quix_filter.py) in a venv of its own.

    .venv/bin/python -m bench.peers.quix [--records 100000] [--invalid-ratio 0.05]
        [--partitions 3] [--bootstrap-servers HOST:PORT --registry URL]

quixstreams 3.28.1 (the newest on PyPI when this was written) pins
`confluent-kafka<2.13` and `pydantic<2.14`; the project requires
confluent-kafka>=2.12 and its venv resolves 2.16.1 (and pydantic 2.14). Putting
quixstreams in the `dev` extra would drag the whole dev environment, and with it
the sentinel and every other bench path, down to confluent-kafka 2.12: the peer
would change the thing it is measured against. So the peer gets its own venv,
build/bench-venvs/quix-<version>/, made on first use with `python -m venv` and
`pip install quixstreams[avro]==<version>` (like the stack fetches Kafka's jars
once): `prepare()` makes it, `command()` is the child's command line for
bench.children.run_child (`python -m bench.peers.quix_filter`: the child finds
`bench` where its parent did, in the working directory or PYTHONPATH it inherits).

Standalone, this module produces RECORDS bench records (bench.common's
produce(), INVALID_RATIO of them breaking one rule each) into a fresh topic,
pre-creates the app's valid and DLQ topics, runs the app until a commit covers
every record, and counts both topics with read_committed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bench.children import parse_result, run_child
from bench.common import count_topic, create_topics, produce, register_schema
from bench.stacks import add_cluster_options, run_on_cluster

QUIXSTREAMS_VERSION = "3.28.1"
VENV = Path(__file__).resolve().parents[2] / "build" / "bench-venvs" / f"quix-{QUIXSTREAMS_VERSION}"
READY = VENV / ".ready"  # written last: a venv without it was interrupted and is made again


def python() -> Path:
    return VENV / "bin" / "python"


def prepare(progress: Callable[[str], None] = print) -> Path:
    """The peer venv's Python, making the venv first if it is not there yet."""
    if READY.exists() and python().exists():
        return python()
    if VENV.exists():
        shutil.rmtree(VENV)
    progress(f"making the Quix Streams venv (once): {VENV}")
    VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(pip + [f"quixstreams[avro]=={QUIXSTREAMS_VERSION}"], check=True)
    versions = subprocess.run(
        [str(python()), "-c", "from importlib.metadata import version; "
         "print(version('quixstreams'), version('confluent-kafka'))"],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    READY.write_text(" ".join(versions) + "\n")
    progress(f"  quixstreams {versions[0]}, confluent-kafka {versions[1]}")
    return python()


def versions() -> str:
    """'quixstreams X, confluent-kafka Y' of the prepared venv."""
    quix, confluent = READY.read_text().split()
    return f"quixstreams {quix}, confluent-kafka {confluent}"


def command(bootstrap: str, registry: str, source: str, valid: str, dlq: str, group: str, target: int) -> list[str]:
    """The app's command line (call prepare() first); it prints one BENCH-RESULT line."""
    return [str(python()), "-m", "bench.peers.quix_filter", bootstrap, registry, source, valid, dlq, group, str(target)]


def main() -> None:
    import argparse
    import time
    import uuid

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--invalid-ratio", type=float, default=0.05)
    parser.add_argument("--partitions", type=int, default=3)
    add_cluster_options(parser, "keep the app's output here")
    args = parser.parse_args()

    prepare()
    print(versions(), flush=True)

    def work(bootstrap: str, registry: str, tmp: Path) -> None:
        run = uuid.uuid4().hex[:8]
        source, valid, dlq = (f"bench-quix-{run}-{t}" for t in ("in", "valid", "dlq"))
        create_topics(bootstrap, [source, valid, dlq], args.partitions)
        schema_id = register_schema(registry, f"{source}-value", dlq)
        n = args.records
        bad = produce(bootstrap, source, schema_id, n, args.invalid_ratio)
        print(f"produced {n:,} records ({bad:,} invalid) to {source}", flush=True)
        t0 = time.monotonic()
        code, text, rss = run_child(command(bootstrap, registry, source, valid, dlq, f"{valid}-g", n),
                                    tmp / "quix.log", 3600)
        result = parse_result(text)
        if code != 0 or result is None:
            raise SystemExit(f"the Quix app failed (exit {code}):\n{text[-3000:]}")
        rss = max(rss, result.pop("hwm_mb", 0.0))
        counted = count_topic(bootstrap, valid), count_topic(bootstrap, dlq)
        print(f"quix: {result['records']:,} records in {result['seconds']:.2f} s, "
              f"{result['records'] / result['seconds']:,.0f} records/s ({result['valid']:,} valid, "
              f"{result['invalid']:,} invalid), peak RSS {rss:.0f} MB, wall {time.monotonic() - t0:.0f} s")
        print(f"counted (read_committed): {counted[0]:,} in {valid}, {counted[1]:,} in {dlq}; "
              f"expected {n - bad:,} and {bad:,}")
        if counted != (n - bad, bad):
            raise SystemExit("the topics do not hold what they should")

    run_on_cluster(parser, args, "bench-quix-", work)


if __name__ == "__main__":
    main()

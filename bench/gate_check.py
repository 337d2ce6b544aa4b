"""The CI gate on a large repository: 500 subjects checked against a git baseline.

    .venv/bin/python -m bench.gate_check [--subjects 500] [--runs 7]

Builds a temporary git repository with SUBJECTS Avro schemas (records of
10-30 fields: primitives, logical types, unions, enums, arrays, maps and a
nested record), a subjects.yml giving a fifth of them transitive or FULL
levels, and two commits: the second changes 100 subjects, all compatibly
except 5. Then times `governance schemas check --against HEAD~1` as CI runs
it, a new interpreter each time, and prints min and median wall time (target:
under 3 s) beside the time to start Python and import governance.cli alone.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LEVELS = ["BACKWARD_TRANSITIVE", "FULL", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"]


def field(rng: random.Random, i: int) -> dict[str, object]:
    choice = rng.randrange(9)
    name = f"f{i}_{rng.choice(['id', 'name', 'amount', 'at', 'code', 'tags', 'attrs', 'status', 'note'])}"
    if choice == 0:
        return {"name": name, "type": "string", "doc": "A plain string."}
    if choice == 1:
        return {"name": name, "type": "long", "default": 0}
    if choice == 2:
        return {"name": name, "type": {"type": "long", "logicalType": "timestamp-millis"}}
    if choice == 3:
        return {"name": name, "type": ["null", "string"], "default": None}
    if choice == 4:
        return {"name": name, "type": {"type": "enum", "name": f"E{i}", "symbols": ["A", "B", "C", "D"]}}
    if choice == 5:
        return {"name": name, "type": {"type": "array", "items": "string"}, "default": []}
    if choice == 6:
        return {"name": name, "type": {"type": "map", "values": "double"}, "default": {}}
    if choice == 7:
        return {"name": name, "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}}
    return {"name": name, "type": {"type": "record", "name": f"N{i}", "fields": [
        {"name": "street", "type": "string"}, {"name": "zip", "type": "string", "default": ""}]}}


def schema(subject: int, fields: list[dict[str, object]]) -> str:
    body = {"type": "record", "name": f"Event{subject}", "namespace": f"com.example.s{subject}", "fields": fields}
    return json.dumps(body, indent=2) + "\n"


def build(root: Path, subjects: int) -> None:
    rng = random.Random(4)
    schemas = root / "schemas"
    schemas.mkdir(parents=True)

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.name", "bench")
    git("config", "user.email", "bench@example.com")
    git("config", "commit.gpgsign", "false")
    fields = {s: [field(rng, i) for i in range(rng.randint(10, 30))] for s in range(subjects)}
    levels = {s: rng.choice(LEVELS) for s in range(0, subjects, 5)}
    (schemas / "subjects.yml").write_text("".join(f"subject-{s}-value:\n  compatibility: {lvl}\n" for s, lvl in levels.items()))
    for s, fs in fields.items():
        (schemas / f"subject-{s}-value.avsc").write_text(schema(s, fs))
    git("add", "schemas")
    git("commit", "-q", "-m", "baseline")
    changed = rng.sample(range(subjects), 100)
    for n, s in enumerate(changed):
        fs = list(fields[s])
        if n < 5:  # breaking: a required field added
            fs.append({"name": "required_new", "type": "string"})
        else:  # compatible: an optional field added, and a doc edited
            fs.append({"name": "optional_new", "type": ["null", "string"], "default": None})
            fs[0] = {**fs[0], "doc": "Edited."}
        (schemas / f"subject-{s}-value.avsc").write_text(schema(s, fs))
    git("add", "schemas")
    git("commit", "-q", "-m", "change 100 subjects")


def timed(cmd: list[str], cwd: Path, runs: int, expect: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != expect:
            sys.exit(f"{' '.join(cmd)} exited {proc.returncode}, expected {expect}:\n{proc.stderr}{proc.stdout[-2000:]}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gate-bench-") as tmp:
        root = Path(tmp)
        build(root, args.subjects)
        gate = timed([sys.executable, "-m", "governance", "schemas", "check", "--against", "HEAD~1", "--format", "json"],
                     root, args.runs, expect=1)
        found = subprocess.run([sys.executable, "-m", "governance", "schemas", "check", "--against", "HEAD~1", "--format", "json"],
                               cwd=root, capture_output=True, text=True).stdout.splitlines()
        baseline = timed([sys.executable, "-c", "import governance.cli"], root, args.runs, expect=0)
    print(f"governance schemas check --against HEAD~1, {args.subjects} subjects (100 changed, 5 breaking), {args.runs} runs")
    print(f"  findings           {len(found)}")
    print(f"  gate wall time     min {min(gate):.2f} s   median {statistics.median(gate):.2f} s   (target < 3 s)")
    print(f"  python -c 'import governance.cli'   min {min(baseline):.3f} s   median {statistics.median(baseline):.3f} s")


if __name__ == "__main__":
    main()

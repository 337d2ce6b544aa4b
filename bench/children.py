"""Benchmarks run what they measure as child processes: running one and taking its peak
memory, the one result line a child prints, and the sentinel as a child (its command,
its pipeline file, its summary line). Standard library only at import: the Quix Streams
peer prints its result line in a venv without the project.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PIPELINE_TEMPLATE = HERE / "sentinel-pipeline.yml"
RESULT_PREFIX = "BENCH-RESULT "
SENTINEL_LINE = re.compile(
    r"stopped after ([\d,]+) records \(([\d,]+) valid, ([\d,]+) to the DLQ\) in ([\d.]+) s of routing"
    r"(?:, ([\d,]+) records/s)?"  # the same time unrounded, when it prints it
)


def emit(**result: Any) -> None:
    """The one line a measured child prints last: its figures, with its own peak RSS."""
    result["hwm_mb"] = vm_hwm_mb("self")
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def vm_hwm_mb(pid: int | str, field: str = "VmHWM") -> float:
    """Peak resident set size of a live process (VmHWM; or `field`, such as VmRSS), in MB; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_rss_mb(pid: int) -> float:
    """Resident MB of a process and all its descendants now (0 if it is gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def run_child(cmd: list[str], log: Path, timeout: float,
              rss: list[tuple[float, float]] | None = None) -> tuple[int, str, float]:
    """Run cmd with stdout+stderr to `log`; return exit code, its output and its peak RSS in MB.
    With `rss`, append (seconds since start, resident MB) to it every 50 ms.

    The peak is the larger of the child's own VmHWM and the most its whole process tree
    (the sentinel's rule-check child and judge workers too) held at once, both sampled
    every 50 ms until it exits; pages the processes share count once per process. Not
    wait4's ru_maxrss: that counts the forking parent's memory too (the child is spawned
    from this process, which has produced the whole topic).
    """
    peak = 0.0
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        started = time.monotonic()
        deadline = started + timeout
        while True:
            tree = tree_rss_mb(proc.pid)
            peak = max(peak, vm_hwm_mb(proc.pid), tree)
            if rss is not None:
                rss.append((time.monotonic() - started, tree))
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, _ = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, log.read_text(errors="replace"), peak


def parse_result(text: str) -> dict[str, Any] | None:
    for line in reversed(text.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    return None


def sentinel_summary(text: str) -> tuple[int, int, int, float] | None:
    """(records, valid, to the DLQ, seconds) from the last summary line `sentinel run` printed."""
    match = None
    for match in SENTINEL_LINE.finditer(text):
        pass
    if match is None:
        return None
    records, valid, dlq = (int(match.group(i).replace(",", "")) for i in (1, 2, 3))
    seconds = float(match.group(4))
    if match.group(5) and int(match.group(5).replace(",", "")) > 0:
        # Its seconds are printed to 0.1 s; its records/s come from the unrounded time.
        seconds = records / int(match.group(5).replace(",", ""))
    return records, valid, dlq, seconds


def governance_command() -> list[str]:
    """The `governance` console script (pyproject: governance = governance.cli:main) beside this Python."""
    script = Path(sys.executable).parent / "governance"
    return [str(script)] if script.exists() else [sys.executable, "-m", "governance"]


def sentinel_command(pipeline: Path, bootstrap: str, registry: str, *options: str) -> list[str]:
    """`governance sentinel run PIPELINE` on this cluster and registry, with `options`."""
    return governance_command() + ["sentinel", "run", str(pipeline), "--bootstrap-servers", bootstrap,
                                   "--registry", registry, *options]


def sentinel_available() -> bool:
    try:
        done = subprocess.run(governance_command() + ["sentinel", "run", "--help"],
                              capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def write_pipeline(tmp: Path, name: str, source: str, valid: str, dlq: str, commit_every: int,
                   value_format: str = "avro", contract: bool = False) -> Path:
    """The bench pipeline for one run: the five rules as GX expectations with the subject's data contract
    ignored, or (`contract`) the same five rules as the subject's contract only, without expectations."""
    import yaml

    spec = yaml.safe_load(PIPELINE_TEMPLATE.read_text())
    spec.update(name=name, source=source, valid_topic=valid, dlq_topic=dlq, subject=f"{source}-value",
                value_format=value_format, commit={"every_records": commit_every, "every_ms": 1000},
                contract_rules="enforce" if contract else "ignore")
    if contract:
        spec["expectations"] = []
    path = tmp / f"{name}.yml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path

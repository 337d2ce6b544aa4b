"""The Kafka Streams peer of the sentinel (bench/sentinel.py, path e): build its jar, say how to run it.

The peer is bench/peers/kstreams-filter, a Java 17 Maven project: the five rules of
bench/sentinel-pipeline.yml hand-coded in a Kafka Streams topology on Avro or Protobuf payments, exactly once,
valid records to one topic and the rest, with Kafka Connect DLQ headers, to another.
Benchmarks import it as `bench.peers.kstreams`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parent / "kstreams-filter"
JAR = PROJECT / "target" / "kstreams-filter.jar"
JVM_OPTIONS = ("-Xmx512m",)  # a modest heap: the filter keeps no state


class BuildError(RuntimeError):
    pass


def build(progress: Callable[[str], None] = lambda message: print(message, file=sys.stderr)) -> Path:
    """The peer's fat jar, built with Maven unless it is newer than every source file."""
    sources = [PROJECT / "pom.xml", *(p for p in (PROJECT / "src").rglob("*") if p.is_file())]
    if JAR.exists() and JAR.stat().st_mtime >= max(p.stat().st_mtime for p in sources):
        return JAR
    mvn, java = shutil.which("mvn"), shutil.which("java")
    if not mvn or not java:
        missing = " and ".join(name for name, path in (("Java (`java`)", java), ("Maven (`mvn`)", mvn)) if not path)
        raise BuildError(f"the Kafka Streams peer needs {missing} on PATH to build and run "
                         "(Debian/Ubuntu: `apt-get install openjdk-17-jdk-headless maven`)")
    progress(f"building the Kafka Streams peer with Maven into {JAR.parent} (once; fetches its jars from Maven Central)...")
    log = PROJECT / "target" / "maven.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        done = subprocess.run([mvn, "-B", "-f", str(PROJECT / "pom.xml"), "package"],
                              stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=1200)
    if done.returncode != 0 or not JAR.exists():
        output = log.read_text(errors="replace")
        errors = "\n".join(line for line in output.splitlines() if "[ERROR]" in line)[-1500:]
        raise BuildError(f"Maven failed to build the Kafka Streams peer (log: {log}):\n"
                         f"{errors or output[-1500:]}")
    return JAR


def command(jar: Path, bootstrap: str, registry: str, source: str, valid: str, dlq: str, app_id: str,
            target: int, commit_ms: int = 1000, threads: int = 1, value_format: str = "avro") -> list[str]:
    """The peer's command line; it prints one `BENCH-RESULT {...}` line once a commit covers `target` records.
    `value_format` is avro or protobuf (Confluent wire format either way)."""
    return [shutil.which("java") or "java", *JVM_OPTIONS, "-jar", str(jar), bootstrap, registry, source, valid, dlq,
            app_id, str(target), str(commit_ms), str(threads), value_format]

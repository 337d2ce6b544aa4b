"""Apache Kafka's broker jars, fetched once from Maven Central with Maven.

The Apache download site is not always reachable; Maven Central is, and it
holds every jar of the broker. A small pom shipped in this package names the
broker and `mvn dependency:copy-dependencies` copies it with everything it
needs at run time into the cache, once per Kafka version.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from governance.errors import GovernanceError

KAFKA_VERSION = "4.4.0"
LOG4J_VERSION = "2.24.3"
_COMPLETE_MARKER = ".complete"
_UNREACHABLE_SIGNS = (
    "Could not transfer",
    "Unknown host",
    "UnknownHostException",
    "Connection refused",
    "Connect to",
    "Network is unreachable",
    "timed out",
    "Could not resolve",
)


def kafka_home(cache: Path, version: str = KAFKA_VERSION) -> Path:
    return cache / f"kafka-{version}"


def installed_classpath(cache: Path, version: str = KAFKA_VERSION) -> str | None:
    """The classpath of an already fetched Kafka, or None if it is not there yet."""
    home = kafka_home(cache, version)
    if (home / _COMPLETE_MARKER).is_file():
        return str(home / "libs" / "*")
    return None


def ensure_kafka_jars(
    cache: Path,
    version: str = KAFKA_VERSION,
    *,
    maven_args: Sequence[str] = (),
    progress=lambda message: print(message, file=sys.stderr),
) -> str:
    """Return the broker's classpath, fetching the jars first if needed.

    `maven_args` go to `mvn` as they are (for example `-s settings.xml` or
    `-Dmaven.repo.local=...`).
    """
    if classpath := installed_classpath(cache, version):
        return classpath
    mvn = shutil.which("mvn")
    if not mvn:
        raise GovernanceError(
            f"Apache Kafka {version} is not in {kafka_home(cache, version)} yet, and Maven "
            "(`mvn`), which fetches it from Maven Central, is not on PATH.",
            hint="install Maven (Debian/Ubuntu: `apt-get install maven`), or pass "
            "--bootstrap-servers to use an existing cluster instead of the local stack",
        )
    home = kafka_home(cache, version)
    staging = home.with_name(home.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    pom = staging / "pom.xml"
    pom.write_text(resources.files("governance.stack").joinpath("resources/pom.xml").read_text())
    progress(f"Fetching Apache Kafka {version} from Maven Central into {home} (once)...")
    command = [
        mvn,
        "-B",
        "-f",
        str(pom),
        *maven_args,
        f"-Dkafka.version={version}",
        f"-Dlog4j.version={LOG4J_VERSION}",
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={staging / 'libs'}",
    ]
    log = staging / "maven.log"
    with log.open("w") as out:
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, timeout=1200)
    if result.returncode != 0:
        raise _maven_failure(log.read_text(errors="replace"), version)
    shutil.rmtree(home, ignore_errors=True)
    staging.rename(home)
    (home / _COMPLETE_MARKER).write_text(version + "\n")
    return str(home / "libs" / "*")


def _maven_failure(output: str, version: str) -> GovernanceError:
    tail = "\n".join(line for line in output.splitlines() if "[ERROR]" in line)[-1500:]
    tail = tail or "\n".join(output.splitlines()[-15:])
    if any(sign in output for sign in _UNREACHABLE_SIGNS):
        return GovernanceError(
            f"Maven could not reach Maven Central to fetch Apache Kafka {version}:\n{tail}",
            hint="check the network or proxy (Maven reads ~/.m2/settings.xml), or pass "
            "--bootstrap-servers to use an existing cluster",
        )
    return GovernanceError(f"Maven failed to fetch Apache Kafka {version}:\n{tail}")

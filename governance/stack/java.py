"""Finding a Java runtime new enough for the Kafka broker."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from governance.errors import GovernanceError

MIN_JAVA = 17
INSTALL_HINT = (
    "install a Java 17+ runtime (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`) "
    "or set JAVA_HOME; or skip the local stack and pass --bootstrap-servers to an existing cluster"
)


def find_java() -> Path:
    """The `java` to run: `$JAVA_HOME/bin/java` if set, else the one on PATH."""
    if java_home := os.environ.get("JAVA_HOME"):
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
        raise GovernanceError(
            f"JAVA_HOME is set to {java_home}, but {candidate} is not an executable file.",
            hint="point JAVA_HOME at a JDK or JRE directory, or unset it to use `java` from PATH",
        )
    found = shutil.which("java")
    if not found:
        raise GovernanceError(
            "Java was not found: the local Kafka broker needs `java` on PATH.", hint=INSTALL_HINT
        )
    return Path(found)


def java_major_version(java: Path) -> int:
    """Parse `java -version` (`openjdk version "17.0.15"`, `"1.8.0_392"`)."""
    out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=60)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        raise GovernanceError(f"Could not tell the version of {java}: {out.stderr.strip()[:200]}")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def require_java() -> Path:
    java = find_java()
    major = java_major_version(java)
    if major < MIN_JAVA:
        raise GovernanceError(
            f"{java} is Java {major}; Apache Kafka 4 needs Java {MIN_JAVA} or newer.",
            hint=INSTALL_HINT,
        )
    return java

"""Where the local stack keeps its downloads and its running state."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Downloads shared by every stack on this machine (the Kafka jars)."""
    if explicit := os.environ.get("GOVERNANCE_CACHE_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "governance"


def default_data_dir() -> Path:
    """The default stack's state: broker data, logs and the state file."""
    if explicit := os.environ.get("GOVERNANCE_STACK_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "governance" / "stack"


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (keys, passwords), not even for a moment anyone else."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)

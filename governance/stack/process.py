"""Processes the stack started, and only those."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def is_alive(pid: int) -> bool:
    """True for a running process; a zombie waiting to be reaped counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    if state in ("Z", "X"):
        _reap(pid)
        return False
    return True


def is_ours(pid: int | None, marker: str) -> bool:
    """Is `pid` alive and started with `marker` (a path only we use) on its command line?"""
    return pid is not None and is_alive(pid) and marker in cmdline(pid)


def has_exited(pid: int | None, marker: str) -> bool:
    """For a process we just launched: gone, or replaced by another program. An empty
    command line is a process still inside execve (its arguments are not mapped yet)."""
    if pid is None or not is_alive(pid):
        return True
    line = cmdline(pid)
    return bool(line) and marker not in line


def stop(pids: Iterable[int], *, grace: float = 20.0) -> None:
    """SIGTERM every process, wait up to `grace` seconds, then SIGKILL the rest."""
    pending = list(pids)
    for pid in pending:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pending and time.monotonic() < deadline:
        pending = [pid for pid in pending if is_alive(pid)]
        if pending:
            time.sleep(0.1)
    for pid in pending:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pending and time.monotonic() < deadline:
        pending = [pid for pid in pending if is_alive(pid)]
        if pending:
            time.sleep(0.05)


def kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    while is_alive(pid):
        time.sleep(0.05)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)

"""Sentinels' window results gathered for one DataHub target.

A sentinel started with `--datahub file:PATH` writes its job lineage and one
AssertionRunEvent per rule and window to PATH when it stops. The demo runs one
sentinel per pipeline at once; DataHub Lite is a SQLite file that takes one writer,
so each sentinel writes a file of its own and the demo imports their results,
oldest window first, into every target it publishes lineage to, after the estate.
Only the results are taken from those files: the estate (schemas, lineage merged
over every job, assertions) is the project's, published whole beside them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULT_ASPECT = "assertionRunEvent"
PREFIX = "datahub-"


def results_file(folder: Path, pipeline: str) -> Path:
    """Where the demo's sentinel for `pipeline` reports (one file each: no two writers on one store)."""
    return folder.resolve() / f"{PREFIX}{pipeline}.json"


def clear_results(folder: Path) -> None:
    """Remove a previous run's files, so that a sentinel that writes none is not taken for one that did."""
    for path in folder.glob(f"{PREFIX}*.json"):
        path.unlink(missing_ok=True)


@dataclass
class WindowResults:
    mcps: list[Any] = field(default_factory=list)
    """AssertionRunEvents, oldest window first."""
    windows: int = 0
    """Distinct (pipeline, window, process) runs they report."""
    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Files that could not be read, each with why."""


def read_results(paths: Iterable[Path]) -> WindowResults:
    from datahub.emitter.mcp import MetadataChangeProposalWrapper

    out = WindowResults()
    found: list[tuple[int, dict[str, Any]]] = []
    for path in paths:
        try:
            records = json.loads(path.read_text())
            if not isinstance(records, list):
                raise ValueError("not a JSON array of metadata change proposals")
        except (OSError, ValueError) as e:
            out.problems.append(f"{path}: {e}")
            continue
        out.files.append(path)
        for record in records:
            if isinstance(record, dict) and record.get("aspectName") == RESULT_ASPECT:
                found.append((int(record["aspect"]["json"]["timestampMillis"]), record))
    found.sort(key=lambda pair: pair[0])
    out.mcps = [MetadataChangeProposalWrapper.from_obj(record) for _, record in found]
    out.windows = len({m.aspect.runId for m in out.mcps})
    return out

"""What the gate reports: one finding per reason a subject's change is refused."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

SUBJECT_DELETED = "SUBJECT_DELETED"


@dataclass(frozen=True)
class GateFinding:
    file: str
    subject: str
    level: str
    version: int | None
    type: str
    field_path: str
    location: str
    line: int
    message: str
    direction: str = ""
    versions: tuple[int, ...] = ()
    """The versions this one finding conflicts with, when it stands for several (see `grouped`)."""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["versions"] = list(self.all_versions)
        return out

    @property
    def all_versions(self) -> tuple[int, ...]:
        return self.versions or ((self.version,) if self.version is not None else ())


def grouped(findings: list[GateFinding]) -> list[GateFinding]:
    """One finding per broken field: those that share file, subject, field, type and direction
    (a transitive level finds the same break against each earlier version) become one, with the
    versions they conflict with; the message and version are the earliest's."""
    groups: dict[tuple[str, str, str, str, str, str], list[GateFinding]] = {}
    for f in findings:
        groups.setdefault((f.file, f.subject, f.field_path, f.type, f.direction, f.level), []).append(f)
    out = []
    for items in groups.values():
        items.sort(key=lambda f: -1 if f.version is None else f.version)
        versions = tuple(sorted({v for f in items for v in f.all_versions}))
        out.append(replace(items[0], versions=versions) if len(items) > 1 else items[0])
    return out


@dataclass(frozen=True)
class GateWarning:
    """Something the check did not fail on but the user should know, such as a registry that enforces
    another level than subjects.yml declares."""

    file: str
    subject: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"warning": True, **asdict(self)}


@dataclass
class Outcome:
    """Everything a check found, and how many subjects it looked at."""

    findings: list[GateFinding]
    checked: int
    changed: int
    source: str
    impacts: dict[str, str] = field(default_factory=dict)
    """Subject -> who reads it downstream, in words (from the declared lineage), for subjects with findings."""
    warnings: list[GateWarning] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

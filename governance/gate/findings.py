"""What the gate reports: one finding per reason a subject's change is refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from governance.workspace import Workspace

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
    detail: str = ""
    """What exactly breaks (Confluent's additionalInfo: the union branch, the symbols), telling apart
    two breaks of one field against one version."""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["versions"] = list(self.all_versions)
        del out["detail"]
        return out

    @property
    def all_versions(self) -> tuple[int, ...]:
        return self.versions or ((self.version,) if self.version is not None else ())


def type_changed(workspace: Workspace, subject: str, version: int, old_type: str) -> GateFinding:
    """A subject whose file changed format (`.avsc` to `.proto`): incompatible at every level but NONE, in
    the words our registry answers (a registry's answer names no field, so neither does this)."""
    from governance.formats import different_type_messages, format_for

    level = workspace.level(subject).value
    labels = format_for(old_type).label, format_for(workspace.schema_type(subject)).label
    message = "; ".join(different_type_messages(version, *labels, level)[:2])
    return GateFinding(str(workspace.path(subject)), subject, level, None, "INCOMPATIBLE", "", "", 1, message)


def grouped(findings: list[GateFinding]) -> list[GateFinding]:
    """One finding per break: a transitive level finds the same break of a field against each earlier
    version, and those become one, with the versions they conflict with; the message and version are the
    earliest's. Breaks found against one version stay apart (a union that lost two branches is two)."""
    groups: dict[tuple[str, str, str, str, str, str], list[GateFinding]] = {}
    for f in findings:
        groups.setdefault((f.file, f.subject, f.field_path, f.type, f.direction, f.level), []).append(f)
    out = []
    for items in (part for group in groups.values() for part in _distinct_breaks(group)):
        items.sort(key=lambda f: -1 if f.version is None else f.version)
        versions = tuple(sorted({v for f in items for v in f.all_versions}))
        out.append(replace(items[0], versions=versions) if len(items) > 1 else items[0])
    return out


def conflicts(findings: list[GateFinding]) -> int:
    """How many (break, earlier version) pairs the findings stand for, grouped or not."""
    return sum(len(f.all_versions) or 1 for f in findings)


_SAME_BREAK: tuple[Callable[[GateFinding], object], ...] = (lambda f: f.detail, lambda f: f.location, id)


def _distinct_breaks(items: list[GateFinding], keys: tuple[Callable[[GateFinding], object], ...] = _SAME_BREAK,
                     ) -> list[list[GateFinding]]:
    """Split findings of one field and type until no part has two against one version: by what breaks
    (the detail), then where (the location), then one by one."""
    if len({f.version for f in items}) == len(items) or not keys:
        return [items]
    parts: dict[object, list[GateFinding]] = {}
    for f in items:
        parts.setdefault(keys[0](f), []).append(f)
    return [part for group in parts.values() for part in _distinct_breaks(group, keys[1:])]


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

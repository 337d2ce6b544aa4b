"""What the gate reports: one finding per reason a subject's change is refused."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Outcome:
    """Everything a check found, and how many subjects it looked at."""

    findings: list[GateFinding]
    checked: int
    changed: int
    source: str
    impacts: dict[str, str] = field(default_factory=dict)
    """Subject -> who reads it downstream, in words (from the declared lineage), for subjects with findings."""

    @property
    def ok(self) -> bool:
        return not self.findings

"""A subject's compatibility level twice: as the project declares it (schemas/subjects.yml,
the gate's default BACKWARD when it names none) and as the registry enforces it (set on
the subject, or inherited from the registry's global level when the subject has none:
`GET /config/{subject}` answers 40408)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from governance.registry.client import RegistryClient

DEFAULT_SOURCE = "the gate's default"


@dataclass(frozen=True)
class Levels:
    declared: str | None = None
    """The project's level; None for a subject that is not in schemas/."""
    declared_by: str = ""
    """`schemas/subjects.yml`, or the gate's default when subjects.yml names no level."""
    effective: str | None = None
    """What the registry enforces; None when it was not asked or would not say."""
    inherited: bool = False
    """The registry has no level for the subject itself and applies its global level."""

    @property
    def published(self) -> str | None:
        """The one level to publish: the declared one when the project governs the subject."""
        return self.declared or self.effective

    def effective_text(self) -> str:
        if self.effective is None:
            return "not known (no registry asked)"
        return f"{self.effective} ({'inherited from the registry’s global level' if self.inherited else 'set on the subject'})"

    def mismatch(self, subject: str) -> str | None:
        """The warning when the registry enforces another level than the project declares."""
        if self.declared is None or self.effective is None or self.declared == self.effective:
            return None
        return (f"{subject}: the registry enforces {self.effective_text()}, but {self.declared_by} declares "
                f"{self.declared}; `governance schemas register` applies the declared level")


def declared_levels(schemas: Path, subject: str) -> Levels:
    """The project's level for `subject` (no registry asked); Levels() when schemas/ does not hold it."""
    from governance.workspace import load_workspace, schema_files

    if subject not in {path.stem for path in schema_files(schemas)}:
        return Levels()
    return workspace_levels(load_workspace(schemas), subject)


def workspace_levels(workspace: Any, subject: str) -> Levels:
    """The level a loaded Workspace (governance.workspace) declares for `subject`."""
    from governance.workspace import SUBJECTS_FILE

    declared = workspace.declared_level(subject)
    if declared is not None:
        return Levels(declared.value, f"{workspace.root.name}/{SUBJECTS_FILE}")
    return Levels(workspace.level(subject).value, DEFAULT_SOURCE)


def with_registry(levels: Levels, registry: RegistryClient, subject: str) -> Levels:
    """`levels` with the registry's level for `subject`."""
    own = registry.subject_level(subject)
    if own:
        return Levels(levels.declared, levels.declared_by, own, False)
    effective = registry.effective_level(subject)
    return Levels(levels.declared, levels.declared_by, None if effective == "unknown" else effective, True)

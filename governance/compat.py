"""What a compatibility finding is in every format (Avro, Protobuf, JSON Schema): Confluent's type and
location, the dotted field path, and a plain sentence told once the registered version and the direction
are known. Each format's Finding adds its own details and its own sentence."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Self

BACKWARD = "backward"
FORWARD = "forward"
"""A finding's direction: the new schema reads old data (backward), old readers read new data (forward)."""


@dataclass(frozen=True)
class BaseFinding:
    """One reason a new schema cannot follow a registered version, in one direction."""

    type: str
    location: str
    field_path: str
    version: int | None
    direction: str
    message: str

    def in_context(self, version: int | None, direction: str) -> Self:
        """The same finding, told for a registered version and a direction ("backward" or "forward")."""
        if direction not in (BACKWARD, FORWARD):
            raise ValueError(f'direction must be "backward" or "forward", not {direction!r}')
        told = replace(self, version=version, direction=direction)
        return replace(told, message=told.sentence())

    def sentence(self) -> str:
        """The plain sentence for this finding's version and direction."""
        raise NotImplementedError

    @property
    def update_and_original(self) -> tuple[str, str]:
        """Which of the two schemas Confluent's checker read as the update (the reader's) and the original:
        ("new", "old") backward, ("old", "new") forward."""
        return ("new", "old") if self.direction == BACKWARD else ("old", "new")

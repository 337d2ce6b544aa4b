"""Compatibility levels and checking a new schema against a subject's history."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Protocol, Self, TypeVar

from governance.avro.compatibility import Checker
from governance.avro.findings import Finding
from governance.compat import BACKWARD, FORWARD

if TYPE_CHECKING:
    from governance.avro.schema import ParsedSchema


class Level(str, Enum):
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"

    @classmethod
    def parse(cls, text: str) -> Level:
        """The level named by `text`, in any case; ValueError naming the valid levels otherwise."""
        try:
            return cls(text.strip().upper())
        except (ValueError, AttributeError):
            from governance.errors import did_you_mean

            valid = ", ".join(level.value for level in cls)
            hint = did_you_mean(str(text).strip().upper(), (level.value for level in cls)) if isinstance(text, str) else ""
            raise ValueError(f"unknown compatibility level {text!r}: expected one of {valid}{hint}") from None

    @classmethod
    def default(cls) -> Level:
        """Confluent Schema Registry's default level, for a subject and a registry with none set."""
        return cls.BACKWARD

    @property
    def transitive(self) -> bool:
        return self.value.endswith("_TRANSITIVE")

    @property
    def checks_backward(self) -> bool:
        return self.value.startswith(("BACKWARD", "FULL"))

    @property
    def checks_forward(self) -> bool:
        return self.value.startswith(("FORWARD", "FULL"))


class Told(Protocol):
    """A finding that can be told for a registered version and a direction: each format's Finding."""

    def in_context(self, version: int | None, direction: str) -> Self: ...


S = TypeVar("S")
F = TypeVar("F", bound=Told)


def findings_at_level(new: S, previous: Sequence[tuple[int, S]], level: Level | str,
                      incompatibilities: Callable[[S, S], Iterable[F]]) -> list[F]:
    """Findings that stop `new` from joining a subject whose live versions are `previous` (oldest first), in
    any format: `incompatibilities(writer, reader)` are the reasons the reader's schema cannot read the writer's.

    Non-transitive levels check only the newest version; transitive ones check
    every version, newest first, and report every version that conflicts.
    BACKWARD: new reads old data. FORWARD: old reads new data. FULL: both.
    An empty `previous` is compatible.
    """
    level = level if isinstance(level, Level) else Level.parse(level)
    if level is Level.NONE or not previous:
        return []
    against = list(reversed(previous)) if level.transitive else [previous[-1]]
    out: list[F] = []
    for version, old in against:
        if level.checks_backward:
            out += [f.in_context(version, BACKWARD) for f in incompatibilities(old, new)]
        if level.checks_forward:
            out += [f.in_context(version, FORWARD) for f in incompatibilities(new, old)]
    return out


def check_compatibility(new: ParsedSchema, previous: Sequence[tuple[int, ParsedSchema]], level: Level) -> list[Finding]:
    """Findings that stop `new` from joining a subject whose live versions are `previous` (oldest first)."""
    checker = Checker()
    return findings_at_level(new, previous, level, lambda writer, reader: checker.findings(reader._tree, writer._tree))

"""Checking a new Protobuf schema against a subject's history at one of the seven levels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from governance.avro.levels import Level
from governance.protobuf.diff import compare
from governance.protobuf.findings import BACKWARD, FORWARD, Finding

if TYPE_CHECKING:
    from governance.protobuf.schema import ProtoSchema


def check_compatibility(new: ProtoSchema, previous: Sequence[tuple[int, ProtoSchema]], level: Level | str) -> list[Finding]:
    """Findings that stop `new` from joining a subject whose live versions are `previous` (oldest first).

    As Confluent: BACKWARD diffs (old, new), FORWARD diffs (new, old), FULL
    both; a difference outside SchemaDiff's compatible set is a finding.
    Non-transitive levels check only the newest version; transitive ones every
    version, newest first. An empty `previous` is compatible.
    """
    level = level if isinstance(level, Level) else Level.parse(level)
    if level is Level.NONE or not previous:
        return []
    against = list(reversed(previous)) if level.transitive else [previous[-1]]
    out: list[Finding] = []
    for version, old in against:
        if level.checks_backward:
            out += [Finding.of(d, version, BACKWARD) for d in compare(old, new) if not d.compatible]
        if level.checks_forward:
            out += [Finding.of(d, version, FORWARD) for d in compare(new, old) if not d.compatible]
    return out

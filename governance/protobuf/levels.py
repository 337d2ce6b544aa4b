"""Checking a new Protobuf schema against a subject's history at one of the seven levels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from governance.avro.levels import Level, findings_at_level
from governance.protobuf.diff import compare
from governance.protobuf.findings import Finding

if TYPE_CHECKING:
    from governance.protobuf.schema import ProtoSchema


def check_compatibility(new: ProtoSchema, previous: Sequence[tuple[int, ProtoSchema]], level: Level | str) -> list[Finding]:
    """Findings that stop `new` from joining a subject whose live versions are `previous` (oldest first).

    As Confluent: BACKWARD diffs (old, new), FORWARD diffs (new, old), FULL
    both; a difference outside SchemaDiff's compatible set is a finding.
    Non-transitive levels check only the newest version; transitive ones every
    version, newest first. An empty `previous` is compatible.
    """
    return findings_at_level(new, previous, level,
                             lambda writer, reader: [Finding.of(d) for d in compare(writer, reader) if not d.compatible])

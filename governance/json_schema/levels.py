"""Checking a new JSON Schema against a subject's history at one of the seven levels, under a policy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from governance.avro.levels import Level, findings_at_level
from governance.json_schema.diff import schema_diff
from governance.json_schema.errors import InvalidJsonSchemaError
from governance.json_schema.findings import COMPATIBLE, Finding, policy_of

if TYPE_CHECKING:
    from governance.json_schema.schema import JsonSchema


def incompatibilities(original: JsonSchema, update: JsonSchema, policy: str | None = None) -> list[Finding]:
    """The differences from `original` (the writer's schema) to `update` (the reader's) that the policy does not allow."""
    policy = policy_of(policy)
    allowed = COMPATIBLE[policy]
    try:
        differences = schema_diff(original, update, policy)
    except RecursionError:
        raise InvalidJsonSchemaError("the schemas nest too deeply (through their $refs) to be compared") from None
    return [Finding.of(d) for d in differences if d.type not in allowed]


def check_compatibility(new: JsonSchema, previous: Sequence[tuple[int, JsonSchema]], level: Level | str,
                        compatibility_policy: str | None = None) -> list[Finding]:
    """Findings that stop `new` from joining a subject whose live versions are `previous` (oldest first).

    As Confluent: BACKWARD diffs (old, new), FORWARD diffs (new, old), FULL both; a difference
    outside the policy's compatible set (Confluent's default STRICT, or LENIENT) is a finding.
    Non-transitive levels check only the newest version; transitive ones every version, newest
    first. An empty `previous` is compatible. A finding whose `cannot_judge` is true names a
    keyword the checker does not compare: the change is refused, never passed.
    """
    level = level if isinstance(level, Level) else Level.parse(level)
    policy = policy_of(compatibility_policy)
    return findings_at_level(new, previous, level, lambda writer, reader: incompatibilities(writer, reader, policy))

"""The registry's answer when a schema is incompatible: Confluent's entries exactly, and our sentences.

Confluent Schema Registry (7.6 and later, 8.x) builds one list of strings for
both the verbose compatibility check (`messages`) and the 409 on registration
(`details: [...]`, the list joined with ", "):

- the findings against the newest version that fails (a transitive level
  stops at the first failing version, newest first), each as
  `{errorType:'...', description:'...', additionalInfo:'...'}` (Difference);
  FULL lists the forward findings (old reads new) before the backward ones;
- after the findings of a direction that appends them (backward, or forward
  for the FORWARD levels; not FULL's forward half): `{oldSchemaVersion: N}` and
  `{oldSchema: '<canonical text>'}` (SchemaValidatorBuilder.formatErrorMessages);
- last, `{validateFields: 'false', compatibility: 'LEVEL'}` (the subject's
  configured level; servers before 7.6 wrote `{compatibility: 'LEVEL'}`).

Our plain-English sentence for each finding is an entry of its own, placed
before Confluent's entries and in the same order as the errorType entries.
A sentence never starts with "{" and never contains `errorType:'`,
`oldSchemaVersion:` or `compatibility: '`, so a tool that reads Confluent's
entries by their `{key: ...}` form skips it; Confluent itself puts its own
plain-sentence entries (reserved fields, "Incompatible because of different
schema type") first, and keeps the `{validateFields...}` entry last, which
this keeps true.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from governance.formats import BACKWARD, FORWARD, Finding

OLD_SCHEMA_LOG_LIMIT = 10 * 1024


def incompatibility_messages(findings: Sequence[Finding], old_schemas: Mapping[int, str], level: str) -> list[str]:
    """The entries for `findings` (check_compatibility's, newest version first); [] when compatible.

    `old_schemas` maps a version to its canonical text; `level` is the subject's configured level.
    """
    if not findings:
        return []
    version = findings[0].version
    told = [f for f in findings if f.version == version]
    forward = [f for f in told if f.direction == FORWARD]
    backward = [f for f in told if f.direction == BACKWARD]
    entries = [f.confluent_message() for f in forward]
    if forward and not level.startswith("FULL"):
        entries += _old_schema(version, old_schemas)
    entries += [f.confluent_message() for f in backward]
    if backward:
        entries += _old_schema(version, old_schemas)
    entries.append(f"{{validateFields: 'false', compatibility: '{level}'}}")
    return [f.message for f in forward + backward] + entries


def incompatible_message(subject: str, messages: Sequence[str]) -> str:
    """The 409's message: Confluent's wording, with the entries as Java prints a list."""
    return (f"Schema being registered is incompatible with an earlier schema for subject \"{subject}\", "
            f"details: [{', '.join(messages)}]")


def _old_schema(version: int | None, old_schemas: Mapping[int, str]) -> list[str]:
    if version is None:
        return []
    entries = [f"{{oldSchemaVersion: {version}}}"]
    text = old_schemas.get(version)
    if text is not None:
        if len(text) <= OLD_SCHEMA_LOG_LIMIT:
            entries.append(f"{{oldSchema: '{text}'}}")
        else:
            entries.append(f"{{oldSchema: <truncated> '{text[:OLD_SCHEMA_LOG_LIMIT]}...'}}")
    return entries

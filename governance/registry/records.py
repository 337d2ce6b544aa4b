"""Keys and values of the `_schemas` topic, byte for byte as Confluent writes them.

Compaction keeps the last record per exact key bytes, so keys are compact JSON
with Confluent's field order. Values are JSON objects; a null value is a
tombstone (a permanent delete, or a config/mode reset).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


def _dump(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def schema_key(subject: str, version: int) -> bytes:
    return _dump({"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1})


def config_key(subject: str | None) -> bytes:
    return _dump({"keytype": "CONFIG", "subject": subject, "magic": 0})


def mode_key(subject: str | None) -> bytes:
    return _dump({"keytype": "MODE", "subject": subject, "magic": 0})


def delete_subject_key(subject: str) -> bytes:
    return _dump({"keytype": "DELETE_SUBJECT", "subject": subject, "magic": 0})


@dataclass
class SchemaValue:
    """One subject version."""

    subject: str
    version: int
    id: int
    schema: str
    deleted: bool = False
    schema_type: str = "AVRO"
    references: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    rule_set: dict[str, Any] | None = None

    def schema_fields(self) -> dict[str, Any]:
        """The schema and what travels with it, as Confluent names them; defaults left out."""
        fields: dict[str, Any] = {}
        if self.schema_type != "AVRO":
            fields["schemaType"] = self.schema_type
        if self.references:
            fields["references"] = self.references
        if self.metadata is not None:
            fields["metadata"] = self.metadata
        if self.rule_set is not None:
            fields["ruleSet"] = self.rule_set
        fields["schema"] = self.schema
        return fields

    def encode(self) -> bytes:
        value = {"subject": self.subject, "version": self.version, "id": self.id, **self.schema_fields()}
        value["deleted"] = self.deleted
        return _dump(value)

    @classmethod
    def decode(cls, value: dict[str, Any]) -> SchemaValue:
        return cls(
            subject=value["subject"],
            version=int(value["version"]),
            id=int(value["id"]),
            schema=value["schema"],
            deleted=bool(value.get("deleted", False)),
            schema_type=value.get("schemaType") or "AVRO",
            references=list(value.get("references") or []),
            metadata=value.get("metadata"),
            rule_set=value.get("ruleSet"),
        )


def config_value(level: str | None, policy: str | None = None) -> bytes:
    """A subject's (or the global) config: its level and JSON Schema's `compatibilityPolicy`, each when set."""
    value = {"compatibilityLevel": level} if level else {}
    if policy:
        value["compatibilityPolicy"] = policy
    return _dump(value)


def mode_value(mode: str) -> bytes:
    return _dump({"mode": mode})


def delete_subject_value(subject: str, version: int) -> bytes:
    return _dump({"subject": subject, "version": version})

"""The registry's in-memory state, rebuilt by replaying the `_schemas` topic.

Every change goes through `apply`, whether it was read back from Kafka at
start or right after this instance wrote it, so all instances that have read
the same offsets give the same answers.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

from governance.registry.records import SchemaValue

logger = logging.getLogger(__name__)
SchemaContent = tuple[str, str, str, str, str]  # schema, type, references, metadata, ruleSet (JSON)


def content_key(value: SchemaValue) -> SchemaContent:
    """What makes two registrations "the same schema" and so share an id."""
    return (
        value.schema,
        value.schema_type,
        json.dumps(value.references, sort_keys=True),
        json.dumps(value.metadata, sort_keys=True),
        json.dumps(value.rule_set, sort_keys=True),
    )


class RegistryState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.subjects: dict[str, dict[int, SchemaValue]] = {}
        self.users_of_id: dict[int, set[tuple[str, int]]] = {}
        self.id_of_content: dict[SchemaContent, int] = {}
        self.content_of_id: dict[int, SchemaValue] = {}
        self.config: dict[str | None, str] = {}
        self.policy: dict[str | None, str] = {}  # JSON Schema's compatibilityPolicy, where set
        self.mode: dict[str | None, str] = {}
        self.max_id = 0
        self.offset = -1  # last applied offset of the _schemas partition
        self.generation = 0  # bumped on every change, for response caches

    # -- replay ------------------------------------------------------------

    def apply(self, offset: int, key: bytes | None, value: bytes | None) -> None:
        with self.lock:
            self.offset = offset
            if key is None:
                return
            try:
                parsed_key = json.loads(key)
                parsed_value = json.loads(value) if value is not None else None
            except ValueError:
                return  # not ours to understand; Confluent skips such records too
            if not isinstance(parsed_key, dict):
                return
            keytype = parsed_key.get("keytype")
            subject = parsed_key.get("subject")
            try:
                if keytype == "SCHEMA":
                    self._apply_schema(subject, int(parsed_key["version"]), parsed_value)
                elif keytype == "CONFIG":
                    self._apply_setting(self.config, subject, parsed_value, "compatibilityLevel")
                    self._apply_setting(self.policy, subject, parsed_value, "compatibilityPolicy")
                elif keytype == "MODE":
                    self._apply_setting(self.mode, subject, parsed_value, "mode")
                elif keytype == "DELETE_SUBJECT" and parsed_value is not None:
                    watermark = int(parsed_value["version"])
                    for version, record in self.subjects.get(subject, {}).items():
                        if version <= watermark:
                            record.deleted = True
                else:
                    return
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                # Like Confluent: log and skip a record we cannot read, rather than stop
                # reading the log (which would leave this instance stale for good).
                logger.warning("skipping unreadable record at offset %d of the schema log: key %r: %r", offset, key, exc)
                return
            self.generation += 1

    def _apply_schema(self, subject: str, version: int, value: dict[str, Any] | None) -> None:
        record = SchemaValue.decode(value) if value is not None else None  # first: may raise
        versions = self.subjects.setdefault(subject, {})
        old = versions.pop(version, None)
        if old is not None:
            self._forget_user(old)
        if record is None:
            if not versions:
                del self.subjects[subject]
            return
        versions[version] = record
        self.max_id = max(self.max_id, record.id)
        self.users_of_id.setdefault(record.id, set()).add((subject, version))
        self.content_of_id.setdefault(record.id, record)
        self.id_of_content.setdefault(content_key(record), record.id)

    def _forget_user(self, record: SchemaValue) -> None:
        users = self.users_of_id.get(record.id)
        if users is None:
            return
        users.discard((record.subject, record.version))
        if not users:
            del self.users_of_id[record.id]
            content = self.content_of_id.pop(record.id)
            self.id_of_content.pop(content_key(content), None)

    @staticmethod
    def _apply_setting(target: dict[str | None, str], subject: str | None, value: Any, field: str) -> None:
        # Confluent leaves out what is not set: a config record may set `normalize` but no level.
        if not isinstance(value, dict) or not isinstance(value.get(field), str):
            target.pop(subject, None)
        else:
            target[subject] = value[field]

    # -- queries (callers hold `lock` when they need several to agree) --------

    def versions(self, subject: str, *, deleted: bool = False) -> list[SchemaValue]:
        """The subject's versions, oldest first; soft-deleted ones only if `deleted`."""
        records = self.subjects.get(subject, {})
        return [records[v] for v in sorted(records) if deleted or not records[v].deleted]

    def subject_names(self, *, deleted: bool = False) -> Iterator[str]:
        for subject in sorted(self.subjects):
            if deleted or any(not r.deleted for r in self.subjects[subject].values()):
                yield subject

    def schema_by_id(self, schema_id: int) -> SchemaValue | None:
        return self.content_of_id.get(schema_id)

    def users(self, schema_id: int) -> list[tuple[str, int]]:
        return sorted(self.users_of_id.get(schema_id, ()))

    def referenced_by(self, subject: str, version: int) -> list[int]:
        ids = set()
        for versions in self.subjects.values():
            for record in versions.values():
                if not record.deleted and any(
                    ref.get("subject") == subject and ref.get("version") == version for ref in record.references
                ):
                    ids.add(record.id)
        return sorted(ids)

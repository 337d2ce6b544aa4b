"""Schema Registry operations, independent of HTTP: what each endpoint means.

Reads answer from the in-memory state. Writes are serialised by one lock,
decided against the state, appended to the log and answered once read back.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from governance.formats import POLICIES, InvalidSchemaError, Level, ParsedSchema, different_type_messages, format_for
from governance.registry import answers, errors, records
from governance.registry.records import SchemaValue
from governance.registry.submission import SchemaRequest, lone_surrogate
from governance.registry.state import RegistryState, content_key

DEFAULT_MODE = "READWRITE"
MODES = ("READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT")
T = TypeVar("T")


def _one_writer(method: Callable[..., T]) -> Callable[..., T]:
    """Hold the write lock from the decision until the write has been read back, so that two
    concurrent writes never decide on the same state (one id or version handed out twice)."""

    @functools.wraps(method)
    def locked(self: RegistryService, *args: Any, **kwargs: Any) -> T:
        with self._write_lock:
            return method(self, *args, **kwargs)

    return locked


@dataclass(frozen=True)
class CompatibilityResult:
    is_compatible: bool
    messages: list[str]


class RegistryService:
    def __init__(
        self,
        state: RegistryState,
        write: Callable[[Sequence[tuple[bytes, bytes | None]]], None],
    ) -> None:
        self.state = state
        self._write = write
        self.on_check: Callable[[str, str], None] = lambda schema_type, outcome: None
        """Hears of each compatibility judgment (a /compatibility request, or a registration judged against
        earlier versions): (schema type, "compatible" | "incompatible" | "error"), error when the candidate or
        a stored version does not parse."""
        self._write_lock = threading.Lock()
        self._parsed: dict[int, ParsedSchema] = {}

    # -- reads -------------------------------------------------------------------

    def subjects(self, *, deleted: bool = False, prefix: str = "") -> list[str]:
        with self.state.lock:
            return [s for s in self.state.subject_names(deleted=deleted) if s.startswith(prefix)]

    def versions(self, subject: str, *, deleted: bool = False) -> list[int]:
        with self.state.lock:
            found = self.state.versions(subject, deleted=deleted)
            if not found:
                raise errors.subject_not_found(subject)
            return [r.version for r in found]

    def version(self, subject: str, version: int | None, *, deleted: bool = False) -> SchemaValue:
        """`version` None means the latest live version."""
        with self.state.lock:
            every = self.state.versions(subject, deleted=True)
            if not every or (not deleted and all(r.deleted for r in every)):
                raise errors.subject_not_found(subject)
            if version is None:
                live = [r for r in every if deleted or not r.deleted]
                return live[-1]
            for record in every:
                if record.version == version and (deleted or not record.deleted):
                    return record
            raise errors.version_not_found(subject, version)

    def schema_by_id(self, schema_id: int) -> SchemaValue:
        record = self.state.schema_by_id(schema_id)
        if record is None:
            raise errors.schema_not_found(f"Schema {schema_id} not found")
        return record

    def subjects_of_id(self, schema_id: int, *, deleted: bool = False) -> list[str]:
        return sorted({subject for subject, _ in self.versions_of_id(schema_id, deleted=deleted)})

    def versions_of_id(self, schema_id: int, *, deleted: bool = False) -> list[tuple[str, int]]:
        with self.state.lock:
            self.schema_by_id(schema_id)
            return [
                (subject, version)
                for subject, version in self.state.users(schema_id)
                if deleted or not self.state.subjects[subject][version].deleted
            ]

    def referenced_by(self, subject: str, version: int | None) -> list[int]:
        with self.state.lock:
            record = self.version(subject, version)
            return self.state.referenced_by(subject, record.version)

    def lookup(self, subject: str, request: SchemaRequest, *, normalize: bool, deleted: bool) -> SchemaValue:
        with self.state.lock:
            every = self.state.versions(subject, deleted=True)
            if not every or (not deleted and all(r.deleted for r in every)):
                raise errors.subject_not_found(subject)
        candidate = self._to_value(subject, request, normalize)
        with self.state.lock:
            for record in reversed(self.state.versions(subject, deleted=deleted)):
                same_references = content_key(record)[1:3] == content_key(candidate)[1:3]
                if same_references and self._same_schema(record, candidate, normalize):
                    return record
        raise errors.schema_not_found("Schema not found")

    def level(self, subject: str | None) -> str:
        return self.state.config.get(subject) or self.state.config.get(None) or Level.default().value

    def mode(self, subject: str | None) -> str:
        return self.state.mode.get(subject) or self.state.mode.get(None) or DEFAULT_MODE

    def policy(self, subject: str | None) -> str | None:
        """JSON Schema's compatibilityPolicy for the subject (its own, else the global one); None: STRICT."""
        return self.state.policy.get(subject) or self.state.policy.get(None)

    def get_config(self, subject: str | None, *, default_to_global: bool = False) -> dict[str, str]:
        """`compatibilityLevel` and, where set, `compatibilityPolicy`; a subject with neither is 40408
        unless `default_to_global`."""
        with self.state.lock:
            own = subject in self.state.config or subject in self.state.policy
            if subject is not None and not own and not default_to_global:
                raise errors.subject_level_compatibility_not_configured(subject)
            level = self.state.config.get(subject) if subject is not None else None
            policy = self.state.policy.get(subject) if subject is not None else None
            if subject is None or default_to_global:
                level, policy = level or self.level(None), policy or self.state.policy.get(None)
        out = {"compatibilityLevel": level} if level else {}
        if policy:
            out["compatibilityPolicy"] = policy
        return out

    def get_mode(self, subject: str | None, *, default_to_global: bool = False) -> str:
        if subject is None:
            return self.mode(None)
        if subject in self.state.mode:
            return self.state.mode[subject]
        if default_to_global:
            return self.mode(None)
        raise errors.subject_level_mode_not_configured(subject)

    def check(
        self, subject: str, version: int | None, request: SchemaRequest, *, normalize: bool, all_versions: bool = False
    ) -> CompatibilityResult:
        """Test `request` against one version (None: the latest) or, with `all_versions`,
        against what the subject's level says."""
        try:
            candidate = self._parse(request, normalize)
        except errors.ServiceError:
            self.on_check(request.schema_type, "error")
            raise
        with self.state.lock:
            live = self.state.versions(subject)
            configured = Level.parse(self.level(subject))
            level = configured
            policy = self.policy(subject)
            if all_versions:
                previous = live
            elif not live:
                if version is not None:
                    raise errors.subject_not_found(subject)
                previous = []
            else:
                previous = [self.version(subject, version)]
                level = _non_transitive(level)
        messages = self._judged(request.schema_type, lambda: self._incompatibilities(
            candidate, request.schema_type, previous, level, configured, policy))
        return CompatibilityResult(not messages, messages)

    # -- writes ------------------------------------------------------------------

    @_one_writer
    def register(self, subject: str, request: SchemaRequest, *, normalize: bool) -> int:
        candidate_value = self._to_value(subject, request, normalize)
        with self.state.lock:
            mode = self.mode(subject)
            if mode.startswith("READONLY"):
                raise errors.operation_not_permitted(f"Subject {subject} is in read-only mode")
            if request.id is not None and mode != "IMPORT":
                raise errors.operation_not_permitted(
                    f"A schema id can be given only in IMPORT mode; subject {subject} is in {mode} mode"
                )
            key = content_key(candidate_value)
            live = self.state.versions(subject)
            for record in live:
                if content_key(record)[1:] == key[1:] and self._same_schema(record, candidate_value, normalize):
                    if request.id is None or request.id == record.id:
                        return record.id
            if mode != "IMPORT" and live and (level := Level.parse(self.level(subject))) is not Level.NONE:
                messages = self._judged(request.schema_type, lambda: self._incompatibilities(
                    self._parse(request, normalize), request.schema_type, live, level, level, self.policy(subject)))
                if messages:
                    raise errors.incompatible_schema(answers.incompatible_message(subject, messages))
            schema_id = self._choose_id(request, key)
            every = self.state.versions(subject, deleted=True)
            version = request.version or (max((r.version for r in every), default=0) + 1)
            if request.version is not None and any(r.version == version for r in every):
                raise errors.operation_not_permitted(f"Version {version} of subject {subject} already exists")
            candidate_value.id, candidate_value.version = schema_id, version
        self._write([(records.schema_key(subject, version), candidate_value.encode())])
        return schema_id

    def _choose_id(self, request: SchemaRequest, key: tuple) -> int:
        existing = self.state.id_of_content.get(key)
        if request.id is None:
            return existing if existing is not None else self.state.max_id + 1
        holder = self.state.schema_by_id(request.id)
        if holder is not None and content_key(holder) != key:
            raise errors.operation_not_permitted(f"Overwrite new schema with id {request.id} is not permitted.")
        return request.id

    @_one_writer
    def delete_subject(self, subject: str, *, permanent: bool) -> list[int]:
        with self.state.lock:
            every = self.state.versions(subject, deleted=True)
            if not every:
                raise errors.subject_not_found(subject)
            if self.mode(subject).startswith("READONLY"):
                raise errors.operation_not_permitted(f"Subject {subject} is in read-only mode")
            live = [r for r in every if not r.deleted]
            for record in live if not permanent else every:
                if self.state.referenced_by(subject, record.version):
                    raise errors.reference_exists(
                        f"One or more references exist to the schema {{subject={subject}, version={record.version}}}"
                    )
            if not permanent:
                if not live:
                    raise errors.subject_soft_deleted(subject)
                writes = [(records.delete_subject_key(subject), records.delete_subject_value(subject, live[-1].version))]
                deleted = [r.version for r in live]
            else:
                if live:
                    raise errors.subject_not_soft_deleted(subject)
                writes = [(records.schema_key(subject, r.version), None) for r in every]
                writes.append((records.delete_subject_key(subject), None))
                deleted = [r.version for r in every]
        self._write(writes)
        return deleted

    @_one_writer
    def delete_version(self, subject: str, version: int | None, *, permanent: bool) -> int:
        with self.state.lock:
            record = self.version(subject, version, deleted=permanent or version is not None)
            if not permanent and record.deleted:
                raise errors.version_soft_deleted(subject, record.version)
            if self.mode(subject).startswith("READONLY"):
                raise errors.operation_not_permitted(f"Subject {subject} is in read-only mode")
            if self.state.referenced_by(subject, record.version):
                raise errors.reference_exists(
                    f"One or more references exist to the schema {{subject={subject}, version={record.version}}}"
                )
            if permanent:
                if not record.deleted:
                    raise errors.version_not_soft_deleted(subject, record.version)
                writes = [(records.schema_key(subject, record.version), None)]
            else:
                updated = SchemaValue(**{**record.__dict__, "deleted": True})
                writes = [(records.schema_key(subject, record.version), updated.encode())]
        self._write(writes)
        return record.version

    def set_config(self, subject: str | None, level_text: object, policy_text: object = None) -> dict[str, str]:
        """Sets what the request names, keeping the rest of the config (as Confluent merges a config update);
        answers what was set, as Confluent echoes the request."""
        if level_text is None and policy_text is None:
            raise errors.invalid_compatibility_level(level_text)
        level = _level(level_text) if level_text is not None else None
        policy = _policy(policy_text) if policy_text is not None else None
        with self._write_lock:
            value = records.config_value(level or self.state.config.get(subject), policy or self.state.policy.get(subject))
            self._write([(records.config_key(subject), value)])
        out = {"compatibility": level} if level else {}
        if policy:
            out["compatibilityPolicy"] = policy
        return out

    def delete_config(self, subject: str | None) -> dict[str, str]:
        with self._write_lock:
            old = self.get_config(subject)
            self._write([(records.config_key(subject), None)])
        return old

    def set_mode(self, subject: str | None, mode: object, *, force: bool = False) -> str:
        if not isinstance(mode, str) or mode.upper() not in MODES:
            raise errors.invalid_mode(mode)
        mode = mode.upper()
        with self._write_lock:
            if mode == "IMPORT" and not force:
                has_schemas = self.state.versions(subject) if subject is not None else list(self.state.subject_names())
                if has_schemas:
                    raise errors.operation_not_permitted(
                        "Cannot import since found existing subjects; set force=true to switch to IMPORT anyway"
                    )
            self._write([(records.mode_key(subject), records.mode_value(mode))])
        return mode

    def delete_mode(self, subject: str) -> str:
        with self._write_lock:
            old = self.get_mode(subject)
            self._write([(records.mode_key(subject), None)])
        return old

    # -- schemas -------------------------------------------------------------------

    def _parse(self, request: SchemaRequest, normalize: bool) -> ParsedSchema:
        try:
            parsed = format_for(request.schema_type).parse(request.schema, self._resolve_references(request.references))
        except InvalidSchemaError as exc:
            raise errors.invalid_schema(exc.message) from None
        if (surrogate := lone_surrogate(parsed.canonical)) is not None:
            raise errors.invalid_schema(
                f"a string in the schema holds the lone UTF-16 surrogate \\u{ord(surrogate):04x}, "
                "which is not a Unicode character"
            )
        return parsed

    def _to_value(self, subject: str, request: SchemaRequest, normalize: bool) -> SchemaValue:
        parsed = self._parse(request, normalize)
        try:
            text = parsed.normalized if normalize else parsed.canonical
        except InvalidSchemaError as exc:
            raise errors.invalid_schema(f"normalizing it fails: {exc.message}") from None
        return SchemaValue(
            subject=subject,
            version=0,
            id=0,
            schema=text,
            schema_type=request.schema_type,
            references=request.references,
            metadata=request.metadata,
            rule_set=request.rule_set,
        )

    def _resolve_references(self, references: list[dict], seen: frozenset[tuple[str, int]] = frozenset()) -> dict[str, str]:
        """Reference name -> schema text, referenced schemas' own references first."""
        resolved: dict[str, str] = {}
        for ref in references:
            marker = (ref["subject"], ref["version"])
            if marker in seen:
                raise errors.invalid_schema(f"circular reference to {ref['subject']} version {ref['version']}")
            try:
                record = self.version(ref["subject"], None if ref["version"] == -1 else ref["version"])
            except errors.ServiceError:
                raise errors.invalid_schema(
                    f"reference {ref['name']!r} names subject {ref['subject']!r} version {ref['version']}, "
                    "which is not registered"
                ) from None
            resolved.update(self._resolve_references(record.references, seen | {marker}))
            resolved[ref["name"]] = record.schema
        return resolved

    def _same_schema(self, record: SchemaValue, candidate: SchemaValue, normalize: bool) -> bool:
        """Whether `record` holds `candidate`'s schema text, or text that parses to it: a log
        written by another registry (Confluent's) may lay the same schema out otherwise."""
        if record.schema == candidate.schema:
            return True
        try:
            parsed = self._parsed_of(record)
            return (parsed.normalized if normalize else parsed.canonical) == candidate.schema
        except (InvalidSchemaError, errors.ServiceError):
            return False

    def _incompatibilities(
        self, candidate: ParsedSchema, schema_type: str, previous: list[SchemaValue], level: Level, configured: Level,
        policy: str | None = None,
    ) -> list[str]:
        """Confluent's entries and our sentences for why `candidate` cannot follow `previous`; [] if it can.
        Checked newest first, a version of another schema type fails as in Confluent, after the newer ones.
        `policy` is the subject's compatibilityPolicy (JSON Schema's; the other formats have none)."""
        if level is Level.NONE:
            return []
        checked = previous if level.transitive else previous[-1:]
        other = next((i for i in range(len(checked) - 1, -1, -1) if checked[i].schema_type != schema_type), None)
        if other is not None:
            newer = checked[other + 1:]
            return (self._incompatibilities(candidate, schema_type, newer, level, configured, policy)
                    or different_type_messages(checked[other].version, format_for(checked[other].schema_type).label,
                                                       format_for(schema_type).label, configured.value))
        parsed = [(r.version, self._parsed_of(r)) for r in checked]
        findings = format_for(schema_type).compatibility(candidate, parsed, level, policy)
        return answers.incompatibility_messages(findings, {v: p.canonical for v, p in parsed}, configured.value)

    def _judged(self, schema_type: str, judge: Callable[[], list[str]]) -> list[str]:
        try:
            messages = judge()
        except (errors.ServiceError, InvalidSchemaError):
            self.on_check(schema_type, "error")
            raise
        self.on_check(schema_type, "incompatible" if messages else "compatible")
        return messages

    def formatted(self, record: SchemaValue, fmt: str | None) -> SchemaValue:
        """`record` with its schema in Confluent's `?format=` form (`serialized`: a Protobuf schema's base64
        descriptor); as stored when the format has no such form or the stored schema no longer parses."""
        if not fmt:
            return record
        try:
            text = format_for(record.schema_type).formatted(self._parsed_of(record), fmt)
        except (InvalidSchemaError, errors.ServiceError):
            return record
        return record if text is None else dataclasses.replace(record, schema=text)

    def _parsed_of(self, record: SchemaValue) -> ParsedSchema:
        parsed = self._parsed.get(record.id)
        if parsed is None:
            parsed = format_for(record.schema_type).parse(record.schema, self._resolve_references(record.references))
            self._parsed[record.id] = parsed
        return parsed


def _level(text: object) -> str:
    try:
        if isinstance(text, str):
            return Level.parse(text).value
    except ValueError:
        pass
    raise errors.invalid_compatibility_level(text)


def _policy(text: object) -> str:
    if isinstance(text, str) and text.strip().upper() in POLICIES:
        return text.strip().upper()
    raise errors.invalid_compatibility_policy(text)


def _non_transitive(level: Level) -> Level:
    return {
        Level.BACKWARD_TRANSITIVE: Level.BACKWARD,
        Level.FORWARD_TRANSITIVE: Level.FORWARD,
        Level.FULL_TRANSITIVE: Level.FULL,
    }.get(level, level)

"""What the gate reads from a registry: a subject's versions with their references, its level,
and whether the local files are registered, each asked once."""

from __future__ import annotations

from functools import cache
from typing import Any

from governance.formats import InvalidSchemaError, ParsedSchema, SchemaFormat
from governance.registry.client import RegistryClient, RegistryClientError, subject_path


class RegistryView:
    def __init__(self, registry: RegistryClient) -> None:
        self.registry = registry
        self.versions = cache(self._versions)
        self.effective_level = cache(self._effective_level)
        self.effective_policy = cache(self._effective_policy)
        self._found: dict[tuple[str, int], dict[str, Any]] = {}

    @property
    def url(self) -> str:
        return self.registry.url

    def subjects(self) -> list[str]:
        return list(self.registry.call("GET", "/subjects"))

    def _versions(self, subject: str) -> tuple[int, ...]:
        """The subject's live version numbers; () when the registry has never seen it."""
        try:
            return tuple(self.registry.call("GET", f"/subjects/{subject_path(subject)}/versions"))
        except RegistryClientError as e:
            if e.status == 404:
                return ()
            raise

    def version(self, subject: str, version: int) -> dict[str, Any] | None:
        """The registered version (`schema`, `references`), or None when the registry has no such version."""
        if (subject, version) not in self._found:
            try:
                self._found[subject, version] = self.registry.call("GET", f"/subjects/{subject_path(subject)}/versions/{version}")
            except RegistryClientError as e:
                if e.status == 404:
                    return None
                raise
        return self._found[subject, version]

    def registered(self, subject: str, body: dict[str, Any]) -> dict[str, Any]:
        """Register a new version; what the registry answered (`id`)."""
        answer = self.registry.call("POST", f"/subjects/{subject_path(subject)}/versions", body)
        self.versions.cache_clear()
        return answer

    def _effective_level(self, subject: str) -> str:
        return self.registry.effective_level(subject)

    def subject_level(self, subject: str) -> str | None:
        return self.registry.subject_level(subject)

    def _effective_policy(self, subject: str) -> str:
        """JSON Schema's `compatibilityPolicy` as the registry applies it to the subject (its own, else the global
        one; STRICT, Confluent's default, when neither is set); `unknown` when the registry will not say."""
        try:
            answer = self.registry.call("GET", f"/config/{subject_path(subject)}?defaultToGlobal=true")
        except RegistryClientError:
            return "unknown"
        return str(answer.get("compatibilityPolicy") or "STRICT").upper() if isinstance(answer, dict) else "unknown"

    def subject_policy(self, subject: str) -> str | None:
        """The policy set on the subject itself (None: it follows the global one)."""
        try:
            answer = self.registry.call("GET", f"/config/{subject_path(subject)}")
        except RegistryClientError as e:
            if e.status == 404:
                return None
            raise
        return answer.get("compatibilityPolicy") if isinstance(answer, dict) else None

    def set_policy(self, subject: str, policy: str) -> None:
        self.registry.call("PUT", f"/config/{subject_path(subject)}", {"compatibilityPolicy": policy})
        self.effective_policy.cache_clear()

    def set_level(self, subject: str, level: str) -> None:
        self.registry.call("PUT", f"/config/{subject_path(subject)}", {"compatibility": level})
        self.effective_level.cache_clear()

    def lookup(self, subject: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """Where `body` (schema and references) is registered (`version`, `id`), or None."""
        try:
            return self.registry.call("POST", f"/subjects/{subject_path(subject)}", body)
        except RegistryClientError as e:
            if e.status == 404:
                return None
            raise

    def reference_texts(self, references: list[dict[str, Any]]) -> dict[str, str]:
        """Reference name -> schema text for registered references, theirs included."""
        out: dict[str, str] = {}
        pending, seen = list(references), set()
        while pending:
            ref = pending.pop()
            key = (ref["subject"], int(ref["version"]))
            if key in seen:
                continue
            seen.add(key)
            answer = self.version(*key)
            if answer is None:
                continue
            out[ref["name"]] = answer["schema"]
            pending += answer.get("references") or []
        return out

    def previous(self, subject: str, transitive: bool, schema_format: SchemaFormat) -> list[tuple[int, ParsedSchema]]:
        """The registered versions a new schema is checked against (all of them, or the latest), parsed
        with the references each was registered with; a version that does not parse, or is of
        another format, is left out."""
        numbers = self.versions(subject)
        out = []
        for number in numbers if transitive else numbers[-1:]:
            answer = self.version(subject, number)
            if answer is None or answer.get("schemaType", "AVRO") != schema_format.schema_type:
                continue
            try:
                out.append((number, schema_format.parse(answer["schema"], self.reference_texts(answer.get("references") or []))))
            except InvalidSchemaError:
                continue
        return out

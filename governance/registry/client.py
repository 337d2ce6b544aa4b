"""The schema registry client: a small JSON client for Confluent's Schema Registry REST API
on urllib. Used by the gate, the sentinel, lineage and the console; it imports nothing of the
registry service (`service.py`, `app.py`), so the CI gate starts fast."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from governance.errors import GovernanceError, Unreachable

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class RegistryClientError(GovernanceError):
    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"registry answered {status}: {message}")
        self.status, self.code = status, code


class RegistryClient:
    def __init__(self, url: str, timeout: float = 15.0,
                 unreachable_hint: str = "check --registry / $GOVERNANCE_REGISTRY_URL, "
                                         "or use --against GIT_REF to check without a server") -> None:
        self.unreachable_hint = unreachable_hint
        parts = urllib.parse.urlsplit(url)
        self.headers = {"Accept": CONTENT_TYPE, "Content-Type": CONTENT_TYPE}
        if parts.username:
            token = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            self.headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
            url = urllib.parse.urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")))
        self.url, self.timeout = url.rstrip("/"), timeout

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as e:
            try:
                payload = json.loads(e.read())
                code, message = payload.get("error_code"), payload.get("message", "")
            except (ValueError, AttributeError):
                code, message = None, e.reason
            raise RegistryClientError(e.code, code, str(message)) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise Unreachable(f"cannot reach the schema registry at {self.url}: {reason}",
                                  hint=self.unreachable_hint) from None

    def subject_level(self, subject: str) -> str | None:
        """The level set on the subject itself (None: it follows the registry's global level)."""
        try:
            answer = self.call("GET", f"/config/{subject_path(subject)}")
        except RegistryClientError as e:
            if e.status == 404:
                return None
            raise
        return answer.get("compatibilityLevel") if isinstance(answer, dict) else None

    def registered_versions(self, subject: str) -> list[dict[str, Any]] | None:
        """The registry's answer for every version of `subject`, soft-deleted ones too (records written
        with them may still arrive), oldest first; None when the subject is not registered."""
        path = f"/subjects/{subject_path(subject)}/versions"
        try:
            versions = self.call("GET", f"{path}?deleted=true")
        except RegistryClientError as e:
            if e.code == 40401:
                return None
            raise
        return [self.call("GET", f"{path}/{version}?deleted=true") for version in versions]

    def effective_level(self, subject: str) -> str:
        """The subject's level as the registry applies it; `unknown` (not a guess) when it will not say."""
        try:
            answer = self.call("GET", f"/config/{subject_path(subject)}?defaultToGlobal=true")
        except RegistryClientError:
            return "unknown"
        level = answer.get("compatibilityLevel") if isinstance(answer, dict) else None
        return str(level) if level else "unknown"

    def answers(self) -> bool:
        """Whether a registry answers here at all (a probe for commands that go on without one)."""
        try:
            self.call("GET", "/subjects")
            return True
        except (GovernanceError, ValueError):
            return False


def subject_path(subject: str) -> str:
    return urllib.parse.quote(subject, safe="")


def references_of(registry: RegistryClient, subject: str, versions: Iterable[str]) -> dict[str, str]:
    """Reference name -> schema text for what these registered versions of `subject` use, references
    of references included (`referenced_texts`)."""
    references: list[Mapping[str, Any]] = []
    for version in versions:
        if version.isdigit():
            answer = registry.call("GET", f"/subjects/{subject_path(subject)}/versions/{version}")
            references += answer.get("references") or []
    return referenced_texts(lambda path: registry.call("GET", path), references)


def referenced_texts(get: Callable[[str], Any], references: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Reference name (an Avro type's full name, a `.proto` import path) -> the schema text it names,
    through references of references, each after the ones it references (fastavro needs them so).
    `get(path)` answers a registry GET; soft-deleted versions still resolve, as in Confluent (a
    version in use as a reference stays readable)."""
    texts: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()

    def visit(level: Iterable[Mapping[str, Any]]) -> None:
        for reference in level:
            key = (str(reference.get("subject")), str(reference.get("version", "latest")))
            if key in seen:
                continue
            seen.add(key)
            answer = get(f"/subjects/{subject_path(key[0])}/versions/{key[1]}?deleted=true")
            visit(answer.get("references") or [])
            if "schema" in answer:
                texts[str(reference.get("name") or f"{key[0]}/{key[1]}")] = answer["schema"]

    visit(references)
    return texts


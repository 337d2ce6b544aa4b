"""`schemas check --registry URL`: each subject through the registry's own compatibility endpoint.

The verdict and messages are the registry's (Confluent, Karapace or ours);
we only read each message's errorType, path and additionalInfo to point at
the field and its line in the local file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from governance.errors import GovernanceError
from governance.gate.findings import GateFinding, Outcome
from governance.gate.inputs import Workspace
from governance.gate.locate import Positions
from governance.gate.parse import Parsed, parse_all
from governance.registry.client import RegistryClient, RegistryClientError, subject_path

_ENTRY = re.compile(r"\{errorType:'([A-Z_]+)', description:'(.*)', additionalInfo:'(.*?)'\}\s*(.*)$", re.S)
_PATH = re.compile(r"path '([^']*)'")
_OLD_VERSION = re.compile(r"^\{oldSchemaVersion: (\d+)\}$")
_SENTENCE_VERSION = re.compile(r"(?:written with|consumers using) version (\d+)")


@dataclass(frozen=True)
class RegistryFinding:
    type: str
    location: str
    info: str
    direction: str
    sentence: str
    version: int | None


def parse_messages(messages: list[str]) -> list[RegistryFinding]:
    """The findings in a verbose compatibility answer, each told by the registry's own sentence when it gives one.

    Confluent's entries are `{key: ...}` strings: `{errorType:'...', description:'...', additionalInfo:'...'}`
    per finding, `{oldSchemaVersion: N}`, `{oldSchema: '...'}`, `{validateFields: ..., compatibility: ...}`.
    Our registry adds one plain sentence per finding, in the errorType entries' order; when the plain
    entries match the findings one for one they are the findings' sentences, else Confluent's description is.
    """
    texts = [m.strip() for m in messages if isinstance(m, str)]
    version = next((int(m.group(1)) for text in texts if (m := _OLD_VERSION.match(text))), None)
    entries = [m.groups() for text in texts if text.startswith("{") and (m := _ENTRY.match(text))]
    plain = [text for text in texts if text and not text.startswith("{")]
    sentences = plain if len(plain) == len(entries) else [glued or description for _, description, _, glued in entries]
    out = []
    for (kind, description, info, _), sentence in zip(entries, sentences):
        path = _PATH.search(description)
        new_at, old_at = description.find(" new "), description.find(" old ")
        direction = "forward" if 0 <= old_at < new_at or (new_at < 0 <= old_at) else "backward"
        own_version = _SENTENCE_VERSION.search(sentence)
        out.append(RegistryFinding(kind, path.group(1) if path else "", info, direction, sentence,
                                   int(own_version.group(1)) if own_version else version))
    return out


def check_against_registry(workspace: Workspace, url: str) -> Outcome:
    registry = RegistryClient(url)
    parsed = parse_all(workspace)
    findings: list[GateFinding] = []
    for subject, local in parsed.items():
        body = request_body(registry, workspace, subject)
        try:
            result = registry.call("POST", f"/compatibility/subjects/{subject_path(subject)}/versions?verbose=true", body)
        except RegistryClientError as e:
            if e.status == 404:
                continue  # a subject the registry has never seen: new, nothing to break
            raise
        if result.get("is_compatible", True):
            continue
        findings += incompatibility_findings(registry, local, subject, result)
    return Outcome(findings, len(parsed), len(parsed), f"registry {registry.url}")


def request_body(registry: RegistryClient, workspace: Workspace, subject: str) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": workspace.texts[subject]}
    refs = workspace.references(subject)
    if refs:
        body["references"] = [
            {"name": r.name, "subject": r.subject,
             "version": r.version or registry.call("GET", f"/subjects/{subject_path(r.subject)}/versions/latest")["version"]}
            for r in refs
        ]
    return body


def incompatibility_findings(registry: RegistryClient, local: Parsed, subject: str,
                             result: dict[str, Any]) -> list[GateFinding]:
    """The findings of a compatibility answer that said no: one per message the registry gave, each
    on its field's line, or one naming the registry's own words when they name no field."""
    level = effective_level(registry, subject)
    messages = result.get("messages") or []
    found = parse_messages(messages)
    if not found:
        return [GateFinding(str(local.path), subject, level, None, "INCOMPATIBLE", "", "", 1,
                            "; ".join(messages or ["the registry says the schema is incompatible"]))]
    return [_located(registry, local, subject, level, f) for f in found]


def effective_level(registry: RegistryClient, subject: str) -> str:
    """The subject's level as the registry applies it; `unknown` (not a guess) when it will not say."""
    try:
        answer = registry.call("GET", f"/config/{subject_path(subject)}?defaultToGlobal=true")
    except RegistryClientError:
        return "unknown"
    level = answer.get("compatibilityLevel") if isinstance(answer, dict) else None
    return str(level) if level else "unknown"


def _located(registry: RegistryClient, local: Parsed, subject: str, level: str, f: RegistryFinding) -> GateFinding:
    # The path is in the reader's schema: the local one going backward, the registered one going forward.
    reader = local.positions
    if f.direction == "forward":
        version = f.version or "latest"
        try:
            old = registry.call("GET", f"/subjects/{subject_path(subject)}/versions/{version}/schema")
        except RegistryClientError as e:
            raise GovernanceError(f"the registry found {subject} incompatible with version {version}, "
                                  f"but would not give that version to locate the finding: {e.message}") from None
        reader = Positions(json.dumps(old, indent=1))
    field_path = reader.pointer_field_path(f.location) or (f.info if f.type == "READER_FIELD_MISSING_DEFAULT_VALUE" else "")
    return GateFinding(str(local.path), subject, level, f.version, f.type, field_path, f.location,
                       local.positions.field_line(field_path), f.sentence, f.direction, detail=f.info)

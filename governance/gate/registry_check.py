"""`schemas check --registry URL`: each subject through the registry's own compatibility endpoint.

The verdict and messages are the registry's (Confluent, Karapace or ours);
we only read each message's errorType, path and additionalInfo to point at
the field and its line in the local file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from governance.errors import GovernanceError
from governance.formats import InvalidSchemaError, ParsedSchema, SchemaFormat
from governance.gate.findings import GateFinding, GateWarning, Outcome
from governance.gate.governed import deleted_in_registry
from governance.gate.parse import Parsed, finding_line
from governance.gate.registry_judge import judge, parse_locals
from governance.gate.registry_view import RegistryView
from governance.registry.client import RegistryClient, RegistryClientError, subject_path
from governance.workspace import Workspace

_ENTRY = re.compile(r"\{errorType:'(?P<type>[A-Z_]+)', description:'(?P<description>.*)', additionalInfo:'(?P<info>.*?)'\}"
                    r"\s*(?P<glued>.*)$", re.S)
"""One of Confluent's finding entries for Avro: `{errorType:'...', description:'...', additionalInfo:'...'}`."""
_PROTOBUF_ENTRY = re.compile(r'\{errorType:"(?P<type>[A-Z_]+)", description:"(?P<description>.*)"\}\s*(?P<glued>.*)$', re.S)
"""Confluent's Protobuf entries: `{errorType:"...", description:"..."}` (double quotes, no additionalInfo)."""
_PATH = re.compile(r"path '([^']*)'")
_OLD_VERSION = re.compile(r"^\{oldSchemaVersion: (\d+)\}$")
_SENTENCE_VERSION = re.compile(r"(?:written with|consumers using|whether|everything) version (\d+)")
_JUDGED_READER = re.compile(r"whether (?:(the new schema)|version \d+) accepts everything")
"""Our sentence for a JSON Schema keyword not compared names the reader; its Confluent-style entry names neither."""


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

    Confluent's entries are `{key: ...}` strings: a finding's (_ENTRY, _PROTOBUF_ENTRY), `{oldSchemaVersion: N}`,
    `{oldSchema: '...'}`, `{validateFields: ..., compatibility: ...}`.
    Our registry adds one plain sentence per finding, in the errorType entries' order; when the plain
    entries match the findings one for one they are the findings' sentences, else Confluent's description is.
    """
    texts = [m.strip() for m in messages if isinstance(m, str)]
    version = next((int(m.group(1)) for text in texts if (m := _OLD_VERSION.match(text))), None)
    entries = [(m["type"], m["description"], m.groupdict().get("info") or "", m["glued"]) for text in texts
               if text.startswith("{") and (m := _ENTRY.match(text) or _PROTOBUF_ENTRY.match(text))]
    plain = [text for text in texts if text and not text.startswith("{")]
    sentences = plain if len(plain) == len(entries) else [glued or description for _, description, _, glued in entries]
    out = []
    for (kind, description, info, _), sentence in zip(entries, sentences):
        path = _PATH.search(description)
        new_at, old_at = description.find(" new "), description.find(" old ")
        direction = "forward" if 0 <= old_at < new_at or (new_at < 0 <= old_at) else "backward"
        if new_at < 0 and old_at < 0 and (reader := _JUDGED_READER.search(sentence)):
            direction = "backward" if reader.group(1) else "forward"
        own_version = _SENTENCE_VERSION.search(sentence)
        out.append(RegistryFinding(kind, path.group(1) if path else "", info, direction, sentence,
                                   int(own_version.group(1)) if own_version else version))
    return out


def check_against_registry(workspace: Workspace, url: str) -> Outcome:
    """Each registered subject at its declared level (see registry_judge); a subject the registry has
    never seen is new and passes; a deleted one the folder governs breaks unless allowed."""
    view = RegistryView(RegistryClient(url))
    parsed = parse_locals(view, workspace)
    findings: list[GateFinding] = []
    warnings: list[GateWarning] = []
    for subject, local in parsed.items():
        if not view.versions(subject):
            continue
        verdict = judge(view, workspace, local)
        findings += verdict.findings
        warnings += verdict.warnings
    deleted, notes = deleted_in_registry(workspace, view.subjects())
    return Outcome(findings + deleted, len(parsed), len(parsed) + len(deleted), f"registry {view.url}",
                   warnings=warnings + notes)


def incompatibility_findings(registry: RegistryClient, local: Parsed, subject: str,
                             result: dict[str, Any]) -> list[GateFinding]:
    """The findings of a compatibility answer that said no: one per message the registry gave, each
    on its field's line, or one naming the registry's own words when they name no field."""
    level = registry.effective_level(subject)
    messages = result.get("messages") or []
    found = parse_messages(messages)
    if not found:
        plain = [m for m in messages if isinstance(m, str) and not m.startswith("{")]
        return [GateFinding(str(local.path), subject, level, None, "INCOMPATIBLE", "", "", 1,
                            "; ".join(plain or messages or ["the registry says the schema is incompatible"]))]
    return [_located(registry, local, subject, level, f) for f in found]


def _located(registry: RegistryClient, local: Parsed, subject: str, level: str, f: RegistryFinding) -> GateFinding:
    # The path is in the reader's schema: the local one going backward, the registered one going forward.
    reader, schema = local.locator, local.schema
    if f.direction == "forward":
        version = f.version or "latest"
        try:
            old = registry.call("GET", f"/subjects/{subject_path(subject)}/versions/{version}")
        except RegistryClientError as e:
            raise GovernanceError(f"the registry found {subject} incompatible with version {version}, "
                                  f"but would not give that version to locate the finding: {e.message}") from None
        reader, schema = local.format.locator(old["schema"]), _parsed(registry, local.format, old)
    field_path = reader.finding_path(f.type, f.location, f.info, schema)
    return GateFinding(str(local.path), subject, level, f.version, f.type, field_path, f.location,
                       finding_line(local, field_path, f.location), f.sentence, f.direction, detail=f.info)


def _parsed(registry: RegistryClient, schema_format: SchemaFormat, registered: dict[str, Any]) -> ParsedSchema | None:
    """A registered version parsed, its references resolved from the registry."""
    try:
        refs = RegistryView(registry).reference_texts(registered.get("references") or [])
        return schema_format.parse(registered["schema"], refs)
    except InvalidSchemaError:
        return None


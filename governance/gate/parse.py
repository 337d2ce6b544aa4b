"""Parsing a subject's schema with its references; bad files become file:line:column errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from governance.formats import InvalidSchemaError, Level, Locator, ParsedSchema, SchemaFormat, format_for
from governance.gate.findings import GateFinding
from governance.workspace import SUBJECTS_FILE, InputError, Reference, Workspace


@dataclass
class Parsed:
    subject: str
    path: Path
    text: str
    schema: ParsedSchema
    format: SchemaFormat

    @cached_property
    def locator(self) -> Locator:
        return self.format.locator(self.text)


Pinned = Callable[[str, Reference], "str | None"]
"""(referencing subject, reference pinned at a version) -> that version's text, None when there is none."""


def resolved_references(workspace: Workspace, subject: str, texts: Mapping[str, str],
                        pinned: Pinned | None = None) -> dict[str, tuple[str, str]]:
    """Reference name -> (subject, schema text), following references of references. A reference pinned
    at a version takes that version's text from `pinned`; the others take `texts`."""
    out: dict[str, tuple[str, str]] = {}
    pending, seen = [(subject, r) for r in workspace.references(subject)], {subject}
    while pending:
        owner, ref = pending.pop()
        if ref.subject in seen:
            continue
        text = pinned(owner, ref) if ref.version and pinned else texts.get(ref.subject)
        if text is None:
            continue
        seen.add(ref.subject)
        out[ref.name] = (ref.subject, text)
        pending += [(ref.subject, r) for r in workspace.references(ref.subject)]
    return out


def reference_texts(workspace: Workspace, subject: str, texts: Mapping[str, str],
                    pinned: Pinned | None = None) -> dict[str, str]:
    """Reference name -> schema text, following references of references."""
    return {name: text for name, (_, text) in resolved_references(workspace, subject, texts, pinned).items()}


def parse_workspace_subject(workspace: Workspace, subject: str, pinned: Pinned | None = None) -> Parsed:
    """The local file, its references taken from the local files (or `pinned` for a pinned version)."""
    text = workspace.texts[subject]
    path = workspace.path(subject)
    schema_format = format_for(workspace.schema_type(subject))
    try:
        schema = schema_format.parse(text, reference_texts(workspace, subject, workspace.texts, pinned))
    except InvalidSchemaError as e:
        if e.line is not None:  # on this file's own line: its reason without the format's `file line N:` prefix
            raise InputError(path, getattr(e, "reason", e.message), e.line, e.column, _hint(workspace, e)) from None
        line, column = schema_format.locator(text).error_position(e)
        raise InputError(path, f"not valid {schema_format.label}: {e.message}", line, column, _hint(workspace, e)) from None
    return Parsed(subject, path, text, schema, schema_format)


def _hint(workspace: Workspace, error: InvalidSchemaError) -> str | None:
    """How to resolve an import that names no file (Protobuf's `import "x.proto"` not found, a JSON Schema's
    `$ref` to a schema that is not there)."""
    if "$ref" in error.message and "cannot be resolved" in error.message:
        return (f"a $ref names a file of {workspace.root} (`\"$ref\": \"address.json\"` is address.json there), a "
                f"place in the schema itself (`#/definitions/...`), or a reference declared in {SUBJECTS_FILE} "
                "(`references: [{name: https://example.com/address.json, subject: address-value}]`)")
    if "import" not in error.message or "not found" not in error.message:
        return None
    return (f"an import names a file of {workspace.root} (`import \"customer.proto\";` is customer.proto there), "
            f"a well-known type (google/protobuf/...), or a reference declared in {SUBJECTS_FILE} "
            "(`references: [{name: common/address.proto, subject: address-value}]`)")


def parse_all(workspace: Workspace, pinned: Pinned | None = None) -> dict[str, Parsed]:
    """Every local subject parsed, referenced subjects first, so that a broken file is reported in itself
    rather than through a subject that references it."""
    parsed: dict[str, Parsed] = {}

    def visit(subject: str, using: frozenset[str]) -> None:
        if subject in parsed or subject in using:
            return
        for ref in workspace.references(subject):
            if ref.subject in workspace.texts:
                visit(ref.subject, using | {subject})
        parsed[subject] = parse_workspace_subject(workspace, subject, pinned)

    for subject in workspace.texts:
        visit(subject, frozenset())
    return {subject: parsed[subject] for subject in workspace.texts}


def schema_from(text: str, workspace: Workspace, subject: str, texts: Mapping[str, str],
                pinned: Pinned | None = None) -> ParsedSchema | None:
    """An old version's schema; None if it never parsed (a broken commit cannot be broken further)."""
    try:
        return format_for(workspace.schema_type(subject)).parse(text, reference_texts(workspace, subject, texts, pinned))
    except InvalidSchemaError:
        return None


def engine_findings(parsed: Parsed, previous: list[tuple[int, ParsedSchema]], level: Level,
                    policy: str | None = None) -> list[GateFinding]:
    """Our engine's findings for the local file against earlier versions, each on its field's line
    (git mode, and registry mode where the registry enforces another level or policy); `policy` is a JSON
    Schema subject's compatibility policy."""
    return [
        GateFinding(str(parsed.path), parsed.subject, level.value, f.version, f.type, f.field_path, f.location,
                    finding_line(parsed, f.field_path, f.location), f.message, f.direction, detail=f.additional_info)
        for f in parsed.format.compatibility(parsed.schema, previous, level, policy)
    ]


def finding_line(parsed: Parsed, field_path: str, location: str) -> int:
    """The line of a finding's field; a JSON Schema finding about no property (`#/additionalProperties`) is on the
    line of its JSON path, which that format's locator takes in place of a field path."""
    if not field_path and parsed.format.schema_type == "JSON":
        return parsed.locator.field_line(location)
    return parsed.locator.field_line(field_path)

"""What a JSON Schema says about itself: its properties as dotted paths with their types (`lines: array<object>`,
`note: string | null`), their `confluent:tags`, and what changed between two versions, one line per difference."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from governance.formats.base import Description
from governance.json_schema.findings import field_path
from governance.json_schema.model import COMBINATORS
from governance.json_schema.paths import properties
from governance.json_schema.schema import Document, JsonSchema

TAGS = "confluent:tags"
"""Where Confluent's JSON Schema support keeps a property's tags."""
_MAX_DEPTH = 16


def describe(schema: JsonSchema | None, text: str) -> Description:
    """`schema` None (a text that does not parse) describes nothing but the text."""
    if schema is None:
        return Description(None, (), {}, text)
    root = schema.document if isinstance(schema.document, dict) else {}
    doc = next((root[k] for k in ("description", "title") if isinstance(root.get(k), str)), None)
    types: dict[str, str] = {}
    tags: dict[str, tuple[str, ...]] = {}
    for path, raw, kind, leaf in walk(schema):
        if isinstance(raw, dict) and isinstance(raw.get(TAGS), list):
            tags[path] = tuple(str(t) for t in raw[TAGS])
        if leaf:
            types[path] = kind
    return Description(doc, tuple(types), tags, json.dumps(schema.document, indent=2, ensure_ascii=False), types,
                       required=frozenset(required_paths(schema)))


def required_paths(schema: JsonSchema) -> set[str]:
    """The dotted paths of properties their object lists in `required` (its own, its `$ref`'s, its `allOf`'s)."""

    def visit(doc: Document, raw: Any, prefix: str, depth: int) -> Iterator[str]:
        names = _required(schema, doc, raw, 0)
        for name, (sub_doc, sub) in properties(schema, doc, raw).items():
            if name in names:
                yield prefix + name
            if depth < _MAX_DEPTH:
                yield from visit(sub_doc, sub, f"{prefix}{name}.", depth + 1)

    return set(visit(schema.main, schema.document, "", 0))


def _required(schema: JsonSchema, doc: Document, raw: Any, depth: int) -> set[str]:
    if not isinstance(raw, dict) or depth > _MAX_DEPTH:
        return set()
    listed = raw.get("required")
    names = {n for n in listed if isinstance(n, str)} if isinstance(listed, list) else set()
    if isinstance(raw.get("$ref"), str):
        target_doc, target, _ = schema.resolve(doc, raw["$ref"])
        names |= _required(schema, target_doc, target, depth + 1)
    for branch in raw.get("allOf") or ():
        names |= _required(schema, doc, branch, depth + 1)
    return names


def walk(schema: JsonSchema) -> Iterator[tuple[str, Any, str, bool]]:
    """(dotted path, the property's schema, its type text, whether it is a leaf) for every property, in order:
    an object that lists properties is walked into (through `$ref`s and combinators) and is not a leaf."""

    def visit(doc: Document, raw: Any, prefix: str, depth: int) -> Iterator[tuple[str, Any, str, bool]]:
        for name, (sub_doc, sub) in properties(schema, doc, raw).items():
            nested = depth < _MAX_DEPTH and bool(properties(schema, sub_doc, sub))
            yield prefix + name, sub, type_text(schema, sub_doc, sub), not nested
            if nested:
                yield from visit(sub_doc, sub, f"{prefix}{name}.", depth + 1)

    yield from visit(schema.main, schema.document, "", 0)


def type_text(schema: JsonSchema, doc: Document, raw: Any, depth: int = 0) -> str:
    """A subschema's type as people read it: `string`, `integer | null`, `array<string>`, `enum`, `any`."""
    if raw is False:
        return "nothing"
    if not isinstance(raw, dict) or depth > _MAX_DEPTH:
        return "any"
    if isinstance(raw.get("$ref"), str):
        target_doc, target, _ = schema.resolve(doc, raw["$ref"])
        return type_text(schema, target_doc, target, depth + 1)
    kinds = raw.get("type")
    names = [kinds] if isinstance(kinds, str) else [k for k in kinds if isinstance(k, str)] if isinstance(kinds, list) else []
    if names:
        return " | ".join(_array(schema, doc, raw, depth) if k == "array" else k for k in names)
    if "enum" in raw or "const" in raw:
        return "enum" if "enum" in raw else "const"
    for criterion in COMBINATORS:
        branches = [b for b in raw.get(criterion) or () if isinstance(b, (dict, bool))]
        if branches:
            texts = dict.fromkeys(type_text(schema, doc, b, depth + 1) for b in branches)
            return (" & " if criterion == "allOf" else " | ").join(texts)
    if "properties" in raw or "additionalProperties" in raw:
        return "object"
    if "items" in raw or "prefixItems" in raw:
        return _array(schema, doc, raw, depth)
    return "any"


def _array(schema: JsonSchema, doc: Document, raw: dict[str, Any], depth: int) -> str:
    items = raw.get("items")
    return f"array<{type_text(schema, doc, items, depth + 1)}>" if isinstance(items, (dict, bool)) else "array"


def diff_lines(differences: list[Any]) -> list[str]:
    """One line per difference (Confluent's SchemaDiff, compatible ones included), `+` added, `-` removed,
    `~` changed: `~ property `name` (#/properties/name/maxLength): max length decreased (20 -> 10)`."""
    lines = []
    for d in differences:
        sign = "+" if d.type.endswith("_ADDED") or "_ADDED_" in d.type else \
            "-" if d.type.endswith("_REMOVED") or "_REMOVED_" in d.type else "~"
        path = field_path(d.path)
        where = f"property `{path}` ({d.path})" if path else d.path
        what = d.type.replace("_", " ").lower()
        if d.keyword:
            what += f" `{d.keyword}`"
        values = f" ({d.old or 'none'} -> {d.new or 'none'})" if d.old or d.new else ""
        lines.append(f"{sign} {where}: {what}{values}")
    return lines

"""Where things are in a JSON Schema: the dotted property paths rules name, and the line of a property or JSON path.

Paths walk object properties (`shipping_address.zip`) through `$ref`s (to definitions or to other
subjects' schemas) and the branches of `allOf`/`anyOf`/`oneOf`, as the sentinel flattens a record:
nested objects become dotted columns, arrays stay one value, and an object that lists no property
but admits any (a map) opens a prefix under which any key may follow. Lines come from the schema
file's own text: a `$ref` is followed when it points into the same file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from governance.json_schema.model import COMBINATORS
from governance.json_schema.schema import Document, JsonSchema
from governance.json_schema.text import split_pointer
from governance.json_positions import JsonArray, JsonObject, Positions

_MAX_DEPTH = 16


@dataclass
class PropertyPaths:
    """The dotted paths of a schema's properties (the same three sets as the format seam's FieldPaths)."""

    paths: set[str] = field(default_factory=set)
    """Every property path, nested objects included."""
    values: set[str] = field(default_factory=set)
    """Paths that hold a value (an object is flattened away; one that may be null is a value when it is)."""
    open_prefixes: set[str] = field(default_factory=set)
    """`path.` prefixes of maps (objects listing no property that admit any): any key may follow."""

    def knows(self, column: str) -> bool:
        return column in self.values or any(column.startswith(p) for p in self.open_prefixes)


def field_paths(schema: JsonSchema) -> PropertyPaths:
    """Every property path of records written with `schema`, and which of them hold values."""
    out = PropertyPaths()
    _walk(schema, schema.main, schema.document, "", out, 0)
    return out


def _walk(schema: JsonSchema, doc: Document, raw: Any, prefix: str, out: PropertyPaths, depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    for name, (sub_doc, sub) in properties(schema, doc, raw).items():
        path = prefix + name
        out.paths.add(path)
        nested = properties(schema, sub_doc, sub)
        kinds = _types(schema, sub_doc, sub)
        if nested:
            _walk(schema, sub_doc, sub, path + ".", out, depth + 1)
        elif "object" in kinds and _admits_any_key(schema, sub_doc, sub):
            out.open_prefixes.add(path + ".")
        if kinds - {"object"}:
            out.values.add(path)


def properties(schema: JsonSchema, doc: Document, raw: Any, seen: frozenset[int] = frozenset()) -> dict[str, tuple[Document, Any]]:
    """The properties an object schema lists, its `$ref` followed and its combinators' branches merged."""
    if not isinstance(raw, dict) or id(raw) in seen:
        return {}
    seen = seen | {id(raw)}
    out: dict[str, tuple[Document, Any]] = {}
    if isinstance(raw.get("$ref"), str):
        target_doc, target, _ = schema.resolve(doc, raw["$ref"])
        out.update(properties(schema, target_doc, target, seen))
    for criterion in COMBINATORS:
        for branch in raw.get(criterion) or ():
            for name, found in properties(schema, doc, branch, seen).items():
                out.setdefault(name, found)
    if isinstance(raw.get("properties"), dict):
        out.update((name, (doc, sub)) for name, sub in raw["properties"].items())
    return out


def _types(schema: JsonSchema, doc: Document, raw: Any, depth: int = 0) -> set[str]:
    """The JSON types a value of `raw` may have, as far as `type` says ("any" when it does not)."""
    if not isinstance(raw, dict) or depth > _MAX_DEPTH:
        return {"any"}
    if isinstance(raw.get("$ref"), str):
        target_doc, target, _ = schema.resolve(doc, raw["$ref"])
        return _types(schema, target_doc, target, depth + 1)
    kinds = raw.get("type")
    if isinstance(kinds, str):
        return {kinds}
    if isinstance(kinds, list):
        return {k for k in kinds if isinstance(k, str)}
    known = [t for t in (_types(schema, doc, b, depth + 1) for b in raw.get("allOf") or ()) if t != {"any"}]
    if known:
        return set.intersection(*known)
    branches = [b for c in ("anyOf", "oneOf") for b in raw.get(c) or ()]
    if branches:
        return set().union(*(_types(schema, doc, b, depth + 1) for b in branches))
    return {"object"} if "properties" in raw or "additionalProperties" in raw else {"any"}


def _admits_any_key(schema: JsonSchema, doc: Document, raw: Any) -> bool:
    if isinstance(raw, dict) and isinstance(raw.get("$ref"), str):
        target_doc, target, _ = schema.resolve(doc, raw["$ref"])
        return _admits_any_key(schema, target_doc, target)
    return isinstance(raw, dict) and raw.get("additionalProperties", True) is not False and not raw.get("properties")


def line_of(text: str, field_path: str) -> int:
    """The line defining the deepest property of `field_path` (`address.zip`) that the file has; 1 if none."""
    positions = Positions(text)
    node, line = positions.tree, getattr(positions.tree, "line", 1)
    for name in field_path.split(".") if field_path else ():
        found = _property(positions.tree, node, name, 0)
        if found is None:
            break
        node, line = found
    return line


def _property(tree: Any, node: Any, name: str, depth: int) -> tuple[Any, int] | None:
    if not isinstance(node, JsonObject) or depth > _MAX_DEPTH:
        return None
    props = node.get("properties")
    if isinstance(props, JsonObject) and name in props:
        return props[name], props.key_lines[name]
    target = _local(tree, node.get("$ref"))
    found = _property(tree, target, name, depth + 1) if target is not None else None
    for criterion in COMBINATORS:
        for branch in node.get(criterion) or ():
            found = found or _property(tree, branch, name, depth + 1)
    return found


def location_line(text: str, location: str) -> int:
    """The line of a finding's JSON path (`#/properties/a/maxLength`), local `$ref`s followed; 1 if none."""
    positions = Positions(text)
    node, line = positions.tree, getattr(positions.tree, "line", 1)
    tokens, hops = split_pointer(location), 0
    while tokens and hops < _MAX_DEPTH:
        token = tokens[0]
        if isinstance(node, JsonObject) and token in node:
            node, line = node[token], node.key_lines[token]
        elif isinstance(node, JsonArray) and token.isdigit() and int(token) < len(node):
            node, line = node[int(token)], node.lines[int(token)]
        elif isinstance(node, JsonObject) and _local(positions.tree, node.get("$ref")) is not None:
            node, hops = _local(positions.tree, node.get("$ref")), hops + 1
            continue
        else:
            break
        tokens = tokens[1:]
    return line


def _local(tree: Any, ref: Any) -> Any:
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return None
    node = tree
    for token in split_pointer(ref):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node

"""The column paths of an Avro schema: the dotted paths `validate.flatten` builds from its records.

A nested record's fields are `outer.inner`, and under a map any key may follow. Read from the
JSON as written (named types resolved by full or short name), not from a validated schema, so
that a sentinel can check its rules against whatever versions the registry holds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from governance.formats.base import FieldPaths

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


def columns(text: str, references: Mapping[str, str] | None = None) -> FieldPaths:
    """The columns of an Avro schema's JSON text, its named types found in the texts of `references`
    too; as lenient as a rule check needs (a text that is not JSON has none, nothing is validated)."""
    types: dict[str, Any] = {}
    for reference in (references or {}).values():
        try:
            _collect_named(json.loads(reference), None, types)
        except ValueError:
            continue
    try:
        schema = json.loads(text)
    except ValueError:
        return FieldPaths()
    _collect_named(schema, None, types)
    out = FieldPaths()
    _walk(schema, "", None, types, out, depth=0)
    return out


def _collect_named(schema: Any, namespace: str | None, types: dict[str, Any]) -> None:
    if isinstance(schema, list):
        for branch in schema:
            _collect_named(branch, namespace, types)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "error", "enum", "fixed") and isinstance(schema.get("name"), str):
            name = schema["name"]
            space = schema.get("namespace", namespace) if "." not in name else name.rsplit(".", 1)[0]
            full = name if "." in name else (f"{space}.{name}" if space else name)
            types[full] = schema
            types.setdefault(full.rsplit(".", 1)[-1], schema)
            namespace = space
        for f in schema.get("fields", ()) if isinstance(schema.get("fields"), list) else ():
            if isinstance(f, dict):
                _collect_named(f.get("type"), namespace, types)
        for key in ("items", "values"):
            if key in schema:
                _collect_named(schema[key], namespace, types)
        if isinstance(kind, (dict, list)):
            _collect_named(kind, namespace, types)


def _resolve(schema: Any, namespace: str | None, types: Mapping[str, Any]) -> Any:
    if isinstance(schema, str) and schema not in _PRIMITIVES:
        qualified = f"{namespace}.{schema}" if namespace and "." not in schema else schema
        return types.get(qualified, types.get(schema, schema))
    if isinstance(schema, dict) and isinstance(schema.get("type"), (dict, list)):
        return _resolve(schema["type"], namespace, types)
    if isinstance(schema, dict) and isinstance(schema.get("type"), str) and schema["type"] not in (
            "record", "error", "enum", "fixed", "array", "map") and schema["type"] not in _PRIMITIVES:
        return _resolve(schema["type"], namespace, types)
    return schema


def _walk(schema: Any, prefix: str, namespace: str | None, types: Mapping[str, Any], out: FieldPaths, depth: int) -> None:
    if depth > 32:  # a recursive type: its deeper levels repeat the same names
        return
    schema = _resolve(schema, namespace, types)
    if not isinstance(schema, dict) or schema.get("type") not in ("record", "error"):
        return
    name = schema.get("name", "")
    namespace = name.rsplit(".", 1)[0] if "." in name else schema.get("namespace", namespace)
    for f in schema.get("fields", ()):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            continue
        path = prefix + f["name"]
        branches = f.get("type")
        branches = branches if isinstance(branches, list) else [branches]
        resolved = [_resolve(b, namespace, types) for b in branches]
        is_record = [isinstance(b, dict) and b.get("type") in ("record", "error") for b in resolved]
        out.paths.add(path)
        if not all(is_record):
            out.values.add(path)
        for branch, record in zip(resolved, is_record):
            if record:
                _walk(branch, path + ".", namespace, types, out, depth + 1)
            elif isinstance(branch, dict) and branch.get("type") == "map":
                out.open_prefixes.add(path + ".")

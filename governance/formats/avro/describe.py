"""What an Avro schema's JSON says about itself (doc, leaf fields, field tags), and the one
document DataHub reads for it. Lenient: read from the JSON as written, nothing validated."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from governance.formats.base import Description, Fetch


def describe(text: str) -> Description:
    try:
        schema = json.loads(text)
    except ValueError:
        return Description(None, (), {}, text)
    doc = schema.get("doc") if isinstance(schema, dict) and isinstance(schema.get("doc"), str) else None
    leaves: list[str] = []
    _leaves(schema, "", leaves, {}, 0)
    return Description(doc, tuple(leaves), _tags(schema), json.dumps(schema, indent=2))


def _tags(schema: object) -> dict[str, tuple[str, ...]]:
    """Dotted field path -> the field's `tags` property (`"tags": ["pii"]`), as DataHub reads them."""
    out: dict[str, tuple[str, ...]] = {}

    def walk(node: object, prefix: str, depth: int) -> None:
        if depth > 16 or not isinstance(node, dict) or node.get("type") not in ("record", "error"):
            return
        for f in node.get("fields", ()):
            if not isinstance(f, dict) or not isinstance(f.get("name"), str):
                continue
            if isinstance(f.get("tags"), list):
                out[prefix + f["name"]] = tuple(str(t) for t in f["tags"])
            for branch in f["type"] if isinstance(f.get("type"), list) else [f.get("type")]:
                walk(branch, f"{prefix}{f['name']}.", depth + 1)

    walk(schema, "", 0)
    return out


def _leaves(schema: object, prefix: str, out: list[str], named: dict[str, object], depth: int) -> None:
    """Dotted paths of a record schema's leaf fields (nested records walked), in order."""
    if depth > 16 or not isinstance(schema, dict) or schema.get("type") not in ("record", "error"):
        return
    if isinstance(schema.get("name"), str):
        named[schema["name"]] = schema
    for f in schema.get("fields", ()):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            continue
        branches = f["type"] if isinstance(f.get("type"), list) else [f.get("type")]
        records = [named.get(b, b) if isinstance(b, str) else b for b in branches]
        records = [r for r in records if isinstance(r, dict) and r.get("type") in ("record", "error")]
        if records:
            for record in records:
                _leaves(record, f"{prefix}{f['name']}.", out, named, depth + 1)
        else:
            out.append(prefix + f["name"])


def datahub_document(text: str, references: Sequence[Mapping[str, Any]], fetch: Fetch) -> str:
    """The schema with each referenced named type defined where it is first used, as DataHub's
    own Kafka source does: DataHub's Avro reader knows nothing of Schema Registry references."""
    if not references:
        return text
    return json.dumps(_inline(json.loads(text), references, fetch, set()))


def _inline(schema: Any, references: Sequence[Mapping[str, Any]], fetch: Fetch, seen: set[str]) -> Any:
    definitions: dict[str, Any] = {}
    for reference in references:
        name, subject = str(reference.get("name")), str(reference.get("subject"))
        if name in seen:
            continue
        seen.add(name)
        answer = fetch(subject, str(reference.get("version", "latest")))
        definitions[name] = _inline(json.loads(answer["schema"]), answer.get("references") or [], fetch, seen)
    pending = dict(definitions)

    def expand(node: Any) -> Any:
        if isinstance(node, str):
            for name in list(pending):
                if node == name or name.endswith("." + node):
                    return pending.pop(name)
            return node
        if isinstance(node, list):
            return [expand(n) for n in node]
        if isinstance(node, dict):
            out = dict(node)
            for key in ("type", "items", "values"):
                if key in out:
                    out[key] = expand(out[key])
            if isinstance(out.get("fields"), list):
                out["fields"] = [expand(f) for f in out["fields"]]
            return out
        return node

    return expand(schema)

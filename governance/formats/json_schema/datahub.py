"""What DataHub reads for a JSON Schema: DataHub's own `JsonSchemaTranslator` fields of one self-contained
document (each referenced subject's schema moved under `definitions`/`$defs` and every `$ref` made local, so
that DataHub's reader, which follows `$ref`s with jsonref, never fetches a URI), each property's
`confluent:tags` on its field, and which field holds each column."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from governance.formats.json_schema.describe import TAGS, walk
from governance.json_schema import drafts
from governance.json_schema.schema import Document, JsonSchema, subschemas
from governance.json_schema.text import join_pointer


def inlined(schema: JsonSchema) -> Any:
    """The schema's document with its references inside it; a schema without references as it is."""
    root = copy.deepcopy(schema.document)
    if not schema.references or not isinstance(root, dict):
        return root
    bucket = "$defs" if schema.draft in (drafts.DRAFT2019, drafts.DRAFT2020) else "definitions"
    held = root.setdefault(bucket, {})
    prefixes = {id(schema.main): "#"}
    copies: list[tuple[Document, Any]] = [(schema.main, root)]
    for name, doc in schema.references.items():
        key = name
        while key in held:
            key += "_"
        body = copy.deepcopy(doc.root)
        if isinstance(body, dict):
            for keyword in ("$schema", "$id", "id"):
                body.pop(keyword, None)
        held[key] = body
        prefixes[id(doc)] = join_pointer((bucket, key))
        copies.append((doc, body))
    for doc, body in copies:
        _localize(schema, doc, body, prefixes, 0)
    return root


def _localize(schema: JsonSchema, doc: Document, node: Any, prefixes: Mapping[int, str], depth: int) -> None:
    if not isinstance(node, dict) or depth > 64:
        return
    if isinstance(node.get("$ref"), str):
        target, _, pointer = schema.resolve(doc, node["$ref"])
        node["$ref"] = prefixes[id(target)] + pointer[1:]
    for _, sub in subschemas(node):
        _localize(schema, doc, sub, prefixes, depth + 1)


def datahub_fields(schema: JsonSchema) -> list[Any]:
    from datahub.ingestion.extractor.json_schema_util import JsonSchemaTranslator

    document = inlined(schema)
    if not isinstance(document, dict):
        document = {} if document is True else {"not": {}}
    fields = list(JsonSchemaTranslator.get_fields_from_schema(document, swallow_exceptions=False))
    _tag(schema, fields)
    return fields


def _tag(schema: JsonSchema, fields: Sequence[Any]) -> None:
    """A property's `confluent:tags` on the field that holds it, as DataHub's Avro reading puts a field's tags."""
    from datahub.emitter.mce_builder import make_tag_urn
    from datahub.metadata.schema_classes import GlobalTagsClass, TagAssociationClass

    tagged = {path: raw[TAGS] for path, raw, _, _ in walk(schema)
              if isinstance(raw, dict) and isinstance(raw.get(TAGS), list)}
    holding = {v2: path for path, v2 in columns(fields).items() if path in tagged}
    for f in fields:
        if f.fieldPath in holding:
            f.globalTags = GlobalTagsClass(tags=[TagAssociationClass(tag=make_tag_urn(str(t)))
                                                 for t in tagged[holding[f.fieldPath]]])


_V2_TOKEN = re.compile(r"\[[^\]]*\]|[^.\[\]]+")


def columns(fields: Sequence[Any]) -> dict[str, str]:
    """Dotted property path (`billing_address.zip`) -> the v2 path of the first field holding it. DataHub names
    each array's items (`lines.[type=object].object`, by the items' title or type) where records and rules
    have no name: what lies inside an array is no column."""
    out: dict[str, str] = {}
    for f in fields:
        names: list[str] = []
        array = inside = False
        for token in _V2_TOKEN.findall(f.fieldPath):
            if token.startswith("["):
                array = array or token == "[type=array]"
            elif inside:
                break
            else:
                names.append(token)
                inside, array = array, False
        else:
            if names:
                out.setdefault(".".join(names), f.fieldPath)
    return out

"""What DataHub reads for a JSON Schema: one self-contained document (each referenced subject's schema moved
under `definitions`/`$defs` and every `$ref` made local, so that DataHub's reader, which follows `$ref`s with
jsonref, never fetches a URI), and DataHub's own `JsonSchemaTranslator` fields of it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from governance.errors import InvalidSchemaError
from governance.formats.base import Fetch, fetched_texts
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


def datahub_document(text: str, references: Sequence[Mapping[str, Any]], fetch: Fetch,
                     parse: Callable[[str, Mapping[str, str]], JsonSchema]) -> str:
    """`text` itself without references; with them, the self-contained document (`text` if it does not parse)."""
    if not references:
        return text
    try:
        return json.dumps(inlined(parse(text, fetched_texts(references, fetch))), ensure_ascii=False)
    except InvalidSchemaError:
        return text


def datahub_fields(schema: JsonSchema) -> list[Any]:
    from datahub.ingestion.extractor.json_schema_util import JsonSchemaTranslator

    document = inlined(schema)
    if not isinstance(document, dict):
        document = {} if document is True else {"not": {}}
    return list(JsonSchemaTranslator.get_fields_from_schema(document, swallow_exceptions=False))

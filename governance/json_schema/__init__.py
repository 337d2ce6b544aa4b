"""The JSON Schema domain: parsing schemas of drafts 4 to 2020-12 with their `$ref` references, canonical text,
Confluent's compatibility rules (strict and lenient policies), field paths and lines, record validation, and
decoding Confluent's JSON wire format body.

Importing the package is free: the standard library only; `jsonschema` (the metaschema check) and
`jsonschema_rs` (record validation) load on first use of the names that need them.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "InvalidJsonSchemaError": "errors", "JsonBodyError": "errors", "JsonSchemaViolation": "errors",
    "JsonSchema": "schema", "parse_schema": "schema",
    "Difference": "findings", "Finding": "findings", "COMPATIBLE": "findings", "STRICT": "findings",
    "LENIENT": "findings", "KEYWORD_NOT_COMPARED": "findings", "policy_of": "findings",
    "schema_diff": "diff", "check_compatibility": "levels", "incompatibilities": "levels",
    "field_paths": "paths", "PropertyPaths": "paths", "line_of": "paths", "location_line": "paths",
    "Validator": "validate", "validator": "validate",
    "decode_body": "wire",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'governance.json_schema' has no attribute {name!r}")
    value = getattr(import_module(f"governance.json_schema.{module}"), name)
    globals()[name] = value
    return value

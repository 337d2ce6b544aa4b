"""Validating records against a JSON Schema, with jsonschema-rs.

Chosen by measurement (tests/json_schema/measure_validators.py: a 13-property order record with a
nested object and an array, json.loads included; three runs on a shared 2-core "Intel(R) Xeon(R)
Processor", load 5-7, so ranges): jsonschema-rs 0.60 62,000-136,000 valid and 41,000-79,000 invalid
records/s, fastjsonschema 2.22 46,000-72,000 / 23,000-61,000, jsonschema 4.26 4,000-6,300 /
1,600-2,900. jsonschema-rs was the fastest in every run and is the only fast one that serves drafts
2019-09 and 2020-12 (fastjsonschema stops at draft 7).

The validator is built for the schema's own draft (jsonschema-rs's `validator_for` would take
2020-12 for a schema without `$schema`; Confluent takes draft 7). Formats are not asserted, as
Confluent's serializers do not, unless asked. References to other subjects' schemas resolve
from the parsed schema's references, never from the network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from governance.json_schema import drafts
from governance.json_schema.errors import load_library
from governance.json_schema.schema import JsonSchema

_BASE = "https://schemas.governance.invalid/"
"""The base URI of a schema with no `$id`: relative reference names resolve under it."""

_CLASSES = {drafts.DRAFT4: "Draft4Validator", drafts.DRAFT6: "Draft6Validator", drafts.DRAFT7: "Draft7Validator",
            drafts.DRAFT2019: "Draft201909Validator", drafts.DRAFT2020: "Draft202012Validator"}


@dataclass(frozen=True)
class Failure:
    """Why a value is not valid: `path` is the JSON path of the value at fault (`$.lines[0].sku`),
    `reason` the validator's sentence, `keyword` the schema keyword that refused it."""

    path: str
    reason: str
    keyword: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class Validator:
    """A compiled validator for one schema; build it once and call `errors` per record."""

    def __init__(self, schema: JsonSchema, assert_formats: bool = False) -> None:
        jsonschema_rs: Any = load_library("jsonschema_rs", "validating records against a JSON Schema",
                                          "jsonschema-rs>=0.60")
        self.schema = schema
        cls = getattr(jsonschema_rs, _CLASSES[schema.draft])
        self._compiled = cls(schema.document, validate_formats=assert_formats, base_uri=_BASE,
                             retriever=self._retrieve)

    def is_valid(self, value: Any) -> bool:
        return self._compiled.is_valid(value)

    def errors(self, value: Any) -> Failure | None:
        """None when `value` is valid; otherwise the first failure's JSON path and reason."""
        if self._compiled.is_valid(value):
            return None
        error = next(iter(self._compiled.iter_errors(value)))
        keyword = str(error.schema_path[-1]) if error.schema_path else ""
        return Failure(json_path(error.instance_path), error.message, keyword)

    def _retrieve(self, uri: str) -> Any:
        main_id = self.schema.main.id
        wanted = {uri, uri[len(_BASE):] if uri.startswith(_BASE) else uri}
        for doc in self.schema.references.values():
            names = {doc.name, doc.id, urljoin(_BASE, doc.name)} | ({urljoin(main_id, doc.name)} if main_id else set())
            if wanted & (names - {""}):
                return doc.root
        raise ValueError(f"no reference of the schema is named {uri!r}")


def validator(schema: JsonSchema, assert_formats: bool = False) -> Validator:
    return Validator(schema, assert_formats)


def json_path(tokens: Any) -> str:
    """`$.lines[0].sku` for the instance path ["lines", 0, "sku"]."""
    out = "$"
    for token in tokens:
        if isinstance(token, int):
            out += f"[{token}]"
        elif isinstance(token, str) and token.isidentifier():
            out += f".{token}"
        else:
            out += f"[{json.dumps(str(token), ensure_ascii=False)}]"
    return out

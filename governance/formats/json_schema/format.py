"""JSON Schema behind the format seam, on the JSON Schema core (`governance.json_schema`): jsonschema (the
metaschema check) loads on the first parse, jsonschema-rs in `decoder`, acryl-datahub in `datahub_fields`;
importing this costs nothing.

References map a reference name, the URI a `$ref` uses (`address.json`), to the referenced schema's text.
Compatibility takes Confluent's `compatibilityPolicy` (STRICT, the default, or LENIENT).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from governance.formats.base import Description, FieldPaths, Fetch, parsed_or_none
from governance.formats.json_schema import datahub, describe
from governance.formats.json_schema.locate import JsonSchemaLocator

if TYPE_CHECKING:
    from governance.avro import Level
    from governance.json_schema.findings import Finding
    from governance.json_schema.schema import JsonSchema


class JsonSchemaFormat:
    schema_type = "JSON"
    label = "JSON Schema"
    suffixes = (".json",)

    def parse(self, text: str, references: Mapping[str, str] | None = None) -> JsonSchema:
        """InvalidJsonSchemaError (an InvalidSchemaError) with the line, column and reason; one in a referenced
        schema names the reference (`file`) and its line there in the message, its line and column left unset
        (this text's place for it is the `$ref`'s: the locator's `error_position`)."""
        from governance.extras import require

        require("json_schema", "reading JSON Schema files")  # a one-line MissingExtra, in the gate's CI format too
        from governance.json_schema import InvalidJsonSchemaError, parse_schema

        try:
            return parse_schema(text, references)
        except InvalidJsonSchemaError as e:
            if e.file:
                e.line = e.column = None
            elif e.line is not None and e.column is None:
                e.column = JsonSchemaLocator(text).column(e.line, e.pointer)
            raise

    def compatibility(self, new: Any, previous: Sequence[tuple[int, Any]], level: Level,
                      policy: str | None = None) -> list[Finding]:
        """At `level` under Confluent's `policy` (None: STRICT). A finding whose `cannot_judge` is true names a
        keyword the checker does not compare: the change is refused, never passed."""
        from governance.json_schema import check_compatibility

        return check_compatibility(new, previous, level, policy)

    def locator(self, text: str) -> JsonSchemaLocator:
        return JsonSchemaLocator(text)

    def imports(self, text: str) -> tuple[str, ...]:
        """The names the schema's `$ref`s point at outside itself (`customer-address.json#/...` names
        `customer-address.json`), in order, each once; () when the text is not JSON."""
        try:
            tree = json.loads(text)
        except ValueError:
            return ()
        found: dict[str, None] = {}
        pending = [tree]
        while pending:
            node = pending.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and not ref.startswith("#"):
                    found.setdefault(ref.partition("#")[0])
                pending.extend(reversed(list(node.values())))
            elif isinstance(node, list):
                pending.extend(reversed(node))
        return tuple(found)

    def formatted(self, schema: Any, fmt: str) -> str | None:
        """No `?format=` form: the stored (canonical) text is answered."""
        return None

    def diff(self, old_text: str, new_text: str, references: Mapping[str, str] | None = None) -> list[str]:
        from governance.json_schema import schema_diff

        return describe.diff_lines(schema_diff(self.parse(old_text, references), self.parse(new_text, references)))

    def describe(self, text: str, references: Mapping[str, str] | None = None) -> Description:
        return describe.describe(parsed_or_none(self.parse, text, references), text)

    def columns(self, text: str, references: Mapping[str, str] | None = None) -> FieldPaths:
        schema = parsed_or_none(self.parse, text, references)
        if schema is None:
            return FieldPaths()
        from governance.json_schema import field_paths

        found = field_paths(schema)
        return FieldPaths(found.paths, found.values, found.open_prefixes)

    def decoder(self, text: str, references: Mapping[str, str] | None = None) -> Callable[[BinaryIO], Any]:
        """Reads a whole body (UTF-8 JSON) and validates it against the schema (jsonschema-rs, built once).
        JsonBodyError (kind "utf8" or "json") when it is not JSON, JsonSchemaViolation (kind "schema", with the
        JSON path and reason) when the schema refuses it; both are ValueErrors."""
        import jsonschema_rs  # noqa: F401  (missing, the CLI names the json_schema extra)

        from governance.json_schema import JsonSchemaViolation, decode_body, validator

        check = validator(self.parse(text, references))

        def read(body: BinaryIO) -> Any:
            value = decode_body(body.read())
            if not check.is_valid(value):
                failure = check.errors(value)
                if failure is not None:
                    raise JsonSchemaViolation(failure.path, failure.reason, failure.keyword)
            return value

        return read

    def datahub_document(self, text: str, references: Sequence[Mapping[str, Any]], fetch: Fetch) -> str:
        """The schema's own text, as DataHub's Kafka source keeps it (the references are read for the fields)."""
        return text

    def datahub_fields(self, text: str, references: Mapping[str, str] | None = None) -> list[Any]:
        return datahub.datahub_fields(self.parse(text, references))

    def datahub_columns(self, text: str, fields: Sequence[Any], references: Mapping[str, str] | None = None
                        ) -> dict[str, str]:
        """A property path (through `$ref`s and combinators) -> its first field's v2 path; nothing inside an array."""
        return datahub.columns(fields)

"""Avro behind the format seam: the core (`governance.avro`, standard library only) for parsing,
canonical forms and compatibility; fastavro for decoding and acryl-datahub for DataHub's fields,
each imported only by the method that needs it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, BinaryIO

from governance.avro import Level, ParsedSchema, check_compatibility, parse_schema
from governance.avro.findings import Finding
from governance.formats.avro import columns, describe, diff
from governance.formats.avro.locate import AvroLocator
from governance.formats.base import Description, FieldPaths, Fetch


class AvroFormat:
    schema_type = "AVRO"
    label = "Avro"
    suffixes = (".avsc",)

    def parse(self, text: str, references: Mapping[str, str] | None = None) -> ParsedSchema:
        return parse_schema(text, references)

    def compatibility(self, new: Any, previous: Sequence[tuple[int, Any]], level: Level,
                      policy: str | None = None) -> list[Finding]:
        return check_compatibility(new, previous, level)

    def locator(self, text: str) -> AvroLocator:
        return AvroLocator(text)

    def imports(self, text: str) -> tuple[str, ...]:
        return ()

    def formatted(self, schema: ParsedSchema, fmt: str) -> str | None:
        """Confluent's `resolved` (references inlined) is not served: the stored text is answered."""
        return None

    def diff(self, old_text: str, new_text: str, references: Mapping[str, str] | None = None) -> list[str]:
        return diff.structural_diff(old_text, new_text, references)

    def describe(self, text: str, references: Mapping[str, str] | None = None) -> Description:
        """Read from the JSON as written: a referenced type's fields are not walked."""
        return describe.describe(text)

    def columns(self, text: str, references: Mapping[str, str] | None = None) -> FieldPaths:
        return columns.columns(text, references)

    def decoder(self, text: str, references: Mapping[str, str] | None = None) -> Callable[[BinaryIO], Any]:
        import json
        from functools import partial

        import fastavro

        named: dict[str, Any] = {}
        for reference in (references or {}).values():
            fastavro.parse_schema(json.loads(reference), named_schemas=named)
        return partial(fastavro.schemaless_reader, writer_schema=fastavro.parse_schema(json.loads(text), named_schemas=named),
                       reader_schema=None)

    def datahub_document(self, text: str, references: Sequence[Mapping[str, Any]], fetch: Fetch) -> str:
        return describe.datahub_document(text, references, fetch)

    def datahub_fields(self, text: str, references: Mapping[str, str] | None = None) -> list[Any]:
        """`text` with its references inlined (datahub_document): DataHub's reader knows no references."""
        from datahub.ingestion.extractor.schema_util import avro_schema_to_mce_fields

        return list(avro_schema_to_mce_fields(text, schema_tags_field="tags", tag_prefix="", swallow_exceptions=False))

    def datahub_columns(self, text: str, fields: Sequence[Any], references: Mapping[str, str] | None = None
                        ) -> dict[str, str]:
        """An Avro column is the simple path of its v2 path (the first field with it, as DataHub's GX plugin finds it)."""
        from datahub.utilities.urns.field_paths import get_simple_field_path_from_v2_field_path

        out: dict[str, str] = {}
        for f in fields:
            out.setdefault(get_simple_field_path_from_v2_field_path(f.fieldPath), f.fieldPath)
        return out

"""Protobuf behind the format seam, on the Protobuf core (`governance.protobuf`): protobuf and
grpcio-tools load on the first parse, acryl-datahub in `datahub_fields`; importing this costs nothing.

References map an import path (`common/address.proto`) to the imported file's text or base64
descriptor; the well-known types (`google/protobuf/*.proto`) resolve without one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, BinaryIO

from governance.formats.base import Description, FieldPaths, Fetch, parsed_or_none
from governance.formats.protobuf import describe, fields
from governance.formats.protobuf.locate import ProtobufLocator, ProtoText

if TYPE_CHECKING:
    from governance.avro import Level
    from governance.protobuf.findings import Finding
    from governance.protobuf.schema import ProtoSchema

FILE_NAME = "schema.proto"
"""The name of a schema's own file when given as text (a descriptor carries its own)."""
WELL_KNOWN = "google/protobuf/"
"""Where the well-known types' files are: they resolve without a reference."""


class ProtobufFormat:
    schema_type = "PROTOBUF"
    label = "Protobuf"
    suffixes = (".proto",)

    def parse(self, text: str, references: Mapping[str, str] | None = None) -> ProtoSchema:
        """InvalidProtoError (an InvalidSchemaError) with the file, line and reason; an error inside an
        imported file keeps its file in the message, its line is the import's (error_position)."""
        _require_libraries()
        from governance.protobuf import InvalidProtoError, parse_schema

        try:
            return parse_schema(text, FILE_NAME, references)
        except InvalidProtoError as e:
            if e.file not in (FILE_NAME, ""):
                e.line = e.column = None  # the message names the file and line; this file's line is the import's
            raise

    def compatibility(self, new: Any, previous: Sequence[tuple[int, Any]], level: Level,
                      policy: str | None = None) -> list[Finding]:
        from governance.protobuf import check_compatibility

        return check_compatibility(new, previous, level)

    def locator(self, text: str) -> ProtobufLocator:
        return ProtobufLocator(text)

    def imports(self, text: str) -> tuple[str, ...]:
        return tuple(name for name in ProtoText(text).imports if not name.startswith(WELL_KNOWN))

    def formatted(self, schema: Any, fmt: str) -> str | None:
        """`serialized`: the base64 FileDescriptorProto confluent-kafka's serializers ask for."""
        return schema.serialized() if fmt == "serialized" else None

    def diff(self, old_text: str, new_text: str, references: Mapping[str, str] | None = None) -> list[str]:
        return describe.diff(self.parse(old_text, references), self.parse(new_text, references))

    def describe(self, text: str, references: Mapping[str, str] | None = None) -> Description:
        return describe.describe(parsed_or_none(self.parse, text, references), text)

    def columns(self, text: str, references: Mapping[str, str] | None = None) -> FieldPaths:
        schema = parsed_or_none(self.parse, text, references)
        if schema is None:
            return FieldPaths()
        return fields.field_paths(list(schema.descriptor.message_types_by_name.values()))

    def decoder(self, text: str, references: Mapping[str, str] | None = None) -> Callable[[BinaryIO], Any]:
        """Reads a whole body (message-index list, then the payload to its end) into a dict of the message
        the list names; ProtobufDecodeError (a ValueError) with its stage ("index" or "payload") otherwise."""
        from governance.protobuf import Decoder

        decoder = Decoder(self.parse(text, references))
        return lambda body: decoder.decode(body.read())[1]

    def datahub_document(self, text: str, references: Sequence[Mapping[str, Any]], fetch: Fetch) -> str:
        return describe.datahub_document(text, references, fetch, self.parse)

    def datahub_fields(self, text: str, references: Mapping[str, str] | None = None) -> list[Any]:
        return describe.datahub_fields(self.parse(text, references))

    def datahub_columns(self, text: str, fields: Sequence[Any], references: Mapping[str, str] | None = None
                        ) -> dict[str, str]:
        schema = parsed_or_none(self.parse, text, references)
        return describe.datahub_columns(schema, fields) if schema is not None else {}


@cache
def _require_libraries() -> None:
    """MissingExtra naming the pip extra when protobuf or grpcio-tools is not installed (checked once)."""
    from governance.extras import require

    require("protobuf", "reading .proto files")

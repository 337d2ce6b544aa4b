"""Schema formats behind one seam: `format_for(schema_type)` answers every "what is this schema"
question (base.SchemaFormat): Avro, Protobuf and JSON Schema; another format joins by adding a
module and a line to `_FORMATS`.

Cheap to import (the gate starts through it): a format imports its heavy libraries (fastavro,
protobuf, grpcio-tools, jsonschema, jsonschema-rs, acryl-datahub) inside the methods that need them.
"""

from __future__ import annotations

from governance.avro import Level
from governance.compat import BACKWARD, FORWARD
from governance.errors import InvalidSchemaError
from governance.formats.avro import AVRO
from governance.formats.base import (
    Description,
    FieldPaths,
    Finding,
    Locator,
    ParsedSchema,
    POLICIES,
    SchemaFormat,
    UnsupportedSchemaType,
)
from governance.formats.json_schema import JSON_SCHEMA
from governance.formats.protobuf import PROTOBUF

DEFAULT_TYPE = "AVRO"
"""What a schema is when nothing says (Confluent: a missing `schemaType` is AVRO)."""

_FORMATS: dict[str, SchemaFormat] = {f.schema_type: f for f in (AVRO, PROTOBUF, JSON_SCHEMA)}

SCHEMA_TYPES: tuple[str, ...] = tuple(_FORMATS)
"""The schema types served, in Confluent's names (`GET /schemas/types`)."""


def format_for(schema_type: str | None = None) -> SchemaFormat:
    """The format of Confluent's `schemaType` (AVRO when None or empty); UnsupportedSchemaType otherwise."""
    found = _FORMATS.get(schema_type or DEFAULT_TYPE)
    if found is None:
        raise UnsupportedSchemaType(schema_type, SCHEMA_TYPES)
    return found


def suffixes() -> dict[str, str]:
    """File suffix -> the schema type whose files carry it (`.avsc` -> AVRO), for schemas/."""
    return {suffix: f.schema_type for f in _FORMATS.values() for suffix in f.suffixes}


__all__ = [
    "BACKWARD",
    "DEFAULT_TYPE",
    "FORWARD",
    "SCHEMA_TYPES",
    "Description",
    "FieldPaths",
    "Finding",
    "InvalidSchemaError",
    "Level",
    "Locator",
    "POLICIES",
    "ParsedSchema",
    "SchemaFormat",
    "UnsupportedSchemaType",
    "format_for",
    "suffixes",
]


DIFFERENT_SCHEMA_TYPE = "Incompatible because of different schema type"


def different_type_messages(version: int, old_type: str, new_type: str, level: str) -> list[str]:
    """A schema of another type than a version it is checked against: Confluent's SchemaValidatorBuilder
    answers its one plain entry for that version (at every level but NONE); ours says which types."""
    return [f"version {version} is {old_type} and this schema is {new_type}: a subject's versions are "
            f"checked only against versions of their own type, so set the subject's compatibility to NONE to "
            f"change its type", DIFFERENT_SCHEMA_TYPE, f"{{validateFields: 'false', compatibility: '{level}'}}"]

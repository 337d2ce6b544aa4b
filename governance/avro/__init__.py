"""The Avro domain: parsing and validating schemas, their canonical forms, and compatibility.

Pure standard library, so importing it is cheap for the CLI and the registry.
"""

from governance.avro.compatibility import reader_writer_findings
from governance.errors import InvalidSchemaError
from governance.avro.findings import Finding
from governance.avro.levels import Level, check_compatibility
from governance.avro.schema import ParsedSchema, parse_schema

__all__ = [
    "Finding",
    "InvalidSchemaError",
    "Level",
    "ParsedSchema",
    "check_compatibility",
    "parse_schema",
    "reader_writer_findings",
]

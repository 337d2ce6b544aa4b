"""The Protobuf domain: parsing `.proto` text and serialized descriptors, canonical text, Confluent's
compatibility rules, field paths and lines, and decoding Confluent's Protobuf wire format.

Importing the package is free: protobuf and grpcio-tools load on first use of
a name below, so the CI gate pays nothing when a repository has no `.proto`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "InvalidProtoError": "errors", "ProtobufDecodeError": "errors",
    "ProtoSchema": "schema", "parse_schema": "schema", "same_schema": "schema", "is_descriptor_text": "schema",
    "Difference": "findings", "Finding": "findings", "COMPATIBLE": "findings",
    "compare": "diff", "check_compatibility": "levels",
    "messages": "paths", "default_message": "paths", "find_message": "paths", "field_paths": "paths", "field_at": "paths", "line_of": "paths",
    "Decoder": "wire", "read_indexes": "wire", "encode_indexes": "wire",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'governance.protobuf' has no attribute {name!r}")
    value = getattr(import_module(f"governance.protobuf.{module}"), name)
    globals()[name] = value
    return value

"""Where things are in a Protobuf schema: the dotted field paths rules name, and the line of a message or field.

Paths walk singular message fields (`shipping_address.zip`) and stop at
scalars, enums, repeated fields, maps and the well-known types
(`google.protobuf.Timestamp` is one value to a rule, as the decoder gives it).
Lines come from protoc's source positions, computed once per schema on first
use: only the CI gate shows them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from google.protobuf import descriptor_pb2

from governance.protobuf import compiler

if TYPE_CHECKING:
    from governance.protobuf.schema import ProtoSchema

F = descriptor_pb2.FieldDescriptorProto
_MAX_DEPTH = 16
_MESSAGE_TYPE, _NESTED_TYPE, _FIELD = 4, 3, 2


def messages(schema: ProtoSchema) -> list[str]:
    """Full names of the file's messages, top-level and nested, in file order (map entries left out)."""
    out: list[str] = []

    def walk(scope: str, types: list[descriptor_pb2.DescriptorProto]) -> None:
        for msg in types:
            if msg.options.map_entry:
                continue
            full = f"{scope}.{msg.name}" if scope else msg.name
            out.append(full)
            walk(full, list(msg.nested_type))

    walk(schema.package, list(schema.file.message_type))
    return out


def default_message(schema: ProtoSchema) -> str:
    """The message a schema stands for when none is named: the first top-level one, as in Confluent."""
    names = messages(schema)
    if not names:
        raise ValueError(f"{schema.name} defines no message")
    return names[0]


def find_message(schema: ProtoSchema, message: str | None = None) -> Any:
    """The runtime descriptor of `message` (full name; default: the first top-level message).

    ValueError naming the file's messages when it has no such message.
    """
    name = message or default_message(schema)
    try:
        return schema.pool.FindMessageTypeByName(name)
    except KeyError:
        from governance.errors import did_you_mean

        known = messages(schema)
        raise ValueError(f"{schema.name} has no message {name!r}: it has {', '.join(known) or 'none'}"
                         f"{did_you_mean(name, known)}") from None


def field_paths(schema: ProtoSchema, message: str | None = None) -> list[str]:
    """Dotted paths of the leaf fields of `message` (default: the first top-level message), in field order."""
    pool_msg = find_message(schema, message)
    out: list[str] = []

    def walk(desc: object, prefix: str, busy: frozenset[str], depth: int) -> None:
        for f in desc.fields:  # type: ignore[attr-defined]
            path = prefix + f.name
            target = f.message_type
            if (target is None or f.is_repeated or target.full_name.startswith("google.protobuf.")
                    or target.full_name in busy or depth >= _MAX_DEPTH):
                out.append(path)
            else:
                walk(target, path + ".", busy | {target.full_name}, depth + 1)

    walk(pool_msg, "", frozenset({pool_msg.full_name}), 0)
    return out


def field_at(schema: ProtoSchema, path: str, message: str | None = None) -> tuple[str, int] | None:
    """(message full name, field number) of the last step of a dotted path, or None when no field has that path."""
    desc = find_message(schema, message)
    steps = path.split(".")
    for i, step in enumerate(steps):
        f = desc.fields_by_name.get(step)
        if f is None:
            return None
        if i == len(steps) - 1:
            return desc.full_name, f.number
        if f.message_type is None:
            return None
        desc = f.message_type
    return None


def line_of(schema: ProtoSchema, message: str, number: int | None = None) -> int | None:
    """1-based line of field `number` of `message` (full name) in the schema's text, or of the message itself.

    None when the message or field is not in the schema's own file. For a
    schema given as a descriptor, lines are those of its canonical text.
    """
    return _lines(schema).get((message, number))


@lru_cache(maxsize=64)
def _lines(schema: ProtoSchema) -> dict[tuple[str, int | None], int]:
    paths: dict[tuple[int, ...], tuple[str, int | None]] = {}

    def walk(scope: str, types: list[descriptor_pb2.DescriptorProto], prefix: tuple[int, ...]) -> None:
        for i, msg in enumerate(types):
            full = f"{scope}.{msg.name}" if scope else msg.name
            here = (*prefix, i)
            paths[here] = (full, None)
            for j, f in enumerate(msg.field):
                paths[(*here, _FIELD, j)] = (full, f.number)
            walk(full, list(msg.nested_type), (*here, _NESTED_TYPE))

    walk(schema.package, list(schema.file.message_type), (_MESSAGE_TYPE,))
    info = compiler.source_info(schema.sources(), schema.name)
    out: dict[tuple[str, int | None], int] = {}
    for location in info.location:
        key = paths.get(tuple(location.path))
        if key is not None and key not in out:
            out[key] = location.span[0] + 1
    return out

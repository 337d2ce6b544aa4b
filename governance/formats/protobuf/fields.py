"""The fields of a parsed Protobuf schema as rules and people name them: dotted paths from a message
(`shipping_address.zip`), each with its type as `.proto` spells it (`repeated string`, `map<string, int32>`).

Singular message fields are walked into; repeated fields, maps, the well-known types
(`google.protobuf.Timestamp` is one value, as the decoder gives it) and a message met again
(recursion) are leaves.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from governance.formats.base import FieldPaths

_MAX_DEPTH = 16


def type_name(f: Any) -> str:
    """A runtime FieldDescriptor's type as `.proto` text writes it."""
    if f.message_type is not None and f.message_type.GetOptions().map_entry:
        key, value = f.message_type.fields_by_name["key"], f.message_type.fields_by_name["value"]
        return f"map<{_single(key)}, {_single(value)}>"
    return f"repeated {_single(f)}" if f.is_repeated else _single(f)


def _single(f: Any) -> str:
    from governance.protobuf.printer import scalar_name

    if f.message_type is not None:
        return f.message_type.full_name
    if f.enum_type is not None:
        return f.enum_type.full_name
    return scalar_name(f.type) or "group"


def _is_map(f: Any) -> bool:
    return f.message_type is not None and f.message_type.GetOptions().map_entry


def walk(message: Any) -> Iterator[tuple[str, Any, bool]]:
    """(path, field, is_leaf) for every field reachable from `message`, in field order, depth first."""

    def visit(desc: Any, prefix: str, busy: frozenset[str], depth: int) -> Iterator[tuple[str, Any, bool]]:
        for f in desc.fields:
            path = prefix + f.name
            target = f.message_type
            leaf = (target is None or f.is_repeated or target.full_name.startswith("google.protobuf.")
                    or target.full_name in busy or depth >= _MAX_DEPTH)
            yield path, f, leaf
            if not leaf:
                yield from visit(target, path + ".", busy | {target.full_name}, depth + 1)

    yield from visit(message, "", frozenset({message.full_name}), 0)


def field_paths(messages: list[Any]) -> FieldPaths:
    """The columns records of any of `messages` can have: a message field is a column too (it is None when
    absent, as the decoder gives it), and under a map any key may follow."""
    out = FieldPaths()
    for message in messages:
        for path, f, _ in walk(message):
            out.paths.add(path)
            out.values.add(path)
            if _is_map(f):
                out.open_prefixes.add(path + ".")
    return out

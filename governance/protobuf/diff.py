"""The differences between two Protobuf schemas, as Confluent's `SchemaDiff` finds them.

A port of io.confluent.kafka.schemaregistry.protobuf.diff (SchemaDiff,
MessageSchemaDiff, FieldSchemaDiff, OneOfDiff, EnumSchemaDiff) onto
descriptors: messages and enums are matched by name level by level, fields
by number, oneofs by name, enum constants by number; the difference types and
paths (`#/Order/2`, `#/Order/payment`) are Confluent's. `compare(original,
update)` is Confluent's argument order: BACKWARD compares (old, new), FORWARD
(new, old).

Where we knowingly differ: a proto3 field without a label counts as singular
(Confluent's parser gives it no label and so never compares it with
`repeated`, letting `int32 x` -> `repeated int32 x` through, which the wire
does not: repeated numbers are packed). Types imported from another file are
compared field by field when that file differs between the two schemas
(Confluent compares them when the reference's subject or version differs).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from google.protobuf import descriptor_pb2

from governance.protobuf.findings import COMPATIBLE, Difference
from governance.protobuf.printer import scalar_name

if TYPE_CHECKING:
    from governance.protobuf.schema import ProtoSchema

F = descriptor_pb2.FieldDescriptorProto
Message = descriptor_pb2.DescriptorProto

_GROUPS = {
    "int32": "general number", "int64": "general number", "uint32": "general number", "uint64": "general number",
    "bool": "general number", "sint32": "signed number", "sint64": "signed number",
    "string": "string or bytes", "bytes": "string or bytes", "fixed32": "32-bit fixed", "sfixed32": "32-bit fixed",
    "fixed64": "64-bit fixed", "sfixed64": "64-bit fixed", "float": "float", "double": "double",
}


@dataclass(frozen=True)
class _Type:
    """What a field holds, resolved: kind is "scalar" (enums included, as in Confluent), "message" or "map"."""

    kind: str
    name: str  # scalar name, or the full name (no leading dot) of the enum or message
    is_enum: bool = False
    key: _Type | None = None
    value: _Type | None = None

    def describe(self) -> str:
        if self.kind == "map":
            assert self.key is not None and self.value is not None
            return f"map<{self.key.describe()}, {self.value.describe()}>"
        if self.kind == "message":
            return f"message {self.name}"
        return f"enum {self.name}" if self.is_enum else self.name


class _Side:
    """One schema's types by full name, with the package and file that define each."""

    def __init__(self, schema: ProtoSchema) -> None:
        self.schema = schema
        self.types: dict[str, tuple[Any, str, str]] = {}
        for fdp in schema.descriptor_set().file:
            self._collect(fdp.package, fdp.package, fdp.message_type, fdp.enum_type, fdp.name)
        self.files = {f.name: f.SerializeToString(deterministic=True) for f in schema.descriptor_set().file}

    def _collect(self, scope: str, package: str, messages: Iterable[Message],
                 enums: Iterable[descriptor_pb2.EnumDescriptorProto], file: str) -> None:
        for enum in enums:
            self.types[_join(scope, enum.name)] = (enum, package, file)
        for msg in messages:
            full = _join(scope, msg.name)
            self.types[full] = (msg, package, file)
            self._collect(full, package, msg.nested_type, msg.enum_type, file)

    def type_of(self, f: descriptor_pb2.FieldDescriptorProto) -> _Type:
        scalar = scalar_name(f.type)
        if scalar is not None:
            return _Type("scalar", scalar)
        name = f.type_name.lstrip(".")
        found = self.types.get(name)
        proto = found[0] if found else None
        if isinstance(proto, descriptor_pb2.EnumDescriptorProto) or f.type == F.TYPE_ENUM:
            return _Type("scalar", name, is_enum=True)
        if isinstance(proto, Message) and proto.options.map_entry:
            return _Type("map", name, key=self.type_of(proto.field[0]), value=self.type_of(proto.field[1]))
        return _Type("message", name)


def _join(scope: str, name: str) -> str:
    return f"{scope}.{name}" if scope else name


class _Context:
    def __init__(self, original: _Side, update: _Side) -> None:
        self.original, self.update = original, update
        self.diffs: list[Difference] = []
        self._busy: set[str] = set()

    def add(self, type_: str, path: Sequence[str], message: str = "", field: str = "", number: int | None = None,
            **details: str) -> None:
        self.diffs.append(Difference(type_, "#/" + "/".join(path), message, field, number, details))


def compare(original: ProtoSchema, update: ProtoSchema) -> list[Difference]:
    """Every difference from `original` to `update`, compatible or not, in Confluent's order."""
    ctx = _Context(_Side(original), _Side(update))
    a, b = original.file, update.file
    if a.package != b.package:
        ctx.add("PACKAGE_CHANGED", [], old_package=a.package, new_package=b.package)
    _types(ctx, [], a.package, b.package, a.message_type, a.enum_type, b.message_type, b.enum_type)
    return ctx.diffs


def _types(ctx: _Context, path: list[str], scope_a: str, scope_b: str, msgs_a: Sequence[Message],
           enums_a: Sequence[Any], msgs_b: Sequence[Message], enums_b: Sequence[Any]) -> None:
    real_a = [m for m in msgs_a if not m.options.map_entry]
    real_b = [m for m in msgs_b if not m.options.map_entry]
    index_a = {m.name: i for i, m in enumerate(real_a)}
    index_b = {m.name: i for i, m in enumerate(real_b)}
    by_a, by_b = {m.name: m for m in real_a}, {m.name: m for m in real_b}
    for name in _union(index_a, index_b):
        here = [*path, name]
        if name not in by_b:
            ctx.add("MESSAGE_REMOVED", here, message=_join(scope_a, name))
        elif name not in by_a:
            ctx.add("MESSAGE_ADDED", here, message=_join(scope_b, name))
        else:
            _message(ctx, here, _join(scope_a, name), _join(scope_b, name), by_a[name], by_b[name])
            if index_a[name] != index_b[name]:
                ctx.add("MESSAGE_MOVED", here, message=_join(scope_b, name),
                        old_index=str(index_a[name]), new_index=str(index_b[name]))
    enum_a, enum_b = {e.name: e for e in enums_a}, {e.name: e for e in enums_b}
    for name in _union(enum_a, enum_b):
        here = [*path, name]
        if name not in enum_b:
            ctx.add("ENUM_REMOVED", here, message=_join(scope_a, name))
        elif name not in enum_a:
            ctx.add("ENUM_ADDED", here, message=_join(scope_b, name))
        else:
            _enum(ctx, here, _join(scope_b, name), enum_a[name], enum_b[name])


def _union(a: Iterable[Any], b: Iterable[Any]) -> list[Any]:
    seen = list(a)
    return seen + [x for x in b if x not in set(seen)]


def _enum(ctx: _Context, path: list[str], name: str, a: Any, b: Any) -> None:
    va, vb = {v.number: v.name for v in a.value}, {v.number: v.name for v in b.value}
    for number in _union(va, vb):
        here = [*path, str(number)]
        if number not in vb:
            ctx.add("ENUM_CONST_REMOVED", here, message=name, field=va[number], number=number)
        elif number not in va:
            ctx.add("ENUM_CONST_ADDED", here, message=name, field=vb[number], number=number)
        elif va[number] != vb[number]:
            ctx.add("ENUM_CONST_CHANGED", here, message=name, field=vb[number], number=number,
                    old_name=va[number], new_name=vb[number])


def _real_oneofs(msg: Message) -> dict[int, str]:
    """Oneof index -> name, without the synthetic oneofs of proto3 `optional` fields."""
    synthetic = {f.oneof_index for f in msg.field if f.proto3_optional}
    return {i: o.name for i, o in enumerate(msg.oneof_decl) if i not in synthetic}


def _message(ctx: _Context, path: list[str], name_a: str, name_b: str, a: Message, b: Message) -> None:
    if name_a not in ctx._busy:
        ctx._busy.add(name_a)
        try:
            _fields(ctx, path, name_b, a, b)
        finally:
            ctx._busy.discard(name_a)
    _types(ctx, path, name_a, name_b, a.nested_type, a.enum_type, b.nested_type, b.enum_type)


def _fields(ctx: _Context, path: list[str], name: str, a: Message, b: Message) -> None:
    oneofs_a, oneofs_b = _real_oneofs(a), _real_oneofs(b)
    plain_a = {f.number: f for f in a.field if not (f.HasField("oneof_index") and f.oneof_index in oneofs_a)}
    plain_b = {f.number: f for f in b.field if not (f.HasField("oneof_index") and f.oneof_index in oneofs_b)}
    members_a = {o: [f for f in a.field if f.HasField("oneof_index") and f.oneof_index == i] for i, o in oneofs_a.items()}
    members_b = {o: [f for f in b.field if f.HasField("oneof_index") and f.oneof_index == i] for i, o in oneofs_b.items()}
    in_oneof_a = {f.number for fields in members_a.values() for f in fields}
    for oneof, fields in members_b.items():
        moved = [f for f in fields if f.number in plain_a]
        existing = [f for f in fields if f.number not in plain_a and f.number in in_oneof_a]
        for f in moved:
            del plain_a[f.number]  # moved into the oneof: not a removed field
        if len(moved) > 1:
            ctx.add("MULTIPLE_FIELDS_MOVED_TO_ONEOF", [*path, oneof], message=name, oneof=oneof,
                    fields=", ".join(f"`{f.name}` ({f.number})" for f in moved))
        elif len(moved) == 1 and existing:
            ctx.add("FIELD_MOVED_TO_EXISTING_ONEOF", [*path, oneof], message=name, field=moved[0].name,
                    number=moved[0].number, oneof=oneof)
    for oneof in _union(members_a, members_b):
        here = [*path, oneof]
        if oneof not in members_b:
            ctx.add("ONEOF_REMOVED", here, message=name, oneof=oneof)
        elif oneof not in members_a:
            ctx.add("ONEOF_ADDED", here, message=name, oneof=oneof)
        else:
            fa = {f.number: f for f in members_a[oneof]}
            fb = {f.number: f for f in members_b[oneof]}
            for number in _union(fa, fb):
                at = [*here, str(number)]
                if number not in fb:
                    ctx.add("ONEOF_FIELD_REMOVED", at, message=name, field=fa[number].name, number=number, oneof=oneof,
                            **_kept(b, number))
                elif number not in fa:
                    ctx.add("ONEOF_FIELD_ADDED", at, message=name, field=fb[number].name, number=number, oneof=oneof)
                else:
                    _field(ctx, at, name, fa[number], fb[number])
    for number in _union(plain_a, plain_b):
        here = [*path, str(number)]
        if number not in plain_b:
            f = plain_a[number]
            kind = "REQUIRED_FIELD_REMOVED" if f.label == F.LABEL_REQUIRED else "FIELD_REMOVED"
            ctx.add(kind, here, message=name, field=f.name, number=number, **_kept(b, number))
        elif number not in plain_a:
            f = plain_b[number]
            kind = "REQUIRED_FIELD_ADDED" if f.label == F.LABEL_REQUIRED else "FIELD_ADDED"
            ctx.add(kind, here, message=name, field=f.name, number=number)
        else:
            _field(ctx, here, name, plain_a[number], plain_b[number])


def _kept(update: Message, number: int) -> dict[str, str]:
    """`kept` when the updated message still has a field of that number (elsewhere: out of a oneof)."""
    return {"kept": "true"} if any(f.number == number for f in update.field) else {}


def _label(f: descriptor_pb2.FieldDescriptorProto) -> str:
    return {F.LABEL_REPEATED: "repeated", F.LABEL_REQUIRED: "required"}.get(f.label, "singular")


def _field(ctx: _Context, path: list[str], message: str, a: Any, b: Any) -> None:
    if a.name != b.name:
        ctx.add("FIELD_NAME_CHANGED", path, message=message, field=b.name, number=b.number,
                old_name=a.name, new_name=b.name)
    where = {"message": message, "field": b.name, "number": b.number, "old_field": a.name, "new_field": b.name}
    _labels_and_types(ctx, path, where, _label(a), _label(b), ctx.original.type_of(a), ctx.update.type_of(b))


def _labels_and_types(ctx: _Context, path: list[str], where: dict[str, Any], label_a: str | None,
                      label_b: str | None, ta: _Type, tb: _Type) -> None:
    types = {"old_type": ta.describe(), "new_type": tb.describe()}
    if ta.kind != tb.kind:
        ctx.add("FIELD_KIND_CHANGED", path, **where, **types)
    elif ta.kind == "scalar":
        group_a = "general number" if ta.is_enum else _GROUPS[ta.name]
        group_b = "general number" if tb.is_enum else _GROUPS[tb.name]
        if group_a != group_b:
            ctx.add("FIELD_SCALAR_KIND_CHANGED", path, **where, **types)
        elif label_a is not None and label_b is not None and label_a != label_b:
            kind = "FIELD_STRING_OR_BYTES_LABEL_CHANGED" if group_a == "string or bytes" else "FIELD_NUMERIC_LABEL_CHANGED"
            ctx.add(kind, path, **where, old_label=label_a, new_label=label_b, **types)
    elif ta.kind == "message":
        _message_types(ctx, path, where, ta, tb)
    else:
        assert ta.key and tb.key and ta.value and tb.value
        _labels_and_types(ctx, path, {**where, "part": "keys"}, None, None, ta.key, tb.key)
        _labels_and_types(ctx, path, {**where, "part": "values"}, None, None, ta.value, tb.value)


def _message_types(ctx: _Context, path: list[str], where: dict[str, Any], ta: _Type, tb: _Type) -> None:
    """Confluent compares message types by their name within their package, then, when one of them comes
    from another file that changed, field by field (paths relative to that type)."""
    found_a, found_b = ctx.original.types.get(ta.name), ctx.update.types.get(tb.name)
    types = {"old_type": ta.describe(), "new_type": tb.describe()}
    if found_a is None or found_b is None:
        if ta.name != tb.name:
            ctx.add("FIELD_NAMED_TYPE_CHANGED", path, **where, **types)
        return
    (msg_a, package_a, file_a), (msg_b, package_b, file_b) = found_a, found_b
    local_a, local_b = _local(ta.name, package_a), _local(tb.name, package_b)
    if local_a != local_b:
        ctx.add("FIELD_NAMED_TYPE_CHANGED", path, **where, **types)
        return
    main_a, main_b = ctx.original.schema.name, ctx.update.schema.name
    if file_a == main_a and file_b == main_b:
        return  # both in the schema's own file: compared where they are declared
    if ctx.original.files.get(file_a) == ctx.update.files.get(file_b):
        return
    sub = _Context(ctx.original, ctx.update)
    sub._busy = set(ctx._busy)
    _message(sub, local_a.split("."), ta.name, tb.name, msg_a, msg_b)
    ctx.diffs += sub.diffs
    if any(d.type not in COMPATIBLE for d in sub.diffs):
        ctx.add("FIELD_NAMED_TYPE_CHANGED", path, **where, **types)


def _local(full: str, package: str) -> str:
    return full[len(package) + 1:] if package and full.startswith(package + ".") else full

"""Canonical `.proto` text printed from a `FileDescriptorProto`.

The text is a function of the descriptor alone, so a schema registered as
text and the same schema registered as a serialized descriptor print alike
(what `GET /schemas/ids/{id}` answers, and what identity is computed from).
Choices: types are fully qualified with a leading dot; json_name is printed
only where it differs from protoc's default; within a message, enums come
first, then fields and nested messages in the order that makes protoc build
the same `nested_type` list again (map entries are generated where their map
field is declared, and message indexes on the wire count them); then
reserved ranges and names, extension ranges and extend blocks. Custom options
whose extension is not known to the runtime are not printed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from google.protobuf import descriptor_pb2, text_encoding, text_format

F = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    F.TYPE_DOUBLE: "double", F.TYPE_FLOAT: "float", F.TYPE_INT64: "int64", F.TYPE_UINT64: "uint64",
    F.TYPE_INT32: "int32", F.TYPE_FIXED64: "fixed64", F.TYPE_FIXED32: "fixed32", F.TYPE_BOOL: "bool",
    F.TYPE_STRING: "string", F.TYPE_BYTES: "bytes", F.TYPE_UINT32: "uint32", F.TYPE_SFIXED32: "sfixed32",
    F.TYPE_SFIXED64: "sfixed64", F.TYPE_SINT32: "sint32", F.TYPE_SINT64: "sint64",
}
_FIELD_MAX = 1 << 29
_ENUM_MAX = (1 << 31) - 1
_INDENT = "  "


def scalar_name(field_type: int) -> str | None:
    return _SCALARS.get(field_type)


def default_json_name(name: str) -> str:
    """protoc's json_name for a field name: underscores dropped, the letter after each capitalised."""
    out, upper = [], False
    for ch in name:
        if ch == "_":
            upper = True
        elif upper:
            out.append(ch.upper())
            upper = False
        else:
            out.append(ch)
    return "".join(out)


def print_file(fdp: descriptor_pb2.FileDescriptorProto) -> str:
    """The canonical text of one file."""
    out: list[str] = []
    if fdp.syntax == "editions":
        out.append(f'edition = "{descriptor_pb2.Edition.Name(fdp.edition).removeprefix("EDITION_")}";')
    else:
        out.append(f'syntax = "{fdp.syntax or "proto2"}";')
    if fdp.package:
        out.append(f"package {fdp.package};")
    public, weak = set(fdp.public_dependency), set(fdp.weak_dependency)
    if fdp.dependency:
        out.append("")
    for i, dep in enumerate(fdp.dependency):
        kind = "public " if i in public else "weak " if i in weak else ""
        out.append(f'import {kind}"{dep}";')
    options = _options(fdp.options)
    if options:
        out.append("")
        out += [f"option {o};" for o in options]
    syntax = fdp.syntax or "proto2"
    for enum in fdp.enum_type:
        out += [""] + _enum(enum, 0)
    for message in fdp.message_type:
        out += [""] + _message(message, syntax, 0)
    out += _extends(fdp.extension, syntax, 0, leading_blank=True)
    for service in fdp.service:
        out += [""] + _service(service)
    return "\n".join(out) + "\n"


def _message(msg: descriptor_pb2.DescriptorProto, syntax: str, depth: int,
             keyword: str = "message", header: str | None = None) -> list[str]:
    pad = _INDENT * (depth + 1)
    body: list[str] = [f"{pad}option {o};" for o in _options(msg.options)]
    for enum in msg.enum_type:
        body += _enum(enum, depth + 1)
    nested = {f".{n.name}": n for n in msg.nested_type}
    inline = _inline_types(msg)  # nested types printed with their field: map entries, groups
    fields = list(_field_units(msg))
    done = 0
    for n in msg.nested_type:
        owner = inline.get(n.name)
        if owner is None:
            body += _message(n, syntax, depth + 1)
            continue
        while done < len(fields):
            unit = fields[done]
            done += 1
            body += _unit(unit, msg, nested, syntax, depth + 1)
            if owner in unit:
                break
    for unit in fields[done:]:
        body += _unit(unit, msg, nested, syntax, depth + 1)
    body += _reserved(msg.reserved_range, msg.reserved_name, _FIELD_MAX, exclusive=True, pad=pad)
    if msg.extension_range:
        ranges = [_range(r.start, r.end - 1, _FIELD_MAX - 1) for r in msg.extension_range]
        body.append(f"{pad}extensions {', '.join(ranges)};")
    body += _extends(msg.extension, syntax, depth + 1, leading_blank=False)
    start = header if header is not None else f"{_INDENT * depth}{keyword} {msg.name} {{"
    return [start, *body, f"{_INDENT * depth}}}"]


def _inline_types(msg: descriptor_pb2.DescriptorProto) -> dict[str, int]:
    """Nested type name -> index of the field that declares it (map entries and groups)."""
    out: dict[str, int] = {}
    entries = {n.name for n in msg.nested_type if n.options.map_entry}
    groups = {n.name for n in msg.nested_type}
    for i, f in enumerate(msg.field):
        short = f.type_name.rsplit(".", 1)[-1]
        if f.type == F.TYPE_MESSAGE and short in entries and f.label == F.LABEL_REPEATED:
            out[short] = i
        elif f.type == F.TYPE_GROUP and short in groups:
            out[short] = i
    return out


def _field_units(msg: descriptor_pb2.DescriptorProto) -> Iterable[tuple[int, ...]]:
    """Field indexes, grouped: a real oneof's fields form one unit, printed where its first field is."""
    real = {f.oneof_index for f in msg.field if f.HasField("oneof_index") and not f.proto3_optional}
    seen: set[int] = set()
    for i, f in enumerate(msg.field):
        if f.HasField("oneof_index") and f.oneof_index in real:
            if f.oneof_index in seen:
                continue
            seen.add(f.oneof_index)
            yield tuple(j for j, g in enumerate(msg.field) if g.HasField("oneof_index") and g.oneof_index == f.oneof_index)
        else:
            yield (i,)


def _unit(unit: tuple[int, ...], msg: descriptor_pb2.DescriptorProto, nested: dict[str, Any], syntax: str,
          depth: int) -> list[str]:
    first = msg.field[unit[0]]
    if first.HasField("oneof_index") and not first.proto3_optional:
        oneof = msg.oneof_decl[first.oneof_index]
        pad = _INDENT * depth
        lines = [f"{pad}oneof {oneof.name} {{"]
        lines += [f"{pad}{_INDENT}option {o};" for o in _options(oneof.options)]
        for i in unit:
            lines += _field(msg.field[i], msg, nested, syntax, depth + 1, in_oneof=True)
        return lines + [f"{pad}}}"]
    return _field(first, msg, nested, syntax, depth, in_oneof=False)


def _field(f: descriptor_pb2.FieldDescriptorProto, msg: descriptor_pb2.DescriptorProto | None,
           nested: dict[str, Any], syntax: str, depth: int, in_oneof: bool) -> list[str]:
    pad = _INDENT * depth
    short = "." + f.type_name.rsplit(".", 1)[-1]
    entry = nested.get(short) if msg is not None else None
    attrs = _field_attrs(f)
    suffix = f" [{', '.join(attrs)}]" if attrs else ""
    if entry is not None and entry.options.map_entry and f.label == F.LABEL_REPEATED:
        key, value = entry.field[0], entry.field[1]
        return [f"{pad}map<{type_of(key)}, {type_of(value)}> {f.name} = {f.number}{suffix};"]
    label = "" if in_oneof else _label(f, syntax)
    if f.type == F.TYPE_GROUP and entry is not None:
        header = f"{pad}{label}group {entry.name} = {f.number}{suffix} {{"
        return _message(entry, syntax, depth, header=header)
    return [f"{pad}{label}{type_of(f)} {f.name} = {f.number}{suffix};"]


def type_of(f: descriptor_pb2.FieldDescriptorProto) -> str:
    return _SCALARS.get(f.type) or f.type_name


def _label(f: descriptor_pb2.FieldDescriptorProto, syntax: str) -> str:
    if f.label == F.LABEL_REPEATED:
        return "repeated "
    if f.label == F.LABEL_REQUIRED:
        return "required "
    if syntax == "proto2" or f.proto3_optional:
        return "optional "
    return ""


def _field_attrs(f: descriptor_pb2.FieldDescriptorProto) -> list[str]:
    attrs = []
    if f.HasField("default_value"):
        attrs.append(f"default = {_default(f)}")
    if f.HasField("json_name") and f.json_name != default_json_name(f.name):
        attrs.append(f"json_name = {_quote(f.json_name)}")
    return attrs + _options(f.options)


def _default(f: descriptor_pb2.FieldDescriptorProto) -> str:
    if f.type == F.TYPE_STRING:
        return _quote(f.default_value)
    if f.type == F.TYPE_BYTES:
        return f'"{f.default_value}"'  # already C-escaped in the descriptor
    return f.default_value


def _enum(enum: descriptor_pb2.EnumDescriptorProto, depth: int) -> list[str]:
    pad = _INDENT * (depth + 1)
    body = [f"{pad}option {o};" for o in _options(enum.options)]
    for v in enum.value:
        opts = _options(v.options)
        body.append(f"{pad}{v.name} = {v.number}{' [' + ', '.join(opts) + ']' if opts else ''};")
    body += _reserved(enum.reserved_range, enum.reserved_name, _ENUM_MAX, exclusive=False, pad=pad)
    return [f"{_INDENT * depth}enum {enum.name} {{", *body, f"{_INDENT * depth}}}"]


def _extends(fields: Iterable[descriptor_pb2.FieldDescriptorProto], syntax: str, depth: int,
             leading_blank: bool) -> list[str]:
    by_extendee: dict[str, list[descriptor_pb2.FieldDescriptorProto]] = {}
    for f in fields:
        by_extendee.setdefault(f.extendee, []).append(f)
    out: list[str] = []
    pad = _INDENT * depth
    for extendee, group in by_extendee.items():
        if leading_blank:
            out.append("")
        out.append(f"{pad}extend {extendee} {{")
        for f in group:
            out += _field(f, None, {}, syntax, depth + 1, in_oneof=False)
        out.append(f"{pad}}}")
    return out


def _service(service: descriptor_pb2.ServiceDescriptorProto) -> list[str]:
    out = [f"service {service.name} {{"]
    out += [f"{_INDENT}option {o};" for o in _options(service.options)]
    for m in service.method:
        cin = "stream " if m.client_streaming else ""
        cout = "stream " if m.server_streaming else ""
        opts = _options(m.options)
        tail = " {\n" + "".join(f"{_INDENT * 2}option {o};\n" for o in opts) + f"{_INDENT}}}" if opts else ";"
        out.append(f"{_INDENT}rpc {m.name}({cin}{m.input_type}) returns ({cout}{m.output_type}){tail}")
    return out + ["}"]


def _reserved(ranges: Iterable[Any], names: Iterable[str], maximum: int, exclusive: bool, pad: str) -> list[str]:
    out = []
    spans = [_range(r.start, r.end - 1 if exclusive else r.end, maximum - 1 if exclusive else maximum) for r in ranges]
    if spans:
        out.append(f"{pad}reserved {', '.join(spans)};")
    names = list(names)
    if names:
        out.append(f"{pad}reserved {', '.join(_quote(n) for n in names)};")
    return out


def _range(start: int, end: int, maximum: int) -> str:
    if start == end:
        return str(start)
    return f"{start} to {'max' if end >= maximum else end}"


def _options(options: Any) -> list[str]:
    """`name = value` for each option set, in field-number order; repeated options once per value."""
    out = []
    for fd, value in sorted(options.ListFields(), key=lambda item: item[0].number):
        if fd.name == "map_entry" and not fd.is_extension:
            continue
        name = f"({fd.full_name})" if fd.is_extension else fd.name
        values = value if fd.is_repeated else [value]
        out += [f"{name} = {_value(fd, v)}" for v in values]
    return out


def _value(fd: Any, value: Any) -> str:
    if fd.type == fd.TYPE_BOOL:
        return "true" if value else "false"
    if fd.type == fd.TYPE_ENUM:
        enum_value = fd.enum_type.values_by_number.get(value)
        return enum_value.name if enum_value is not None else str(value)
    if fd.type == fd.TYPE_STRING:
        return _quote(value)
    if fd.type == fd.TYPE_BYTES:
        return f'"{text_encoding.CEscape(value, as_utf8=False)}"'
    if fd.type in (fd.TYPE_MESSAGE, fd.TYPE_GROUP):
        return "{ " + text_format.MessageToString(value, as_one_line=True) + " }"
    return repr(value) if isinstance(value, float) else str(value)


def _quote(text: str) -> str:
    return '"' + text_encoding.CEscape(text, as_utf8=True) + '"'

"""`normalize=true`: the text Confluent Schema Registry stores for an Avro schema it normalizes.

Confluent's AvroSchema.normalize() writes the schema out once its own way
(AvroSchemaUtils.toNormalizedString: names in full, "name" before "type",
properties, aliases and the keys inside JSON values sorted, every field's
"order", defaults converted to their field's type), parses that text again,
and what it stores and returns is the canonical string of the result, Avro
Java's Schema.toString(). So the key order is Avro Java's (type, name,
namespace, ...), not the intermediate text's, and normalizing changes:

- properties in sorted order, except that a valid logical type's
  "logicalType" (with a decimal's "precision" and non-zero "scale") comes first;
- aliases sorted; a named type's empty "doc" dropped;
- defaults as their field's type reads them: 1 in a double field is 1.0, a
  float default keeps float precision, bytes and fixed keep ISO-8859-1 characters;
- "error" becomes "record"; a named type in the null namespace inside a
  namespaced one takes the enclosing namespace (its full name loses the
  explicit empty namespace when written without a "namespace" key).

`intermediate` is the first step; ParsedSchema.normalized parses it again and
writes it with `canonical(..., sort_props=False)`.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from typing import Any

from governance.avro.jsontext import dump, dump_string
from governance.avro.model import Array, Enum, Field, Fixed, Map, Named, Node, Record, Union

_LOGICAL_BASES = {
    "date": {"int"}, "time-millis": {"int"}, "time-micros": {"long"},
    "timestamp-millis": {"long"}, "timestamp-micros": {"long"}, "timestamp-nanos": {"long"},
    "local-timestamp-millis": {"long"}, "local-timestamp-micros": {"long"}, "local-timestamp-nanos": {"long"},
    "uuid": {"string", "fixed"}, "big-decimal": {"bytes"}, "decimal": {"bytes", "fixed"},
}


def intermediate(root: Node, predefined: Iterable[str] = ()) -> str:
    """AvroSchemaUtils.toNormalizedString: the text Confluent parses again; `predefined` are referenced types."""
    out: list[str] = []
    seen = set(predefined)

    def node(n: Node) -> None:
        if isinstance(n, Union):
            out.append("[")
            for i, branch in enumerate(n.branches):
                out.append("," if i else "")
                node(branch)
            out.append("]")
        elif isinstance(n, (Array, Map)):
            key, child = ("items", n.items) if isinstance(n, Array) else ("values", n.values)
            out.append(f'{{"type":"{n.kind}","{key}":')
            node(child)
            out.append(_props(n.props) + "}")
        elif isinstance(n, Named):
            named(n)
        elif _logical(n) is not None:
            out.append(f'{{"type":"{n.kind}"' + _logical(n) + _props(n.props) + "}")
        elif n.props:
            out.append(f'{{"type":"{n.kind}"' + _props(n.props) + "}")
        else:
            out.append(f'"{n.kind}"')

    def named(n: Named) -> None:
        if n.fullname in seen:
            out.append(dump_string(n.fullname))
            return
        seen.add(n.fullname)
        out.append(f'{{"name":{dump_string(n.fullname)},"type":"{n.kind}"')
        if isinstance(n, Enum):
            out.append(',"symbols":[' + ",".join(dump_string(s) for s in n.symbols) + "]")
        elif isinstance(n, Fixed):
            out.append(f',"size":{n.size}' + (_logical(n) or ""))
        elif isinstance(n, Record):
            out.append(',"fields":[')
            for i, f in enumerate(n.fields):
                out.append(("," if i else "") + '{"name":' + dump_string(f.name) + ',"type":')
                node(f.type)
                out.append(_field_props(f) + "}")
            out.append("]")
        if n.doc:
            out.append(',"doc":' + dump_string(n.doc))
        if n.aliases:
            out.append(',"aliases":[' + ",".join(dump_string(a) for a in sorted(n.aliases)) + "]")
        if isinstance(n, Enum) and n.default is not None:
            out.append(',"default":' + dump_string(n.default))
        out.append(_props(n.props) + "}")

    node(root)
    return "".join(out)


def _props(props: dict[str, Any] | Any) -> str:
    return "".join("," + dump_string(k) + ":" + dump(props[k]) for k in sorted(props))


def _field_props(f: Field) -> str:
    text = f',"order":"{f.order.upper()}"'
    if f.doc is not None:
        text += ',"doc":' + dump_string(f.doc)
    if f.aliases:
        text += ',"aliases":[' + ",".join(dump_string(a) for a in sorted(f.aliases)) + "]"
    if f.has_default:
        value = as_read(f.type, f.default)
        if value is not _ABSENT:
            text += ',"default":' + dump(value)
    return text + _props(f.props)


def _logical(n: Node) -> str | None:
    """Avro Java's logical type of `n` as Confluent writes it first, or None when Avro would ignore it."""
    name = n.props.get("logicalType")
    if not isinstance(name, str) or n.kind not in _LOGICAL_BASES.get(name, ()):
        return None
    if name == "uuid" and isinstance(n, Fixed) and n.size != 16:
        return None
    text = f',"logicalType":"{name}"'
    if name != "decimal":
        return text
    precision, scale = n.props.get("precision"), n.props.get("scale", 0)
    if not _is_int(precision) or not _is_int(scale) or precision <= 0 or not 0 <= scale <= precision:
        return None
    if isinstance(n, Fixed) and precision > math.floor(math.log10(2) * (8 * n.size - 1)):
        return None
    return text + f',"precision":{precision}' + (f',"scale":{scale}' if scale else "")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_ABSENT = object()


def as_read(n: Node | None, value: Any) -> Any:
    """Avro Java's JacksonUtils.toObject(value, schema) written back as JSON: a default as its type reads it."""
    if isinstance(n, Union):
        return as_read(n.branches[0], value) if n.branches else _ABSENT
    kind = n.kind if n is not None else None
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if kind == "float":
            return _float32(float(value))
        if kind == "double" or isinstance(value, float):
            return float(value) if kind in (None, "double", "float") else _ABSENT
        return value if kind in (None, "int", "long") else _ABSENT
    if isinstance(value, str):
        if kind in ("bytes", "fixed"):
            return value.encode("latin-1", "replace").decode("latin-1")
        return value if kind in (None, "string", "enum") else _ABSENT
    if isinstance(value, list):
        items = n.items if isinstance(n, Array) else None
        return [as_read(items, v) for v in value]
    if isinstance(value, dict):
        if isinstance(n, Record):
            return {k: as_read(n.by_name[k].type if k in n.by_name else None, v) for k, v in value.items()}
        return {k: as_read(n.values if isinstance(n, Map) else None, v) for k, v in value.items()}
    return value


def _float32(x: float) -> float:
    """Java's Float.toString digits of x as a float, read back as a double."""
    if not math.isfinite(x):
        return x
    single = struct.unpack("f", struct.pack("f", x))[0]
    for digits in range(1, 10):
        text = f"{single:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            return float(text)
    return single

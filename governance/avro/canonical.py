"""Three text forms of a parsed schema.

`canonical`: what Avro Java's `Schema.toString()` writes (and Confluent stores),
with Avro Java's key order. Deviations, so that key order in the input never
matters: extra properties, and keys inside JSON values (defaults,
properties), are written sorted where Avro Java keeps their input order.
Doubles are written as Java does (`1.0E10`) but Java 17's occasional
non-shortest digits are not reproduced.

`normalized` (normalize=true) is Confluent's normalizer's text: see
governance.avro.normalize.

`parsing_canonical_form`: the specification's Parsing Canonical Form; types
from referenced schemas are written out in full, since data needs them to be
decoded.
"""

from __future__ import annotations

from collections.abc import Iterable

from governance.avro.jsontext import dump, dump_string
from governance.avro.model import Array, Enum, Field, Fixed, Map, Named, Node, Record, Union
from governance.avro.names import PRIMITIVES, split

_TYPE_NAMES = PRIMITIVES | {"record", "enum", "array", "map", "union", "fixed"}


def _qualified(fullname: str, space: str | None) -> str:
    """Avro Java's Name.getQualified: the short name when the namespace is implied."""
    namespace, name = split(fullname)
    if namespace is not None and namespace == space and name not in _TYPE_NAMES:
        return name
    return fullname


class _Writer:
    def __init__(self, predefined: Iterable[str], sort_props: bool = True) -> None:
        self.sort_props = sort_props
        self.seen = set(predefined)
        self.out: list[str] = []

    def node(self, node: Node, space: str | None) -> None:
        out = self.out
        if isinstance(node, Named):
            if node.fullname in self.seen:
                out.append(dump_string(_qualified(node.fullname, space)))
                return
            self.seen.add(node.fullname)
            self.named(node, space)
        elif isinstance(node, Union):
            out.append("[")
            for i, branch in enumerate(node.branches):
                if i:
                    out.append(",")
                self.node(branch, space)
            out.append("]")
        elif isinstance(node, (Array, Map)):
            key, child = ("items", node.items) if isinstance(node, Array) else ("values", node.values)
            out.append(f'{{"type":"{node.kind}","{key}":')
            self.node(child, space)
            self.props(node.props)
            out.append("}")
        elif node.props:
            out.append(f'{{"type":"{node.kind}"')
            self.props(node.props)
            out.append("}")
        else:
            out.append(f'"{node.kind}"')

    def named(self, node: Named, space: str | None) -> None:
        out = self.out
        kind = "error" if isinstance(node, Record) and node.is_error else node.kind
        out.append(f'{{"type":"{kind}","name":')
        out.append(dump_string(node.name))
        if node.namespace is not None:
            if node.namespace != space:
                out.append(',"namespace":' + dump_string(node.namespace))
        elif space is not None:
            out.append(',"namespace":""')
        if node.doc is not None:
            out.append(',"doc":' + dump_string(node.doc))
        if isinstance(node, Record):
            out.append(',"fields":[')
            for i, field in enumerate(node.fields):
                if i:
                    out.append(",")
                self.field(field, node.namespace)
            out.append("]")
        elif isinstance(node, Enum):
            out.append(',"symbols":[' + ",".join(dump_string(s) for s in node.symbols) + "]")
            if node.default is not None:
                out.append(',"default":' + dump_string(node.default))
        elif isinstance(node, Fixed):
            out.append(f',"size":{node.size}')
        self.props(node.props)
        if node.aliases:
            written = [_qualified(a, node.namespace) for a in node.aliases]
            out.append(',"aliases":[' + ",".join(dump_string(a) for a in written) + "]")
        out.append("}")

    def field(self, field: Field, space: str | None) -> None:
        out = self.out
        out.append('{"name":' + dump_string(field.name) + ',"type":')
        self.node(field.type, space)
        if field.doc is not None:
            out.append(',"doc":' + dump_string(field.doc))
        if field.has_default:
            out.append(',"default":' + dump(field.default))
        if field.order != "ascending":
            out.append(f',"order":"{field.order}"')
        if field.aliases:
            out.append(',"aliases":[' + ",".join(dump_string(a) for a in field.aliases) + "]")
        self.props(field.props)
        out.append("}")

    def props(self, props: dict) -> None:
        if not props:
            return
        for key in sorted(props) if self.sort_props else props:
            self.out.append("," + dump_string(key) + ":" + dump(props[key]))


def canonical(root: Node, predefined: Iterable[str] = (), sort_props: bool = True) -> str:
    """Avro Java's Schema.toString(); types named in `predefined` (from references) are written by name.

    `sort_props=False` keeps properties in their input order, as Avro Java does.
    """
    writer = _Writer(predefined, sort_props)
    writer.node(root, None)
    return "".join(writer.out)


def parsing_canonical_form(root: Node) -> str:
    out: list[str] = []
    seen: set[str] = set()

    def write(node: Node) -> None:
        if isinstance(node, Named):
            if node.fullname in seen:
                out.append(dump_string(node.fullname))
                return
            seen.add(node.fullname)
            out.append('{"name":' + dump_string(node.fullname) + f',"type":"{node.kind}"')
            if isinstance(node, Record):
                out.append(',"fields":[')
                for i, field in enumerate(node.fields):
                    out.append(("," if i else "") + '{"name":' + dump_string(field.name) + ',"type":')
                    write(field.type)
                    out.append("}")
                out.append("]")
            elif isinstance(node, Enum):
                out.append(',"symbols":[' + ",".join(dump_string(s) for s in node.symbols) + "]")
            elif isinstance(node, Fixed):
                out.append(f',"size":{node.size}')
            out.append("}")
        elif isinstance(node, Union):
            out.append("[")
            for i, branch in enumerate(node.branches):
                if i:
                    out.append(",")
                write(branch)
            out.append("]")
        elif isinstance(node, Array):
            out.append('{"type":"array","items":')
            write(node.items)
            out.append("}")
        elif isinstance(node, Map):
            out.append('{"type":"map","values":')
            write(node.values)
            out.append("}")
        else:
            out.append(f'"{node.kind}"')

    write(root)
    return "".join(out)

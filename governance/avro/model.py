"""The parsed schema as a graph of nodes.

Named types are single objects, so every reference to a type (including a
recursive one) is the same node. `key` is a structural digest of a node's
whole subtree, or None when the subtree contains a cycle: two nodes with the
same key describe the same data, which the compatibility checker uses to skip
identical subtrees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governance.avro.names import PRIMITIVES, split


class Node:
    __slots__ = ("kind", "props", "key")

    def __init__(self, kind: str, props: Mapping[str, Any] | None = None) -> None:
        self.kind = kind
        self.props: Mapping[str, Any] = props or {}
        self.key: bytes | None = None


class Primitive(Node):
    __slots__ = ()


class Named(Node):
    __slots__ = ("fullname", "name", "namespace", "aliases", "doc")

    def __init__(self, kind: str, fullname: str, aliases: tuple[str, ...], doc: str | None,
                 props: Mapping[str, Any] | None) -> None:
        super().__init__(kind, props)
        self.fullname = fullname
        self.namespace, self.name = split(fullname)
        self.aliases = aliases
        self.doc = doc


class Field:
    __slots__ = ("name", "type", "pos", "doc", "has_default", "default", "order", "aliases", "props")

    def __init__(self, name: str, type_: Node, pos: int, doc: str | None, has_default: bool, default: Any,
                 order: str, aliases: tuple[str, ...], props: Mapping[str, Any]) -> None:
        self.name = name
        self.type = type_
        self.pos = pos
        self.doc = doc
        self.has_default = has_default
        self.default = default
        self.order = order
        self.aliases = aliases
        self.props = props


class Record(Named):
    __slots__ = ("fields", "by_name", "is_error")

    def __init__(self, fullname: str, aliases: tuple[str, ...], doc: str | None, props: Mapping[str, Any] | None,
                 is_error: bool = False) -> None:
        super().__init__("record", fullname, aliases, doc, props)
        self.fields: list[Field] = []
        self.by_name: dict[str, Field] = {}
        self.is_error = is_error


class Enum(Named):
    __slots__ = ("symbols", "symbol_set", "default")

    def __init__(self, fullname: str, aliases: tuple[str, ...], doc: str | None, props: Mapping[str, Any] | None,
                 symbols: tuple[str, ...], default: str | None) -> None:
        super().__init__("enum", fullname, aliases, doc, props)
        self.symbols = symbols
        self.symbol_set = frozenset(symbols)
        self.default = default


class Fixed(Named):
    __slots__ = ("size",)

    def __init__(self, fullname: str, aliases: tuple[str, ...], doc: str | None, props: Mapping[str, Any] | None,
                 size: int) -> None:
        super().__init__("fixed", fullname, aliases, doc, props)
        self.size = size


class Array(Node):
    __slots__ = ("items",)

    def __init__(self, items: Node, props: Mapping[str, Any] | None) -> None:
        super().__init__("array", props)
        self.items = items


class Map(Node):
    __slots__ = ("values",)

    def __init__(self, values: Node, props: Mapping[str, Any] | None) -> None:
        super().__init__("map", props)
        self.values = values


class Union(Node):
    __slots__ = ("branches",)

    def __init__(self, branches: list[Node]) -> None:
        super().__init__("union")
        self.branches = branches


BARE = {kind: Primitive(kind) for kind in PRIMITIVES}
"""Primitives without properties: shared, so `reader is writer` is a cheap first test."""


def describe(node: Node) -> str:
    """A short human name for a type: "int", "record com.acme.User", "array of string", "[null, string]"."""
    if isinstance(node, Named):
        return f"{node.kind} {node.fullname}"
    if isinstance(node, Array):
        return f"array of {_brief(node.items)}"
    if isinstance(node, Map):
        return f"map of {_brief(node.values)}"
    if isinstance(node, Union):
        return "[" + ", ".join(_brief(b) for b in node.branches) + "]"
    return node.kind


def _brief(node: Node) -> str:
    if isinstance(node, Named):
        return node.fullname
    if isinstance(node, (Array, Map, Union)):
        return describe(node)
    return node.kind


def branch_key(node: Node) -> tuple[str, str]:
    """What makes two union branches the same branch: the full name of a named type, else the kind."""
    return ("named", node.fullname) if isinstance(node, Named) else ("kind", node.kind)

"""JSON value -> schema graph, validating as the Avro specification requires.

Name resolution follows the specification ("Names"), with one leniency taken
from Avro Java: an unqualified reference that is not found in the enclosing
namespace is also looked up in the null namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from governance.avro import defaults
from governance.errors import InvalidSchemaError
from governance.avro.jsontext import dump
from governance.avro.model import (
    BARE,
    Array,
    Enum,
    Field,
    Fixed,
    Map,
    Named,
    Node,
    Primitive,
    Record,
    Union,
    branch_key,
)
from governance.avro.names import NAME_RULE, PRIMITIVES, is_valid_fullname, is_valid_name, qualify, short

SCHEMA_RESERVED = frozenset({"doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases"})
ENUM_RESERVED = SCHEMA_RESERVED | {"default"}
FIELD_RESERVED = frozenset({"default", "doc", "name", "order", "type", "aliases"})
ORDERS = ("ascending", "descending", "ignore")
_NEEDS_OBJECT = frozenset({"record", "error", "enum", "fixed", "array", "map"})


class UnknownTypeError(InvalidSchemaError):
    """A reference to a named type that is not (yet) defined."""


def _props(obj: Mapping[str, Any], reserved: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in reserved}


class Parser:
    """Parses one schema. `known` holds named types already in scope (from references)."""

    def __init__(self, known: Mapping[str, Named] | None = None) -> None:
        self.known: dict[str, Named] = dict(known or {})
        self.defined: list[str] = []
        self._context: list[str] = []
        self._path: list[str] = []
        """JSON pointer tokens of the value being parsed, for errors to say where they are."""
        self._defaults: list[tuple[str, str, Field]] = []

    def parse_root(self, data: Any) -> Node:
        root = self._parse(data, None)
        for context, pointer, field in self._defaults:
            reason = defaults.problem(field.type, field.default)
            if reason is not None:
                raise InvalidSchemaError(f"{context}: {defaults.mismatch_message(field.default, field.type, reason)}",
                                         pointer=pointer)
        return root

    def _fail(self, problem: str, *at: str | int, error: type[InvalidSchemaError] = InvalidSchemaError) -> NoReturn:
        """Raise, naming the value being parsed, or its member `at` (a key, then an index)."""
        raise error(f"{self._context[-1]}: {problem}" if self._context else problem, pointer=self._pointer(*at))

    def _pointer(self, *at: str | int) -> str:
        return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in (*self._path, *at))

    def _parse_at(self, data: Any, space: str | None, *tokens: str | int) -> Node:
        self._path += map(str, tokens)
        node = self._parse(data, space)
        del self._path[len(self._path) - len(tokens):]
        return node

    def _parse(self, data: Any, space: str | None) -> Node:
        if isinstance(data, str):
            return self._reference(data, space)
        if isinstance(data, dict):
            return self._object(data, space)
        if isinstance(data, list):
            return self._union(data, space)
        self._fail(f"{dump(data)} is not a schema: expected a type name, a JSON object or a list (a union)")

    def _lookup(self, name: str, space: str | None) -> Named | None:
        if "." in name:
            return self.known.get(name)
        found = self.known.get(qualify(name, space))
        if found is None and space:
            found = self.known.get(name)
        return found

    def _reference(self, name: str, space: str | None) -> Node:
        if name in PRIMITIVES:
            return BARE[name]
        if name in _NEEDS_OBJECT:
            self._fail(f'type "{name}" must be written as a JSON object with its attributes, like {{"type": "{name}", ...}}')
        found = self._lookup(name, space)
        if found is None:
            self._unknown(name, space)
        return found

    def _unknown(self, name: str, space: str | None) -> NoReturn:
        tried = qualify(name, space)
        looked = f" (looked for {tried} and {name})" if tried != name else ""
        self._fail(f'unknown type "{name}"{looked}', error=UnknownTypeError)

    def _object(self, obj: dict[str, Any], space: str | None) -> Node:
        if "type" not in obj:
            self._fail(f'schema object has no "type": {dump(obj)}')
        kind = obj["type"]
        if not isinstance(kind, str):
            self._fail(f'"type" of a schema object must be a type name, not {dump(kind)}', "type")
        if kind in PRIMITIVES:
            props = _props(obj, SCHEMA_RESERVED)
            return Primitive(kind, props) if props else BARE[kind]
        if kind in ("record", "error"):
            return self._record(obj, space, kind == "error")
        if kind == "enum":
            return self._enum(obj, space)
        if kind == "fixed":
            return self._fixed(obj, space)
        if kind == "array":
            if "items" not in obj:
                self._fail('array has no "items"')
            return Array(self._parse_at(obj["items"], space, "items"), _props(obj, SCHEMA_RESERVED))
        if kind == "map":
            if "values" not in obj:
                self._fail('map has no "values"')
            return Map(self._parse_at(obj["values"], space, "values"), _props(obj, SCHEMA_RESERVED))
        found = self._lookup(kind, space)
        if found is None:
            self._unknown(kind, space)
        return found

    def _name(self, obj: Mapping[str, Any], kind: str, space: str | None) -> tuple[str, tuple[str, ...], str | None]:
        """Full name, full alias names and doc of a named type being defined; checks they are valid and new."""
        name = obj.get("name")
        if not isinstance(name, str) or not name:
            self._fail(f'{kind} has no "name"' if name is None else f'{kind} name must be a non-empty string, not {dump(name)}',
                       *(() if name is None else ("name",)))
        namespace = obj.get("namespace")
        if namespace is not None and not isinstance(namespace, str):
            self._fail(f'namespace of {kind} "{name}" must be a string, not {dump(namespace)}', "namespace")
        if "." in name:
            full = name
        else:
            full = qualify(name, namespace if namespace is not None else space)
        if not is_valid_name(short(full)):
            self._fail(f'{kind} name "{name}" is not a valid Avro name: {NAME_RULE}', "name")
        if not is_valid_fullname(full):
            self._fail(f'{kind} "{name}" has an invalid namespace in "{full}": a namespace is names joined by dots, and {NAME_RULE}',
                       "namespace" if "namespace" in obj and "." not in name else "name")
        if short(full) in PRIMITIVES:
            self._fail(f'{kind} cannot be named "{short(full)}": that is a primitive type name', "name")
        if full in self.known:
            self._fail(f'named type "{full}" is defined twice (a name can be defined only once, then referred to by name)', "name")
        type_space = full.rpartition(".")[0] or None
        aliases = self._aliases(obj, f'{kind} "{full}"', lambda alias: qualify(alias, type_space), is_valid_fullname)
        doc = self._doc(obj, f'{kind} "{full}"')
        return full, aliases, doc

    def _aliases(self, obj: Mapping[str, Any], owner: str, resolve: Callable[[str], str],
                 valid: Callable[[str], bool]) -> tuple[str, ...]:
        aliases = obj.get("aliases")
        if aliases is None:
            return ()
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            self._fail(f'"aliases" of {owner} must be a list of names, not {dump(aliases)}', "aliases")
        for i, alias in enumerate(aliases):
            if not valid(alias):
                self._fail(f'alias "{alias}" of {owner} is not a valid Avro name: {NAME_RULE}', "aliases", i)
        return tuple(dict.fromkeys(resolve(a) for a in aliases))

    def _doc(self, obj: Mapping[str, Any], owner: str) -> str | None:
        doc = obj.get("doc")
        if doc is not None and not isinstance(doc, str):
            self._fail(f'"doc" of {owner} must be a string, not {dump(doc)}', "doc")
        return doc

    def _define(self, node: Named) -> None:
        self.known[node.fullname] = node
        self.defined.append(node.fullname)

    def _record(self, obj: dict[str, Any], space: str | None, is_error: bool) -> Record:
        kind = "error" if is_error else "record"
        full, aliases, doc = self._name(obj, kind, space)
        node = Record(full, aliases, doc, _props(obj, SCHEMA_RESERVED), is_error)
        self._define(node)
        self._context.append(f'{kind} "{full}"')
        fields = obj.get("fields")
        if fields is None:
            self._fail('has no "fields" list (a record with no fields has "fields": [])')
        if not isinstance(fields, list):
            self._fail(f'"fields" must be a list, not {dump(fields)}', "fields")
        for pos, field in enumerate(fields):
            self._path += ("fields", str(pos))
            self._field(node, pos, field)
            del self._path[-2:]
        self._context.pop()
        return node

    def _field(self, record: Record, pos: int, obj: Any) -> None:
        if not isinstance(obj, dict):
            self._fail(f"field {pos} must be a JSON object, not {dump(obj)}")
        name = obj.get("name")
        if not isinstance(name, str):
            self._fail(f'field {pos} has no "name"' if name is None else f"field {pos} has a name that is not a string: {dump(name)}",
                       *(() if name is None else ("name",)))
        if not is_valid_name(name):
            self._fail(f'field name "{name}" is not a valid Avro name: {NAME_RULE}', "name")
        if name in record.by_name:
            self._fail(f'two fields are named "{name}"', "name")
        context = f'field "{name}" of {"error" if record.is_error else "record"} "{record.fullname}"'
        self._context.append(context)
        if "type" not in obj:
            self._fail('no "type" given')
        type_ = self._parse_at(obj["type"], record.namespace, "type")
        order = obj.get("order", "ascending")
        order = order.lower() if isinstance(order, str) else order  # Avro Java reads "ASCENDING" too
        if order not in ORDERS:
            self._fail(f'order {dump(order)} is not one of {", ".join(ORDERS)}', "order")
        aliases = self._aliases(obj, f'field "{name}"', lambda alias: alias, is_valid_name)
        field = Field(
            name, type_, pos, self._doc(obj, f'field "{name}"'), "default" in obj, obj.get("default"),
            order, aliases, _props(obj, FIELD_RESERVED),
        )
        record.fields.append(field)
        record.by_name[name] = field
        if field.has_default:
            self._defaults.append((context, self._pointer("default"), field))
        self._context.pop()

    def _enum(self, obj: dict[str, Any], space: str | None) -> Enum:
        full, aliases, doc = self._name(obj, "enum", space)
        self._context.append(f'enum "{full}"')
        symbols = obj.get("symbols")
        if not isinstance(symbols, list):
            self._fail('has no "symbols" list' if symbols is None else f'"symbols" must be a list, not {dump(symbols)}',
                       *(() if symbols is None else ("symbols",)))
        seen: set[str] = set()
        for i, symbol in enumerate(symbols):
            if not isinstance(symbol, str) or not is_valid_name(symbol):
                self._fail(f"symbol {dump(symbol)} is not a valid Avro name: {NAME_RULE}", "symbols", i)
            if symbol in seen:
                self._fail(f'symbol "{symbol}" is listed twice', "symbols", i)
            seen.add(symbol)
        default = obj.get("default")
        if default is not None and default not in seen:
            self._fail(f"default {dump(default)} is not one of its symbols ({', '.join(symbols)})", "default")
        self._context.pop()
        node = Enum(full, aliases, doc, _props(obj, ENUM_RESERVED), tuple(symbols), default)
        self._define(node)
        return node

    def _fixed(self, obj: dict[str, Any], space: str | None) -> Fixed:
        full, aliases, doc = self._name(obj, "fixed", space)
        size = obj.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            self._context.append(f'fixed "{full}"')
            self._fail('has no "size"' if size is None else f"size must be a positive integer, not {dump(size)}",
                       *(() if size is None else ("size",)))
        node = Fixed(full, aliases, doc, _props(obj, SCHEMA_RESERVED), size)
        self._define(node)
        return node

    def _union(self, items: list[Any], space: str | None) -> Union:
        branches: list[Node] = []
        seen: dict[tuple[str, str], int] = {}
        for i, item in enumerate(items):
            if isinstance(item, list):
                self._fail(f"a union cannot contain another union directly (branch {i} is a list)", i)
            branch = self._parse_at(item, space, i)
            key = branch_key(branch)
            if key in seen:
                self._fail(f'union has two branches of type "{key[1]}" (branches {seen[key]} and {i})', i)
            seen[key] = i
            branches.append(branch)
        return Union(branches)

"""The fields a CEL_FIELD rule visits in a record, read from its schema as Confluent's walks do.

Avro (confluent_kafka/schema_registry/common/avro.py `transform`): every field of every record,
nested records, array items and map values included; a field whose value is absent from the
record is skipped; a union resolves by the value (None is its null branch, which is visited with
type NULL); only primitive values are judged (NULL, BOOLEAN, INT, LONG, FLOAT, DOUBLE, STRING,
BYTES: not ENUM or FIXED). A field's full name is its record's full name, a dot, its name.
JSON Schema (common/json_schema.py): `properties`, from path `$` (`$.a.b`); a null or absent
value is skipped; STRING, INT (integer), DOUBLE (number), BOOLEAN and ENUM (`enum`/`const`) are
judged; local `$ref`s are followed; every `allOf` branch is walked, of `oneOf`/`anyOf` the first
only (Confluent walks the branches the value validates against). Protobuf: protofields.py.
A field's tags are its inline `confluent:tags` and those of every `metadata.tags` glob matching its
full name (`**` across dots, `*` within a name). A rule with tags visits the fields sharing one of
them; a rule without tags visits every field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from governance.contracts.ruleset import ContractError

_AVRO_PRIMITIVES = {"null": "NULL", "boolean": "BOOLEAN", "int": "INT", "long": "LONG", "float": "FLOAT",
                    "double": "DOUBLE", "string": "STRING", "bytes": "BYTES"}
_JSON_TYPES = {"string": "STRING", "integer": "INT", "number": "DOUBLE", "boolean": "BOOLEAN"}


class Field(NamedTuple):
    """Where a visited value is: the CEL_FIELD variables that do not depend on the record."""

    full_name: str
    name: str
    type_name: str
    tags: tuple[str, ...]


#: One value a CEL_FIELD rule judges: its field, the value, the record containing it (`message`).
Visit = tuple[Field, Any, Mapping[str, Any]]
Walk = Callable[[Mapping[str, Any]], "list[Visit] | Iterator[Visit]"]


def tags_of(metadata: Mapping[str, Any] | None) -> Callable[[str], set[str]]:
    """The `metadata.tags` globs as a function of a field's full name."""
    globs = ((metadata or {}).get("tags") or {}) if isinstance(metadata, Mapping) else {}
    compiled = [(re.compile(_glob(k)), list(v)) for k, v in globs.items() if isinstance(v, list)]
    return lambda full: {t for rx, tags in compiled if rx.fullmatch(full) for t in tags}


def _glob(pattern: str) -> str:
    """Confluent's wildcard_matcher: `**` any text, `*` any text without a dot, `?` one non-dot."""
    out, i = [], 0
    pattern = pattern.replace("**.*", "**")
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^.]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^.]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def walker(schema_type: str, schema: Any, rule_tags: tuple[str, ...], metadata: Mapping[str, Any] | None,
           at: str, references: Mapping[str, str] | None = None, message_type: str | None = None) -> Walk:
    """The visits of a CEL_FIELD rule with `rule_tags` in one record of `schema` (Avro types named
    and Protobuf files imported from other subjects are read from `references`: name -> schema text;
    a Protobuf record is of `message_type`, the file's first message when None)."""
    glob_tags = tags_of(metadata)
    wanted = set(rule_tags)

    def selected(tags: set[str]) -> bool:
        return not wanted or bool(wanted & tags)

    if schema_type == "PROTOBUF":
        from governance.contracts.protofields import protobuf_walker

        return protobuf_walker(schema, selected, glob_tags, message_type, references, at)
    parsed = _parsed(schema, at)
    if schema_type == "AVRO":
        return _AvroWalk(parsed, selected, glob_tags, [_parsed(t, at) for t in (references or {}).values()]).walk
    if schema_type == "JSON":
        return _JsonWalk(parsed, selected, glob_tags).walk
    raise ContractError(f"{at}: CEL_FIELD rules on {schema_type} subjects are not supported")


def _parsed(schema: Any, at: str) -> Any:
    if isinstance(schema, (str, bytes)):
        try:
            return json.loads(schema)
        except ValueError as exc:
            raise ContractError(f"{at}: the schema is not JSON: {exc}") from None
    return schema


#: One compiled part of a schema inside one field: (value, its containing record, the visits so far).
_Plan = Callable[[Any, Any, list], None]
_Here = "tuple[str, str, tuple[str, ...]] | None"  # the field a plan is in: full name, name, tags


class _AvroWalk:
    """The schema compiled once into closures: per record only the values are looked at (a field's
    full name, tags and whether the rule selects it are known from the schema)."""

    def __init__(self, schema: Any, selected: Callable[[set[str]], bool], glob_tags: Callable[[str], set[str]],
                 referenced: list[Any]) -> None:
        self.named: dict[str, Any] = {}
        self.full_names: dict[int, str] = {}
        self.selected = selected
        self.glob_tags = glob_tags
        for other in referenced:
            self._collect(other, "")
        self._collect(schema, "")
        self.records: dict[int, _Plan] = {}
        self.root = self._plan(schema, None, True)

    def walk(self, record: Mapping[str, Any]) -> list[Visit]:
        out: list[Visit] = []
        if self.root is not None:
            self.root(record, None, out)
        return out

    def _collect(self, schema: Any, ns: str) -> None:
        if isinstance(schema, list):
            for branch in schema:
                self._collect(branch, ns)
        elif isinstance(schema, Mapping):
            kind = schema.get("type")
            if kind in ("record", "error", "enum", "fixed"):
                full = self._full(schema, ns)
                self.named[full] = schema
                self.full_names[id(schema)] = full
                ns = full.rpartition(".")[0]
                if kind in ("record", "error"):
                    for f in schema.get("fields") or []:
                        self._collect(f.get("type"), ns)
            elif kind == "array":
                self._collect(schema.get("items"), ns)
            elif kind == "map":
                self._collect(schema.get("values"), ns)
            elif isinstance(kind, (Mapping, list)):
                self._collect(kind, ns)

    @staticmethod
    def _full(schema: Mapping[str, Any], ns: str) -> str:
        name = str(schema.get("name", ""))
        if "." in name:
            return name
        space = schema.get("namespace", ns)
        return f"{space}.{name}" if space else name

    def _resolve(self, schema: Any) -> Any:
        while True:
            if isinstance(schema, str) and schema not in _AVRO_PRIMITIVES:
                schema = self.named.get(schema, next((s for n, s in self.named.items()
                                                      if n.rpartition(".")[2] == schema), schema))
                if isinstance(schema, str):
                    return None
            elif isinstance(schema, Mapping) and isinstance(schema.get("type"), (Mapping, list, str)) \
                    and schema.get("type") not in ("record", "error", "enum", "fixed", "array", "map"):
                schema = schema["type"]
            else:
                return schema

    def _plan(self, schema: Any, here: _Here, chosen: bool) -> _Plan | None:
        """The plan of `schema` inside field `here`, which the rule selects (`chosen`) or not; None:
        nothing to visit."""
        schema = self._resolve(schema)
        if isinstance(schema, list):
            return self._union(schema, here, chosen)
        kind = schema if isinstance(schema, str) else (schema or {}).get("type")
        if kind in ("record", "error"):
            return self._record(schema)
        if kind in ("array", "map"):
            inner = self._plan(schema.get("items" if kind == "array" else "values"), here, chosen)
            if inner is None:
                return None
            return _items(inner) if kind == "array" else _values(inner)
        if kind in _AVRO_PRIMITIVES and chosen and here is not None:
            field = Field(here[0], here[1], _AVRO_PRIMITIVES[kind], here[2])
            return lambda v, c, out: out.append((field, v, c))
        return None

    def _union(self, union: list[Any], here: _Here, chosen: bool) -> _Plan | None:
        branches = []
        for branch in union:
            resolved = self._resolve(branch)
            kind = resolved if isinstance(resolved, str) else (resolved or {}).get("type")
            branches.append((kind, self._plan(branch, here, chosen)))
        if all(plan is None for _, plan in branches):
            return None

        accepts = [(_ACCEPTS.get(kind, _never), plan) for kind, plan in branches]

        def visit(v: Any, c: Any, out: list) -> None:
            for accept, plan in accepts:
                if accept(v):
                    if plan is not None:
                        plan(v, c, out)
                    return

        return visit

    def _record(self, schema: Mapping[str, Any]) -> _Plan:
        key = id(schema)
        if key in self.records:  # a recursive type: its plan, once built
            return lambda v, c, out: self.records[key](v, c, out)
        self.records[key] = lambda v, c, out: None
        full = self.full_names.get(key, str(schema.get("name")))
        fields = []
        for field in schema.get("fields") or []:
            name = field.get("name")
            full_name = f"{full}.{name}"
            tags = set(field.get("confluent:tags") or ()) | self.glob_tags(full_name)
            plan = self._plan(field.get("type"), (full_name, name, tuple(sorted(tags))), self.selected(tags))
            if plan is not None:
                fields.append((name, plan))

        def visit(v: Any, c: Any, out: list) -> None:
            if isinstance(v, Mapping):
                for name, plan in fields:
                    if name in v:
                        plan(v[name], v, out)

        self.records[key] = visit
        return visit


def _items(inner: _Plan) -> _Plan:
    def visit(v: Any, c: Any, out: list) -> None:
        if type(v) is list:
            for x in v:
                inner(x, c, out)

    return visit


def _values(inner: _Plan) -> _Plan:
    def visit(v: Any, c: Any, out: list) -> None:
        if isinstance(v, Mapping):
            for x in v.values():
                inner(x, c, out)

    return visit


def _never(value: Any) -> bool:
    return False


def _is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


#: Which union branch a decoded value belongs to (the first that accepts it, as fastavro writes it).
_ACCEPTS: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None, "boolean": lambda v: type(v) is bool, "int": lambda v: type(v) is int,
    "long": lambda v: type(v) is int, "float": lambda v: type(v) in (int, float),
    "double": lambda v: type(v) in (int, float), "string": lambda v: type(v) is str,
    "bytes": lambda v: type(v) is bytes, "enum": lambda v: type(v) is str, "fixed": lambda v: type(v) is bytes,
    "record": _is_mapping, "error": _is_mapping, "map": _is_mapping, "array": lambda v: type(v) is list,
}


class _JsonWalk:
    def __init__(self, schema: Any, selected: Callable[[set[str]], bool], glob_tags: Callable[[str], set[str]]
                 ) -> None:
        self.root = schema
        self.selected = selected
        self.glob_tags = glob_tags
        self.tags: dict[str, set[str]] = {}
        self.fields: dict[tuple[str, str], Field | None] = {}

    def walk(self, record: Mapping[str, Any]) -> Iterator[Visit]:
        yield from self._value(self.root, record, "$", None, 0)

    def _ref(self, schema: Any) -> Any:
        for _ in range(32):
            ref = schema.get("$ref") if isinstance(schema, Mapping) else None
            if not isinstance(ref, str) or not ref.startswith("#"):
                return schema
            target: Any = self.root
            for part in filter(None, ref[1:].split("/")):
                target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, Mapping) else None
            schema = target
        return None

    def _value(self, schema: Any, value: Any, path: str, field: tuple[str, str, set[str], Mapping[str, Any]] | None,
               depth: int) -> Iterator[Visit]:
        schema = self._ref(schema)
        if value is None or not isinstance(schema, Mapping) or depth > 64:
            return
        for key in ("allOf", "oneOf", "anyOf"):
            if isinstance(schema.get(key), list):
                branches = schema[key] if key == "allOf" else schema[key][:1]
                for branch in branches:
                    yield from self._value(branch, value, path, field, depth + 1)
                return
        props = schema.get("properties")
        if isinstance(props, Mapping) and isinstance(value, Mapping):
            for name, sub in props.items():
                if isinstance(sub, Mapping) and value.get(name) is not None:
                    full_name = f"{path}.{name}"
                    tags = self.tags.get(full_name)
                    if tags is None:
                        inline = self._ref(sub)
                        tags = self.tags[full_name] = set(inline.get("confluent:tags") or ()) \
                            if isinstance(inline, Mapping) else set()
                        tags |= self.glob_tags(full_name)
                    yield from self._value(sub, value[name], full_name, (full_name, name, tags, value), depth + 1)
            return
        if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
            for item in value:
                yield from self._value(schema["items"], item, path, field, depth + 1)
            return
        type_name = _json_type(schema, value)
        if type_name is not None and field is not None:
            full_name, name, tags, containing = field
            key = (full_name, type_name)
            if key not in self.fields:
                self.fields[key] = Field(full_name, name, type_name, tuple(sorted(tags))) if self.selected(tags) else None
            if self.fields[key] is not None:
                yield self.fields[key], value, containing


def _json_type(schema: Mapping[str, Any], value: Any) -> str | None:
    if schema.get("const") is not None or schema.get("enum") is not None:
        return "ENUM"
    kind = schema.get("type")
    if isinstance(kind, list):
        t = type(value)
        kind = next((k for k in kind if (k == "string" and t is str) or (k == "boolean" and t is bool)
                     or (k == "integer" and t is int) or (k == "number" and t in (int, float))), None)
    return _JSON_TYPES.get(kind) if isinstance(kind, str) else None

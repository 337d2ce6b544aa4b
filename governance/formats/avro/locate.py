"""Where in an .avsc a field is defined: a field path (`address.zip`) or JSON pointer to a line."""

from __future__ import annotations

import bisect
import json
import re
from json.decoder import scanstring
from typing import Any

from governance.avro import ParsedSchema
from governance.avro.findings import READER_FIELD_MISSING_DEFAULT_VALUE
from governance.avro.model import Array, Map, Node, Record, Union
from governance.errors import InvalidSchemaError

_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = json.JSONDecoder()


class _Obj(dict):
    """A JSON object that remembers the line it starts on, and the line and offset of each key."""

    line: int
    key_lines: dict[str, int]
    key_offsets: dict[str, int]


class _Arr(list):
    line: int
    offsets: list[int]


class Positions:
    """A JSON text parsed with line numbers, asked about field paths and pointers."""

    def __init__(self, text: str) -> None:
        self._newlines = [i for i, c in enumerate(text) if c == "\n"]
        self._start = _WS.match(text, 0).end()
        try:
            self.tree: Any = self._value(text, self._start)[0]
        except (ValueError, IndexError):
            self.tree = None

    def _line(self, offset: int) -> int:
        return bisect.bisect_left(self._newlines, offset) + 1

    def _value(self, s: str, i: int) -> tuple[Any, int]:
        c = s[i]
        if c == "{":
            obj = _Obj()
            obj.line, obj.key_lines, obj.key_offsets = self._line(i), {}, {}
            i = _WS.match(s, i + 1).end()
            if s[i] == "}":
                return obj, i + 1
            while True:
                key_at = i
                key, i = scanstring(s, i + 1)
                i = _WS.match(s, i).end() + 1  # past ':'
                value, i = self._value(s, _WS.match(s, i).end())
                obj[key], obj.key_lines[key], obj.key_offsets[key] = value, self._line(key_at), key_at
                i = _WS.match(s, i).end()
                if s[i] == "}":
                    return obj, i + 1
                i = _WS.match(s, i + 1).end()
        if c == "[":
            arr = _Arr()
            arr.line, arr.offsets = self._line(i), []
            i = _WS.match(s, i + 1).end()
            if s[i] == "]":
                return arr, i + 1
            while True:
                arr.offsets.append(i)
                value, i = self._value(s, i)
                arr.append(value)
                i = _WS.match(s, i).end()
                if s[i] == "]":
                    return arr, i + 1
                i = _WS.match(s, i + 1).end()
        if c == '"':
            return scanstring(s, i + 1)
        return _SCALAR.raw_decode(s, i)

    def pointer_position(self, pointer: str) -> tuple[int, int]:
        """Line and column of the deepest part of a JSON pointer (/fields/2/name) found in the text:
        a key where the pointer ends at one, an array element's first character; (1, 1) if none."""
        node, offset = self.tree, self._start
        for token in (t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]):
            if isinstance(node, _Obj) and token in node:
                node, offset = node[token], node.key_offsets[token]
            elif isinstance(node, _Arr) and token.isdigit() and int(token) < len(node):
                node, offset = node[int(token)], node.offsets[int(token)]
            else:
                break
        line = self._line(offset)
        return line, offset - (self._newlines[line - 2] if line > 1 else -1)

    def field_line(self, field_path: str) -> int:
        """The line defining the deepest field of `field_path` that exists in this schema (1 if none)."""
        if not field_path or self.tree is None:
            return _line_of(self.tree)
        named: dict[str, Any] = {}
        _collect_named(self.tree, named)
        best = _line_of(self.tree)
        nodes = [self.tree]
        for name in field_path.split("."):
            found = None
            records = [r for node in nodes for r in _records(node, named, set())]
            for record in records:
                for f in record.get("fields", []) if isinstance(record.get("fields"), list) else []:
                    if isinstance(f, dict) and f.get("name") == name:
                        found = f
                        break
                if found is not None:
                    break
            if found is None:
                # A field that is not here (removed): point at the list it was removed from.
                return records[0].key_lines.get("fields", best) if records and isinstance(records[0], _Obj) else best
            best = found.line
            nodes = [found.get("type")]
        return best

    def pointer_field_path(self, pointer: str) -> str:
        """The dotted field path a JSON pointer such as /fields/3/type/fields/0 goes through."""
        node, names = self.tree, []
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
        for i, token in enumerate(tokens):
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
                if i > 0 and tokens[i - 1] == "fields" and isinstance(node, dict) and isinstance(node.get("name"), str):
                    names.append(node["name"])
            else:
                break
        return ".".join(names)


def _line_of(node: Any, default: int = 1) -> int:
    return getattr(node, "line", default)


def _collect_named(node: Any, out: dict[str, Any]) -> None:
    if isinstance(node, list):
        for n in node:
            _collect_named(n, out)
    elif isinstance(node, dict):
        if isinstance(node.get("name"), str) and node.get("type") in ("record", "error", "enum", "fixed"):
            out.setdefault(node["name"].rsplit(".", 1)[-1], node)
        for key in ("type", "fields", "items", "values"):
            if key in node:
                _collect_named(node[key], out)


def _records(node: Any, named: dict[str, Any], seen: set[int]) -> list[dict[str, Any]]:
    """Records reachable from a field type through unions, arrays, maps and named references."""
    if isinstance(node, str):
        target = named.get(node.rsplit(".", 1)[-1])
        return _records(target, named, seen) if target is not None and id(target) not in seen else []
    if isinstance(node, list):
        return [r for n in node for r in _records(n, named, seen)]
    if isinstance(node, dict):
        if id(node) in seen:
            return []
        seen.add(id(node))
        kind = node.get("type")
        if kind in ("record", "error"):
            return [node]
        if kind == "array":
            return _records(node.get("items"), named, seen)
        if kind == "map":
            return _records(node.get("values"), named, seen)
        if isinstance(kind, (dict, list)):
            return _records(kind, named, seen)
    return []


def quoted_name_line(text: str, message: str) -> int | None:
    """For an Avro error naming a field ('field "email" of ...'), the first line mentioning that name."""
    m = re.search(r'"([^"]+)"', message)
    if not m:
        return None
    at = text.find(f'"{m.group(1)}"')
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def tree_field_path(root: Node, pointer: str) -> str:
    """The dotted field path a JSON pointer goes through in a parsed schema, into the types it takes
    from references too (which its text does not spell out)."""
    node: Node | None = root
    names: list[str] = []
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    i = 0
    while i < len(tokens) and node is not None:
        token, following = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else ""
        if isinstance(node, Record) and token == "fields" and following.isdigit() and int(following) < len(node.fields):
            field = node.fields[int(following)]
            names.append(field.name)
            node, i = (field.type, i + 3) if tokens[i + 2:i + 3] == ["type"] else (None, i + 2)
        elif isinstance(node, Union) and token.isdigit() and int(token) < len(node.branches):
            node, i = node.branches[int(token)], i + 1
        elif isinstance(node, Array) and token == "items":
            node, i = node.items, i + 1
        elif isinstance(node, Map) and token == "values":
            node, i = node.values, i + 1
        else:
            break
    return ".".join(names)


class AvroLocator:
    """The seam's Locator (formats.base) for an Avro schema's text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.positions = Positions(text)

    def field_line(self, field_path: str) -> int:
        return self.positions.field_line(field_path)

    def error_position(self, error: InvalidSchemaError) -> tuple[int, int]:
        """The value the error's pointer names, else the first line quoting the name its message names."""
        if error.pointer is not None:
            return self.positions.pointer_position(error.pointer)
        return quoted_name_line(self.text, error.message) or 1, 1

    def finding_path(self, finding_type: str, location: str, info: str, schema: ParsedSchema | None) -> str:
        # The parsed schema first: the text does not spell out the types it takes from references.
        return ((tree_field_path(schema.root, location) if schema is not None else "")
                or self.positions.pointer_field_path(location)
                or (info if finding_type == READER_FIELD_MISSING_DEFAULT_VALUE else ""))

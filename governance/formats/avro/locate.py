"""Where in an .avsc a field is defined: a field path (`address.zip`) or JSON pointer to a line."""

from __future__ import annotations

import re
from typing import Any

from governance.avro import ParsedSchema
from governance.avro.findings import READER_FIELD_MISSING_DEFAULT_VALUE
from governance.avro.model import Array, Map, Node, Record, Union
from governance.errors import InvalidSchemaError
from governance.json_positions import JsonObject, Positions, line_column


class AvroText(Positions):
    """An .avsc's JSON text parsed with places, asked about field paths and pointers."""

    def pointer_position(self, pointer: str) -> tuple[int, int]:
        """Line and column of the deepest part of a JSON pointer (/fields/2/name) found in the text:
        a key where the pointer ends at one, an array element's first character; (1, 1) if none."""
        _, offset = self.deepest(t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:])
        return self.line(offset), self.column(offset)

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
                return records[0].key_lines.get("fields", best) if records and isinstance(records[0], JsonObject) else best
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
    return line_column(text, at)[0] if at >= 0 else None


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
        self.positions = AvroText(text)

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

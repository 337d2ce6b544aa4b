"""JSON text with places: the line and offset of every object, array element and key, and a line and
column from an offset. One reader for the Avro and the JSON Schema locators."""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable
from json.decoder import scanstring
from typing import Any

_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = json.JSONDecoder()


class JsonObject(dict):
    """A JSON object that remembers the line it starts on, and the line and offset of each key."""

    line: int
    key_lines: dict[str, int]
    key_offsets: dict[str, int]


class JsonArray(list):
    """A JSON array that remembers the line it starts on, and the line and offset of each element."""

    line: int
    lines: list[int]
    offsets: list[int]


def line_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of `offset` in `text`."""
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


class Positions:
    """A JSON text parsed with places; `tree` is None where the text is not JSON."""

    def __init__(self, text: str) -> None:
        self._newlines = [i for i, c in enumerate(text) if c == "\n"]
        self.start = _WS.match(text, 0).end()
        try:
            self.tree: Any = self._value(text, self.start)[0]
        except (ValueError, IndexError, RecursionError):
            self.tree = None

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self._newlines, offset) + 1

    def column(self, offset: int) -> int:
        line = self.line(offset)
        return offset - (self._newlines[line - 2] if line > 1 else -1)

    def deepest(self, tokens: Iterable[str]) -> tuple[Any, int]:
        """The deepest value along a JSON pointer's (unescaped) tokens that the text has, and its offset:
        a key's where the value is an object member's, an element's own in an array; the text's start if none."""
        node, offset = self.tree, self.start
        for token in tokens:
            if isinstance(node, JsonObject) and token in node:
                node, offset = node[token], node.key_offsets[token]
            elif isinstance(node, JsonArray) and token.isdigit() and int(token) < len(node):
                node, offset = node[int(token)], node.offsets[int(token)]
            else:
                break
        return node, offset

    def _value(self, s: str, i: int) -> tuple[Any, int]:
        c = s[i]
        if c == "{":
            obj = JsonObject()
            obj.line, obj.key_lines, obj.key_offsets = self.line(i), {}, {}
            i = _WS.match(s, i + 1).end()
            if s[i] == "}":
                return obj, i + 1
            while True:
                key_at = i
                key, i = scanstring(s, i + 1)
                i = _WS.match(s, i).end() + 1  # past ':'
                value, i = self._value(s, _WS.match(s, i).end())
                obj[key], obj.key_lines[key], obj.key_offsets[key] = value, self.line(key_at), key_at
                i = _WS.match(s, i).end()
                if s[i] == "}":
                    return obj, i + 1
                i = _WS.match(s, i + 1).end()
        if c == "[":
            arr = JsonArray()
            arr.line, arr.lines, arr.offsets = self.line(i), [], []
            i = _WS.match(s, i + 1).end()
            if s[i] == "]":
                return arr, i + 1
            while True:
                arr.lines.append(self.line(i))
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

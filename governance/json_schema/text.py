"""JSON text with places: parsing with a clear error, and the line of a key or of a JSON pointer."""

from __future__ import annotations

import bisect
import json
import re
from json.decoder import scanstring
from typing import Any

from governance.json_schema.errors import InvalidJsonSchemaError

_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = json.JSONDecoder()


def load(text: str, file: str = "") -> Any:
    """The JSON value of `text`; InvalidJsonSchemaError with the line and column where it stops being JSON.
    NaN, Infinity and numbers too large for a double are not JSON numbers (no other reader would take them)."""
    try:
        return json.loads(text, parse_constant=_not_a_number, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise InvalidJsonSchemaError(f"the text is not JSON: {exc.msg}", exc.lineno, exc.colno, file=file) from None
    except _NotANumber as exc:
        at = text.find(exc.token)
        line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
        raise InvalidJsonSchemaError(f"the text is not JSON: {exc.token} is not a JSON number", line, column,
                                     file=file) from None
    except RecursionError:
        raise InvalidJsonSchemaError("the schema nests too deeply to be read", file=file) from None


class _NotANumber(ValueError):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def _not_a_number(token: str) -> Any:
    raise _NotANumber(token)


def _finite(token: str) -> float:
    value = float(token)
    if value in (float("inf"), float("-inf")):
        raise _NotANumber(token)
    return value


class JsonObject(dict):
    """A JSON object that remembers the line it starts on and the line of each key."""

    line: int
    key_lines: dict[str, int]


class JsonArray(list):
    """A JSON array that remembers the line it starts on and the line of each element."""

    line: int
    lines: list[int]


class Positions:
    """A JSON text parsed with the line of every object, array element and key."""

    def __init__(self, text: str) -> None:
        self._newlines = [i for i, c in enumerate(text) if c == "\n"]
        try:
            self.tree: Any = self._value(text, _WS.match(text, 0).end())[0]
        except (ValueError, IndexError, RecursionError):
            self.tree = None

    def _line(self, offset: int) -> int:
        return bisect.bisect_left(self._newlines, offset) + 1

    def _value(self, s: str, i: int) -> tuple[Any, int]:
        c = s[i]
        if c == "{":
            obj = JsonObject()
            obj.line, obj.key_lines = self._line(i), {}
            i = _WS.match(s, i + 1).end()
            if s[i] == "}":
                return obj, i + 1
            while True:
                key_at = i
                key, i = scanstring(s, i + 1)
                i = _WS.match(s, i).end() + 1
                value, i = self._value(s, _WS.match(s, i).end())
                obj[key], obj.key_lines[key] = value, self._line(key_at)
                i = _WS.match(s, i).end()
                if s[i] == "}":
                    return obj, i + 1
                i = _WS.match(s, i + 1).end()
        if c == "[":
            arr = JsonArray()
            arr.line, arr.lines = self._line(i), []
            i = _WS.match(s, i + 1).end()
            if s[i] == "]":
                return arr, i + 1
            while True:
                arr.lines.append(self._line(i))
                value, i = self._value(s, i)
                arr.append(value)
                i = _WS.match(s, i).end()
                if s[i] == "]":
                    return arr, i + 1
                i = _WS.match(s, i + 1).end()
        return _SCALAR.raw_decode(s, i)

    def pointer_line(self, pointer: str) -> int:
        """The line of the deepest value of `pointer` ("#/properties/a" or "/properties/a") that exists; 1 if none."""
        node, line = self.tree, 1
        if isinstance(node, (JsonObject, JsonArray)):
            line = node.line
        for token in split_pointer(pointer):
            if isinstance(node, JsonObject) and token in node:
                line, node = node.key_lines[token], node[token]
            elif isinstance(node, JsonArray) and token.isdigit() and int(token) < len(node):
                line, node = node.lines[int(token)], node[int(token)]
            else:
                break
        return line


def split_pointer(pointer: str) -> list[str]:
    """The unescaped tokens of a JSON pointer, with or without the leading '#'."""
    body = pointer[1:] if pointer.startswith("#") else pointer
    return [t.replace("~1", "/").replace("~0", "~") for t in body.split("/")[1:]] if body else []


def join_pointer(tokens: list[str] | tuple[str, ...]) -> str:
    return "#/" + "/".join(str(t).replace("~", "~0").replace("/", "~1") for t in tokens)

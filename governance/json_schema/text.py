"""JSON text with places: parsing with a clear error, and the line of a key or of a JSON pointer."""

from __future__ import annotations

import json
from typing import Any

from governance.json_schema.errors import InvalidJsonSchemaError
from governance.json_positions import JsonArray, JsonObject, Positions, line_column


def load(text: str, file: str = "") -> Any:
    """The JSON value of `text`; InvalidJsonSchemaError with the line and column where it stops being JSON.
    NaN, Infinity and numbers too large for a double are not JSON numbers (no other reader would take them)."""
    try:
        return json.loads(text, parse_constant=_not_a_number, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise InvalidJsonSchemaError(f"the text is not JSON: {exc.msg}", exc.lineno, exc.colno, file=file) from None
    except _NotANumber as exc:
        line, column = line_column(text, text.find(exc.token))
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


def pointer_line(text: str, pointer: str) -> int:
    """The line of the deepest value of `pointer` ("#/properties/a" or "/properties/a") that exists; 1 if none."""
    positions = Positions(text)
    if not isinstance(positions.tree, (JsonObject, JsonArray)):
        return 1
    return positions.line(positions.deepest(split_pointer(pointer))[1])


def split_pointer(pointer: str) -> list[str]:
    """The unescaped tokens of a JSON pointer, with or without the leading '#'."""
    body = pointer[1:] if pointer.startswith("#") else pointer
    return [t.replace("~1", "/").replace("~0", "~") for t in body.split("/")[1:]] if body else []


def join_pointer(tokens: list[str] | tuple[str, ...]) -> str:
    return "#/" + "/".join(str(t).replace("~", "~0").replace("/", "~1") for t in tokens)

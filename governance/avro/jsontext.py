"""JSON in and out: strict loading with positions, and compact output as Avro Java writes it.

Avro Java writes schemas through Jackson. To match its text we write doubles
the way Java's `Double.toString` does (`1.0E10`, `1.0E-4`) and escape control
characters with upper-case hex (`\\u001F`), as Jackson does.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from governance.errors import InvalidSchemaError


class _NotJson(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON value")


def load(text: str) -> Any:
    """Parse JSON text; malformed text raises InvalidSchemaError with its line and column."""
    if not isinstance(text, str):
        raise InvalidSchemaError(f"schema must be JSON text, not {type(text).__name__}")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise InvalidSchemaError(
            f"schema is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}", e.lineno, e.colno
        ) from None
    except _NotJson as e:
        raise InvalidSchemaError(f"schema is not valid JSON: {e}") from None


_LOWER_HEX_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9a-f]{4})")


_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def dump_string(text: str) -> str:
    if _NEEDS_ESCAPE.search(text) is None:
        return f'"{text}"'
    out = json.dumps(text, ensure_ascii=False)
    if "\\u" in out:
        out = _LOWER_HEX_ESCAPE.sub(lambda m: m.group(1) + "\\u" + m.group(2).upper(), out)
    return out


def java_double(x: float) -> str:
    """Java's Double.toString: plain between 1e-3 and 1e7, else scientific like 1.0E10."""
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"{x} has no JSON form")
    if x == 0:
        return "-0.0" if str(x).startswith("-") else "0.0"
    sign = "-" if x < 0 else ""
    shortest = Decimal(repr(abs(x))).as_tuple()
    exponent = len(shortest.digits) + int(shortest.exponent) - 1
    digits = "".join(map(str, shortest.digits)).rstrip("0")
    if -3 <= exponent < 7:
        if exponent >= 0:
            whole = digits[: exponent + 1].ljust(exponent + 1, "0")
            frac = digits[exponent + 1:] or "0"
        else:
            whole, frac = "0", "0" * (-exponent - 1) + digits
        return f"{sign}{whole}.{frac}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exponent}"


def dump(value: Any) -> str:
    """Compact JSON with object keys sorted, so equal values always give equal text."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return dump_string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{dump_string(k)}:{dump(value[k])}" for k in sorted(value)) + "}"
    raise TypeError(f"not a JSON value: {value!r}")

"""Request bodies of the registry API, checked once and turned into typed objects."""

from __future__ import annotations

import json
import math
from typing import Any

from governance.formats import DEFAULT_TYPE, SCHEMA_TYPES
from governance.registry import errors
from governance.registry.submission import SchemaRequest, lone_surrogate

MAX_VERSION = 2**31 - 1


def parse_json_body(body: bytes) -> Any:
    """A request body as strict JSON: no NaN or Infinity, no nesting past Python's
    limit, and only strings of Unicode characters (no lone UTF-16 surrogates such as
    "\\udc00", which could be neither stored as UTF-8 nor sent back)."""
    if not body.strip():
        raise errors.bad_request("The request body is empty; send a JSON object")
    try:
        value = json.loads(body, parse_constant=_not_a_number, parse_float=_finite_float)
    except RecursionError:
        raise errors.malformed_json("it is nested too deeply") from None
    except ValueError as exc:
        raise errors.malformed_json(str(exc)) from None
    if (surrogate := lone_surrogate(value)) is not None:
        raise errors.malformed_json(
            f"a string holds the lone UTF-16 surrogate \\u{ord(surrogate):04x}, which is not a Unicode character"
        )
    return value


def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"the number {text} is out of range")
    return number


def parse_schema_request(body: Any) -> SchemaRequest:
    """A register / lookup / compatibility request body, checked: errors are Confluent's 422s."""
    if not isinstance(body, dict):
        raise errors.bad_request("The request body must be a JSON object with a \"schema\" string")
    schema = body.get("schema")
    if not isinstance(schema, str):
        raise errors.invalid_schema("the \"schema\" field is missing or is not a string")
    schema_type = body.get("schemaType") or DEFAULT_TYPE
    if schema_type not in SCHEMA_TYPES:
        raise errors.invalid_schema(f"unsupported schema type {schema_type!r}; this registry serves {', '.join(SCHEMA_TYPES)}")
    references = body.get("references") or []
    if not isinstance(references, list) or not all(_is_reference(r) for r in references):
        raise errors.invalid_schema(
            "\"references\" must be a list of {\"name\": str, \"subject\": str, \"version\": int}"
        )
    for name in ("metadata", "ruleSet"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            raise errors.invalid_schema(f"\"{name}\" must be a JSON object")
    return SchemaRequest(
        schema=schema,
        schema_type=schema_type,
        references=[{"name": r["name"], "subject": r["subject"], "version": r["version"]} for r in references],
        metadata=body.get("metadata"),
        rule_set=body.get("ruleSet"),
        id=_optional_positive_int(body, "id"),
        version=_optional_positive_int(body, "version"),
    )


def _is_reference(ref: Any) -> bool:
    return (
        isinstance(ref, dict)
        and isinstance(ref.get("name"), str)
        and isinstance(ref.get("subject"), str)
        and isinstance(ref.get("version"), int)
        and not isinstance(ref.get("version"), bool)
    )


def _optional_positive_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None or (name == "version" and value == -1):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_VERSION:
        raise errors.bad_request(f"\"{name}\" must be a positive integer, not {value!r}")
    return value


def parse_version(text: str) -> int | None:
    """A version id from a path: a number in [1, 2^31-1], or `latest`/-1 (None)."""
    if text == "latest" or text == "-1":
        return None
    if not (text.isascii() and text.isdigit()):
        raise errors.invalid_version(text)
    version = int(text)
    if not 0 < version <= MAX_VERSION:
        raise errors.invalid_version(text)
    return version


def parse_bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() == "true"

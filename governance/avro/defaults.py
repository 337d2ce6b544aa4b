"""Whether a field's default value fits its type (spec, "Complex Types: Records", default table)."""

from __future__ import annotations

from typing import Any

from governance.avro.jsontext import dump
from governance.avro.model import Array, Enum, Map, Node, Record, Union, describe

_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_HINT = {
    "bytes": "bytes defaults are JSON strings",
    "fixed": "fixed defaults are JSON strings",
}


def problem(node: Node, value: Any) -> str | None:
    """None when `value` is a valid default for `node`, else what is wrong ("" when it is simply the wrong kind)."""
    kind = node.kind
    if isinstance(node, Union):
        if not node.branches:
            return "an empty union has no values"
        first = node.branches[0]
        inner = problem(first, value)
        if inner is None:
            return None
        return f"a union's default must match its first branch, {describe(first)}" + (f" ({inner})" if inner else "")
    if kind == "null":
        return None if value is None else ""
    if kind == "boolean":
        return None if isinstance(value, bool) else ""
    if kind in _RANGES:
        if not isinstance(value, int) or isinstance(value, bool):
            return ""
        low, high = _RANGES[kind]
        return None if low <= value <= high else f"{value} is outside the {kind} range {low}..{high}"
    if kind in ("float", "double"):
        return None if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
    if kind in ("bytes", "string", "fixed"):
        return None if isinstance(value, str) else ""
    if isinstance(node, Enum):
        if not isinstance(value, str):
            return ""
        return None if value in node.symbol_set else f"{dump(value)} is not one of the symbols {', '.join(node.symbols)}"
    if isinstance(node, Array):
        if not isinstance(value, list):
            return ""
        for i, item in enumerate(value):
            inner = problem(node.items, item)
            if inner is not None:
                return _explain(f"item {i}", item, node.items, inner)
        return None
    if isinstance(node, Map):
        if not isinstance(value, dict):
            return ""
        for key, item in value.items():
            inner = problem(node.values, item)
            if inner is not None:
                return _explain(f"value {dump(key)}", item, node.values, inner)
        return None
    if isinstance(node, Record):
        if not isinstance(value, dict):
            return ""
        for field in node.fields:
            if field.name in value:
                inner = problem(field.type, value[field.name])
                if inner is not None:
                    return _explain(f'field "{field.name}"', value[field.name], field.type, inner)
            elif not field.has_default:
                return f'field "{field.name}" is missing and has no default of its own'
        return None
    raise AssertionError(f"unknown node kind {kind}")


def _explain(what: str, value: Any, node: Node, inner: str) -> str:
    return f"{what} is {dump(value)}, which does not match {describe(node)}" + (f" ({inner})" if inner else "")


def mismatch_message(value: Any, node: Node, reason: str) -> str:
    text = f'default {dump(value)} does not match type "{describe(node)}"'
    if reason:
        return f"{text}: {reason}"
    hint = _HINT.get(node.kind)
    return f"{text} ({hint})" if hint else text

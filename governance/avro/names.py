"""Avro names: what a valid name is and how full names are formed (spec, "Names")."""

from __future__ import annotations

import re

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

NAME_RULE = "names must start with a letter or underscore and contain only letters, digits and underscores"


def is_valid_name(text: str) -> bool:
    return _NAME.match(text) is not None


def is_valid_fullname(text: str) -> bool:
    return all(_NAME.match(part) for part in text.split("."))


def split(fullname: str) -> tuple[str | None, str]:
    """(namespace or None, unqualified name) of a full name."""
    space, dot, name = fullname.rpartition(".")
    return (space if dot else None), name


def qualify(name: str, namespace: str | None) -> str:
    """The full name `name` stands for inside `namespace`: a dotted name is already full."""
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


def short(name: str) -> str:
    return name.rpartition(".")[2]

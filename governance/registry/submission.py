"""A schema as a client submits it (to register, look up or check): the registry
service's input, independent of the HTTP layer that parses it (`requests.py`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class SchemaRequest:
    schema: str
    schema_type: str = "AVRO"
    references: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    rule_set: dict[str, Any] | None = None
    id: int | None = None
    version: int | None = None


def lone_surrogate(value: Any) -> str | None:
    """The first lone surrogate in any string (or object key) within `value`, if any."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if (found := _SURROGATE.search(item)) is not None:
                return found.group()
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return None

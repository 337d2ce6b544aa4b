"""The texts a registered schema's references name, fetched from the registry (theirs too)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from governance.registry.client import subject_path


def referenced_texts(get: Callable[[str], Any], references: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Reference name (an Avro type's full name, a `.proto` import path) -> the schema text it names,
    through references of references, each after the ones it references (fastavro needs them so).
    `get(path)` answers a registry GET; soft-deleted versions still resolve, as in Confluent (a
    version in use as a reference stays readable)."""
    texts: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()

    def visit(level: Iterable[Mapping[str, Any]]) -> None:
        for reference in level:
            key = (str(reference.get("subject")), str(reference.get("version", "latest")))
            if key in seen:
                continue
            seen.add(key)
            answer = get(f"/subjects/{subject_path(key[0])}/versions/{key[1]}?deleted=true")
            visit(answer.get("references") or [])
            if "schema" in answer:
                texts[str(reference.get("name") or f"{key[0]}/{key[1]}")] = answer["schema"]

    visit(references)
    return texts

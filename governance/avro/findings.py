"""Compatibility findings and how they are told to people.

The checker produces findings without knowing which registered version or
direction they concern; `Finding.in_context` rewrites the sentence once that
is known. Two readers are served: people get `message`, a plain sentence
naming the field, what changed and the consequence; tools that parse
Confluent's verbose messages get `confluent_message()`, Confluent's entry
(Difference.error()) alone; the registry lists the two as separate entries
(governance.registry.answers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from governance.compat import BACKWARD, BaseFinding

NAME_MISMATCH = "NAME_MISMATCH"
FIXED_SIZE_MISMATCH = "FIXED_SIZE_MISMATCH"
MISSING_ENUM_SYMBOLS = "MISSING_ENUM_SYMBOLS"
READER_FIELD_MISSING_DEFAULT_VALUE = "READER_FIELD_MISSING_DEFAULT_VALUE"
TYPE_MISMATCH = "TYPE_MISMATCH"
MISSING_UNION_BRANCH = "MISSING_UNION_BRANCH"

@dataclass(frozen=True)
class Finding(BaseFinding):
    """One reason a reader schema cannot read what a writer schema writes.

    `details` holds what was compared (type descriptions, names, symbols) as
    strings, which is what the sentence is built from.
    """

    additional_info: str = ""
    details: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def sentence(self) -> str:
        return _sentence(self)

    def confluent_message(self) -> str:
        """Confluent's `{errorType:'...', description:'...', additionalInfo:'...'}` for this finding."""
        reader, writer = self.update_and_original
        description = _CONFLUENT[self.type].format(path=self.location, info=self.additional_info, reader=reader, writer=writer)
        return f"{{errorType:'{self.type}', description:'{description}', additionalInfo:'{self.additional_info}'}}"


_CONFLUENT = {
    NAME_MISMATCH: "The name of the schema has changed (path '{path}')",
    FIXED_SIZE_MISMATCH: "The size of FIXED type field at path '{path}' in the {reader} schema does not match with the {writer} schema",
    MISSING_ENUM_SYMBOLS: "The {reader} schema is missing enum symbols '{info}' at path '{path}' in the {writer} schema",
    READER_FIELD_MISSING_DEFAULT_VALUE: "The field '{info}' at path '{path}' in the {reader} schema has no default value and is missing in the {writer} schema",
    TYPE_MISMATCH: "The type (path '{path}') of a field in the {reader} schema does not match with the {writer} schema",
    MISSING_UNION_BRANCH: "The {reader} schema is missing a type inside a union field at path '{path}' in the {writer} schema",
}

_CONTAINERS = {"items": "the array items", "values": "the map values"}


def make(type_: str, location: tuple[str, ...], path: tuple[str, ...], info: str, details: dict[str, str]) -> Finding:
    """A finding with no version, in the backward direction (reader = new schema)."""
    pointer = "/" + "/".join(token.replace("~", "~0").replace("/", "~1") for token in location)
    details = {**details, "containers": ",".join(_container_tail(location))}
    draft = Finding(type_, pointer, ".".join(path), None, BACKWARD, "", info, details)
    return replace(draft, message=_sentence(draft))


def _container_tail(location: tuple[str, ...]) -> list[str]:
    """The array/map steps between the innermost field and the finding, outermost first."""
    tail: list[str] = []
    for token in location:
        if token == "fields":
            tail = []
        elif token in _CONTAINERS:
            tail.append(token)
    return tail


def _where(finding: Finding) -> str:
    """"field `a.b`", "the array items of field `a`", or "the top-level schema"."""
    containers = [_CONTAINERS[t] for t in finding.details.get("containers", "").split(",") if t]
    base = f"field `{finding.field_path}`" if finding.field_path else "the top-level schema"
    if not containers:
        return base
    return " of ".join([*reversed(containers), base])


def _sentence(f: Finding) -> str:
    d = f.details
    backward = f.direction == BACKWARD
    old = f"version {f.version}" if f.version is not None else "the old schema"
    if backward:
        then = f"so records written with {old} cannot be read by the new schema"
        old_side, new_side = d.get("writer", ""), d.get("reader", "")
    else:
        then = f"so records written with the new schema cannot be read by consumers using {old}"
        old_side, new_side = d.get("reader", ""), d.get("writer", "")
    where = _where(f)

    if f.type == READER_FIELD_MISSING_DEFAULT_VALUE:
        if backward:
            return f"field `{f.field_path}` was added without a default, {then}"
        return f"field `{f.field_path}` was removed, and {old} has no default for it, {then}"

    if f.type == TYPE_MISMATCH:
        if "writer_union" in d:
            union, branch, reader = d["writer_union"], d["writer_branch"], d["reader"]
            before, after = (union, reader) if backward else (reader, union)
            return f"{where} changed type from {before} to {after}, and the union's {branch} values cannot be read as {reader}, {then}"
        return f"{where} changed type from {old_side} to {new_side}, {then}"

    if f.type == MISSING_UNION_BRANCH:
        if "writer_branch" in d:
            branch = d["writer_branch"]
            if d.get("branch_changed"):
                reader_side = "the new union" if backward else f"the union in {old}"
                return f"the {branch} branch of the union in {where} changed so that {reader_side} cannot read it, {then}"
            if backward:
                return f"{where} no longer allows {branch} in its union, {then}"
            return f"{where} now allows {branch} in its union, which {old} does not, {then}"
        union, single = d["reader"], d["writer"]
        before, after = (single, union) if backward else (union, single)
        return f"{where} changed type from {before} to {after}, and {union} has no branch that can read {single}, {then}"

    if f.type == MISSING_ENUM_SYMBOLS:
        symbols = d["symbols"]
        plural = "s" if "," in symbols else ""
        enum = f"enum {d['name']} in {where}"
        if backward:
            return f"{enum} dropped symbol{plural} {symbols} and has no default symbol, {then}"
        return f"{enum} added symbol{plural} {symbols}, and {old} has no default symbol to read {'them' if plural else 'it'} as, {then}"

    if f.type == NAME_MISMATCH:
        kind = d["kind"]
        reader_name, writer_name = d["reader_name"], d["writer_name"]
        if backward:
            return f"the {kind} type of {where} was renamed from {writer_name} to {reader_name} without an alias for {writer_name}, {then}"
        return f"the {kind} type of {where} was renamed from {reader_name} to {writer_name}, and {old} has no alias for {writer_name}, {then}"

    if f.type == FIXED_SIZE_MISMATCH:
        old_size, new_size = (d["writer_size"], d["reader_size"]) if backward else (d["reader_size"], d["writer_size"])
        return f"fixed {d['name']} in {where} changed size from {old_size} to {new_size} bytes, {then}"

    raise AssertionError(f"unknown finding type {f.type}")

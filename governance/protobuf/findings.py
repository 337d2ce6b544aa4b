"""Differences between Protobuf schemas and how they are told to people.

`Difference` is one entry of Confluent's `SchemaDiff` (its type names and
`#/Message/number` paths). A difference that breaks compatibility becomes a
`Finding` once the registered version and the direction are known: `message`
is a plain sentence naming the message, field and number, what changed from
the old schema to the new one and the consequence; `confluent_message()` is
Confluent's `{errorType:"...", description:"..."}` entry for tools that parse
Confluent's verbose answers.

The compatible set follows Confluent's SchemaDiff.COMPATIBLE_CHANGES as the
brief and DESIGN.md state it (a package change breaks). Recent Confluent
sources also list PACKAGE_CHANGED as compatible; the one-line change is here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field

from governance.compat import BACKWARD, FORWARD, BaseFinding

COMPATIBLE = frozenset({
    "MESSAGE_ADDED", "MESSAGE_MOVED", "ENUM_ADDED", "ENUM_REMOVED", "ENUM_CONST_ADDED", "ENUM_CONST_CHANGED",
    "ENUM_CONST_REMOVED", "FIELD_ADDED", "FIELD_REMOVED", "FIELD_NAME_CHANGED", "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
    "ONEOF_ADDED", "ONEOF_REMOVED", "ONEOF_FIELD_ADDED",
})

# Confluent's Difference.error(): the first %s names the updated schema's side, the second the original's.
_CONFLUENT = {
    "PACKAGE_CHANGED": "The package at '{path}' in the {upd} schema does not match the package in the {orig} schema",
    "MESSAGE_REMOVED": "The {upd} schema is missing a MESSAGE type at path '{path}' in the {orig} schema",
    "FIELD_KIND_CHANGED": "The type of a field at path '{path}' in the {upd} schema does not match the {orig} schema",
    "FIELD_SCALAR_KIND_CHANGED": "The kind of a SCALAR field at path '{path}' in the {upd} schema does not match its kind in the {orig} schema",
    "FIELD_NAMED_TYPE_CHANGED": "The type of a MESSAGE field at path '{path}' in the {upd} schema does not match its type in the {orig} schema",
    "FIELD_NUMERIC_LABEL_CHANGED": "The label for a NUMERIC field at path '{path}' in the {upd} schema does not match its label in the {orig} schema",
    "REQUIRED_FIELD_ADDED": "A required field  at path '{path}' in the {upd} schema is missing in the {orig} schema",
    "REQUIRED_FIELD_REMOVED": "The {upd} schema is missing a required field at path: '{path}' in the {orig} schema",
    "ONEOF_FIELD_REMOVED": "The {upd} schema is missing a oneof field at path '{path}' in the {orig} schema",
    "MULTIPLE_FIELDS_MOVED_TO_ONEOF": "Multiple fields in the oneof at path '{path}' in the {upd} schema are outside a oneof in the {orig} schema",
    "FIELD_MOVED_TO_EXISTING_ONEOF": "A field in the oneof at path '{path}' in the {upd} schema is outside an existing oneof in the {orig} schema",
}

_WHY = {
    "PACKAGE_CHANGED": "every message's full name changes with it",
    "MESSAGE_REMOVED": "records name their message by its place in the file",
    "FIELD_KIND_CHANGED": "scalars, messages and maps are encoded differently",
    "FIELD_SCALAR_KIND_CHANGED": "the two types are not wire-compatible",
    "FIELD_NAMED_TYPE_CHANGED": "a message field keeps its message type",
    "FIELD_NUMERIC_LABEL_CHANGED": "repeated numbers are packed, so a number cannot change between singular and repeated",
    "REQUIRED_FIELD_ADDED": "a required field must be on every record",
    "REQUIRED_FIELD_REMOVED": "a required field must be on every record",
    "ONEOF_FIELD_REMOVED": "a record holding that field in the oneof loses the oneof's value",
    "MULTIPLE_FIELDS_MOVED_TO_ONEOF": "a record may set several of them, and a oneof keeps only one",
    "FIELD_MOVED_TO_EXISTING_ONEOF": "a record may set it and another field of the oneof, and a oneof keeps only one",
}


@dataclass(frozen=True)
class Difference:
    """One entry of Confluent's SchemaDiff from an original schema to an updated one.

    `message` is the full name of the message or enum concerned ("" for the
    file), `field` the field or enum constant, `number` its number; `details`
    what was compared (old_/new_ from the original's and the update's side).
    """

    type: str
    path: str
    message: str = ""
    field: str = ""
    number: int | None = None
    details: Mapping[str, str] = _field(default_factory=dict)

    @property
    def compatible(self) -> bool:
        return self.type in COMPATIBLE

    def describe(self, direction: str = BACKWARD) -> str:
        """What changed from the old schema to the new one. BACKWARD diffs compare (old, new); FORWARD (new, old)."""
        return _change(self, flipped=direction == FORWARD)


@dataclass(frozen=True)
class Finding(BaseFinding):
    """A difference that stops a new schema from joining a subject, told for a version and a direction."""

    proto_message: str = ""
    field: str = ""
    number: int | None = None
    details: Mapping[str, str] = _field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, diff: Difference, version: int | None = None, direction: str = BACKWARD) -> Finding:
        draft = cls(diff.type, diff.path, _field_path(diff), None, BACKWARD, "", diff.message, diff.field, diff.number,
                    dict(diff.details))
        return draft.in_context(version, direction)

    @property
    def additional_info(self) -> str:
        """Confluent's Protobuf differences carry none (an Avro finding's reader/writer detail)."""
        return ""

    def sentence(self) -> str:
        diff = Difference(self.type, self.location, self.proto_message, self.field, self.number, self.details)
        return _sentence(diff, self.version, self.direction)

    def confluent_message(self) -> str:
        """Confluent's `{errorType:"...", description:"..."}` for this finding."""
        upd, orig = self.update_and_original
        description = _CONFLUENT.get(self.type, "").format(path=self.location, upd=upd, orig=orig)
        return f'{{errorType:"{self.type}", description:"{description}"}}'


def _field_path(d: Difference) -> str:
    """What the difference's path (Confluent's location) names in the reader's schema (the update's side),
    dotted: a field gone from it is its message; a field moved into a oneof is the oneof. So a registry's
    answer, which has only the location, names the same field as our engine's."""
    if d.type in ("FIELD_MOVED_TO_EXISTING_ONEOF", "MULTIPLE_FIELDS_MOVED_TO_ONEOF"):
        return f"{d.message}.{d.details['oneof']}"
    if d.field and (not d.type.endswith("_REMOVED") or d.details.get("kept")):
        return f"{d.message}.{d.field}"
    return d.message


def _sentence(d: Difference, version: int | None, direction: str) -> str:
    old = f"version {version}" if version is not None else "the old schema"
    if direction == BACKWARD:
        then = f"so records written with {old} cannot be read by the new schema"
    else:
        then = f"so records written with the new schema cannot be read by consumers using {old}"
    change = _change(d, flipped=direction == FORWARD)
    why = None if _same_named_type(d) else _WHY.get(d.type)
    return f"{change} ({why}), {then}" if why else f"{change}, {then}"


def _change(d: Difference, flipped: bool) -> str:
    """The difference as a change from the old schema to the new one (`flipped`: the diff compared new to old)."""
    det = d.details

    def old_new(key: str) -> tuple[str, str]:
        a, b = det.get(f"old_{key}", ""), det.get(f"new_{key}", "")
        return (b, a) if flipped else (a, b)

    t = d.type
    gone = t.endswith("_REMOVED") != flipped
    verb = "removed" if gone else "added"
    subject = f"field `{old_new('field')[1] or d.field}` (number {d.number}) of message `{d.message}`"
    if det.get("part"):
        subject = f"the map {det['part']} of {subject}"
    if t == "PACKAGE_CHANGED":
        before, after = old_new("package")
        return f"the package changed from `{before or '(none)'}` to `{after or '(none)'}`"
    if t in ("MESSAGE_ADDED", "MESSAGE_REMOVED", "ENUM_ADDED", "ENUM_REMOVED"):
        return f"{t.split('_')[0].lower()} `{d.message}` was {verb}"
    if t == "MESSAGE_MOVED":
        before, after = old_new("index")
        return f"message `{d.message}` moved from position {before} to {after} among its siblings"
    if t in ("ENUM_CONST_ADDED", "ENUM_CONST_REMOVED"):
        return f"enum `{d.message}` {'lost' if gone else 'gained'} constant `{d.field}` = {d.number}"
    if t == "ENUM_CONST_CHANGED":
        before, after = old_new("name")
        return f"constant {d.number} of enum `{d.message}` was renamed from `{before}` to `{after}`"
    if t in ("FIELD_ADDED", "FIELD_REMOVED"):
        return f"{subject} was {verb}"
    if t in ("REQUIRED_FIELD_ADDED", "REQUIRED_FIELD_REMOVED"):
        return f"required {subject} was {verb}"
    if t == "FIELD_NAME_CHANGED":
        before, after = old_new("name")
        return f"field number {d.number} of message `{d.message}` was renamed from `{before}` to `{after}`"
    if _same_named_type(d):
        return f"{subject} keeps type {det['new_type']}, but that message changed incompatibly in the file defining it"
    if t in ("FIELD_KIND_CHANGED", "FIELD_SCALAR_KIND_CHANGED", "FIELD_NAMED_TYPE_CHANGED"):
        before, after = old_new("type")
        return f"{subject} changed type from {before} to {after}"
    if t in ("FIELD_NUMERIC_LABEL_CHANGED", "FIELD_STRING_OR_BYTES_LABEL_CHANGED"):
        before, after = old_new("label")
        return f"{subject} changed from {before} to {after}"
    oneof = det.get("oneof", "")
    if t in ("ONEOF_ADDED", "ONEOF_REMOVED"):
        return f"oneof `{oneof}` was {verb} {'from' if gone else 'to'} message `{d.message}`"
    if t in ("ONEOF_FIELD_ADDED", "ONEOF_FIELD_REMOVED"):
        return f"{subject} was {verb} {'from' if gone else 'to'} oneof `{oneof}`"
    if t == "MULTIPLE_FIELDS_MOVED_TO_ONEOF":
        way = "out of" if flipped else "into"
        return f"fields {det.get('fields', '')} of message `{d.message}` moved {way} oneof `{oneof}`"
    if t == "FIELD_MOVED_TO_EXISTING_ONEOF":
        if flipped:
            return f"{subject} moved out of oneof `{oneof}`, whose other fields stayed in a oneof"
        return f"{subject} moved into oneof `{oneof}`, which already held fields of a oneof"
    raise AssertionError(f"unknown difference type {t}")


def _same_named_type(d: Difference) -> bool:
    """FIELD_NAMED_TYPE_CHANGED for a message of an imported file that changed under the same name."""
    return d.type == "FIELD_NAMED_TYPE_CHANGED" and d.details.get("old_type") == d.details.get("new_type")

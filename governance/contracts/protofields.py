"""The fields a CEL_FIELD rule visits in a Protobuf record, as confluent-kafka's walk does
(common/protobuf.py `transform`).

Records are the dicts governance/protobuf/records.py decodes (field name -> value, None for an unset
field with presence). Every field of the message and of nested messages is walked; an unset field
is skipped; repeated scalars are judged item by item; map values, enums and message fields are not
judged (their type is MAP, ENUM or RECORD, not a primitive), nor are the well-known leaf messages
(Timestamp, Duration, wrappers: confluent-kafka judges them as LONG or BYTES in their wire form,
which the decoded record no longer has). A field's full name is protoc's (`pkg.Message.field`); its
tags are `[(confluent.field_meta).tags = ...]` (extension 1088 of FieldOptions, `Meta.tags` = 3,
read from the options' bytes: confluent/meta.proto comes as a reference) and the `metadata.tags`
globs matching its full name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from governance.contracts.fields import Field, Visit, Walk
from governance.contracts.ruleset import ContractError

_FIELD_META = 1088
_META_TAGS = 3
# google.protobuf.FieldDescriptor.TYPE_* -> Confluent's FieldType name
_TYPES = {1: "DOUBLE", 2: "FLOAT", 3: "LONG", 4: "LONG", 5: "INT", 6: "LONG", 7: "INT", 8: "BOOLEAN", 9: "STRING",
          12: "BYTES", 13: "INT", 15: "INT", 16: "LONG", 17: "INT", 18: "LONG"}
_MESSAGE, _ENUM = 11, 14


def protobuf_walker(schema: Any, selected: Callable[[set[str]], bool], glob_tags: Callable[[str], set[str]],
                    message: str | None, references: Mapping[str, str] | None, at: str) -> Walk:
    """The visits in one record of `message` (a full name; the file's first message when None)."""
    from governance.errors import GovernanceError
    from governance.protobuf.schema import ProtoSchema, parse_schema

    try:
        parsed = schema if isinstance(schema, ProtoSchema) else parse_schema(str(schema), imports=references or {})
        file = parsed.descriptor
        if message is None:
            if not file.message_types_by_name:
                raise ContractError(f"{at}: the schema has no message")
            desc = next(iter(file.message_types_by_name.values()))
        else:
            desc = parsed.pool.FindMessageTypeByName(message)
    except KeyError:
        raise ContractError(f"{at}: the schema has no message {message!r}") from None
    except GovernanceError as exc:
        raise ContractError(f"{at}: the Protobuf schema does not compile: {exc.message}") from None
    return _ProtoWalk(selected, glob_tags).walker(desc)


class _ProtoWalk:
    def __init__(self, selected: Callable[[set[str]], bool], glob_tags: Callable[[str], set[str]]) -> None:
        self.selected = selected
        self.glob_tags = glob_tags
        self.fields: dict[str, Field | None] = {}

    def walker(self, desc: Any) -> Walk:
        return lambda record: self._message(desc, record, 0)

    def _message(self, desc: Any, value: Any, depth: int) -> Iterator[Visit]:
        if not isinstance(value, Mapping) or depth > 64:
            return
        for f in desc.fields:
            v = value.get(f.name)
            if v is None or (f.message_type is not None and f.message_type.GetOptions().map_entry):
                continue
            items = v if f.is_repeated and isinstance(v, list) else [v]
            if f.type == _MESSAGE:
                if not f.message_type.full_name.startswith("google.protobuf."):
                    for item in items:
                        yield from self._message(f.message_type, item, depth + 1)
                continue
            type_name = _TYPES.get(f.type)
            if type_name is None:
                continue
            field = self._field(f, type_name)
            if field is not None:
                for item in items:
                    yield field, item, value

    def _field(self, f: Any, type_name: str) -> Field | None:
        """The field's Field when the rule selects it (tags read once per field, not per record)."""
        if f.full_name not in self.fields:
            tags = _inline_tags(f) | self.glob_tags(f.full_name)
            self.fields[f.full_name] = Field(f.full_name, f.name, type_name, tuple(sorted(tags))) \
                if self.selected(tags) else None
        return self.fields[f.full_name]


def _inline_tags(f: Any) -> set[str]:
    """`(confluent.field_meta).tags` from the field options' wire bytes (the extension is not in our pool)."""
    options = f.GetOptions().SerializeToString()
    tags: set[str] = set()
    for number, payload in _fields(options):
        if number == _FIELD_META and isinstance(payload, bytes):
            tags |= {p.decode("utf-8", "replace") for n, p in _fields(payload) if n == _META_TAGS and isinstance(p, bytes)}
    return tags


def _fields(data: bytes) -> Iterator[tuple[int, Any]]:
    """(field number, bytes of a length-delimited field or None) of a message's wire form."""
    pos = 0
    try:
        while pos < len(data):
            key, pos = _varint(data, pos)
            kind = key & 7
            if kind == 0:
                _, pos = _varint(data, pos)
                yield key >> 3, None
            elif kind == 2:
                size, pos = _varint(data, pos)
                yield key >> 3, data[pos:pos + size]
                pos += size
            elif kind in (1, 5):
                pos += 8 if kind == 1 else 4
                yield key >> 3, None
            else:
                return
    except IndexError:
        return


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos

"""Decoding the body of a Confluent Protobuf record: the message-index list, then the payload.

After the magic byte and the 4-byte schema id, Confluent's Protobuf framing
has a list of zigzag varints: a count, then the path of indexes from the
file's top-level messages through nested types to the record's message
(`[0]`, the first top-level message, is the single byte 0x00). Nested indexes
count the descriptor's nested types as protoc orders them, map entries
included, as confluent-kafka's serializer does.

Records become plain dicts keyed by the `.proto` field names, decoded with
dynamic messages from the schema's own descriptor pool (no generated code).
Fields without presence (proto3 scalars) carry their default values; fields
with presence (`optional`, message fields, oneof members, proto2) are None
when absent. Enums become their constant's name (the number when unknown),
`google.protobuf.Timestamp` a UTC datetime, `Duration` a timedelta, the
wrapper types their value, `Struct`/`Value`/`ListValue` plain JSON values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timezone
from typing import TYPE_CHECKING, Any

from governance.protobuf.errors import ProtobufDecodeError

if TYPE_CHECKING:
    from governance.protobuf.schema import ProtoSchema

_MAX_INDEXES = 64
_WRAPPERS = frozenset(f"google.protobuf.{n}Value" for n in
                      ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"))
_JSON_TYPES = frozenset({"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"})


def read_indexes(body: bytes | memoryview) -> tuple[tuple[int, ...], int]:
    """The message-index list at the start of `body`, and the offset of the payload after it."""
    count, pos = _zigzag(body, 0)
    if count == 0:
        return (0,), pos
    if count < 0 or count > _MAX_INDEXES:
        raise ProtobufDecodeError("index", f"the message index list claims {count} entries")
    out = []
    for _ in range(count):
        value, pos = _zigzag(body, pos)
        out.append(value)
    return tuple(out), pos


def encode_indexes(indexes: Sequence[int]) -> bytes:
    """The framing bytes for a message-index list, as Confluent's serializers write them."""
    if list(indexes) == [0]:
        return b"\x00"
    return b"".join(_varint((v << 1) ^ (v >> 63)) for v in [len(indexes), *indexes])


def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _zigzag(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if pos >= len(data):
            raise ProtobufDecodeError("index", "the record ends inside the message index list")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
        if shift > 63:
            raise ProtobufDecodeError("index", "a message index is not a valid varint")


class Decoder:
    """Decodes record bodies written with one schema; message classes and conversion plans are built once."""

    def __init__(self, schema: ProtoSchema) -> None:
        self.schema = schema
        self._classes: dict[tuple[int, ...], Any] = {}
        self._plans: dict[str, list[tuple[str, Any]]] = {}
        from google.protobuf.message import DecodeError

        self._payload_errors = (DecodeError, ValueError, RuntimeError)

    def message_name(self, indexes: Sequence[int]) -> str:
        return self._class(tuple(indexes)).DESCRIPTOR.full_name

    def decode(self, body: bytes | memoryview) -> tuple[str, dict[str, Any]]:
        """(message full name, record) of a body after the magic byte and schema id."""
        indexes, pos = read_indexes(body)
        cls = self._class(indexes)
        try:
            message = cls.FromString(bytes(body[pos:]))
        except self._payload_errors as exc:
            raise ProtobufDecodeError("payload", f"the payload is not a valid {cls.DESCRIPTOR.full_name}: {exc}") from None
        return cls.DESCRIPTOR.full_name, self.to_dict(message)

    def _class(self, indexes: tuple[int, ...]) -> Any:
        cls = self._classes.get(indexes)
        if cls is not None:
            return cls
        from google.protobuf import message_factory

        types = list(self.schema.descriptor.message_types_by_name.values())
        desc = None
        for depth, index in enumerate(indexes):
            if not 0 <= index < len(types):
                where = "top-level" if depth == 0 else f"nested in {desc.full_name}"  # type: ignore[union-attr]
                raise ProtobufDecodeError(
                    "index", f"message index list {list(indexes)} names no message of {self.schema.name}: "
                             f"there are {len(types)} {where} messages")
            desc = types[index]
            types = list(desc.nested_types)
        if desc is None:
            raise ProtobufDecodeError("index", "the message index list is empty")
        cls = message_factory.GetMessageClass(desc)
        self._classes[indexes] = cls
        return cls

    def to_dict(self, message: Any) -> dict[str, Any]:
        plan = self._plans.get(message.DESCRIPTOR.full_name)
        if plan is None:
            plan = self._plans[message.DESCRIPTOR.full_name] = _plan(message.DESCRIPTOR)
        out: dict[str, Any] = {}
        for name, step in plan:
            out[name] = step(self, message, name)
        return out

    def value(self, desc: Any, value: Any) -> Any:
        """A message value as a plain value: well-known types unwrapped, others as dicts."""
        full = desc.full_name
        if full == "google.protobuf.Timestamp":
            return value.ToDatetime(tzinfo=timezone.utc)
        if full == "google.protobuf.Duration":
            return value.ToTimedelta()
        if full in _WRAPPERS:
            return value.value
        if full in _JSON_TYPES:
            from google.protobuf import json_format

            return json_format.MessageToDict(value)
        return self.to_dict(value)


def _plan(desc: Any) -> list[tuple[str, Any]]:
    """One step per field: how to read it from a message into the dict."""
    return [(f.name, _step(f)) for f in desc.fields]


def _step(f: Any) -> Any:
    message, enum = f.message_type, f.enum_type
    if message is not None and message.GetOptions().map_entry:
        value_field = message.fields_by_name["value"]
        if value_field.message_type is not None:
            vdesc = value_field.message_type
            return lambda d, m, n: {k: d.value(vdesc, v) for k, v in getattr(m, n).items()}
        if value_field.enum_type is not None:
            vnames = {v.number: v.name for v in value_field.enum_type.values}
            return lambda d, m, n: {k: vnames.get(v, v) for k, v in getattr(m, n).items()}
        return lambda d, m, n: dict(getattr(m, n))
    names = {v.number: v.name for v in enum.values} if enum is not None else None
    if f.is_repeated:
        if message is not None:
            return lambda d, m, n: [d.value(message, v) for v in getattr(m, n)]
        if names is not None:
            return lambda d, m, n: [names.get(v, v) for v in getattr(m, n)]
        return lambda d, m, n: list(getattr(m, n))
    if message is not None:
        return lambda d, m, n: d.value(message, getattr(m, n)) if m.HasField(n) else None
    present = f.has_presence
    if names is not None:
        if present:
            return lambda d, m, n: names.get(getattr(m, n), getattr(m, n)) if m.HasField(n) else None
        return lambda d, m, n: names.get(getattr(m, n), getattr(m, n))
    if present:
        return lambda d, m, n: getattr(m, n) if m.HasField(n) else None
    return lambda d, m, n: getattr(m, n)

"""Decoding the body of a Confluent Protobuf record: the message-index list, then the payload.

After the magic byte and the 4-byte schema id, Confluent's Protobuf framing
has a list of zigzag varints: a count, then the path of indexes from the
file's top-level messages through nested types to the record's message
(`[0]`, the first top-level message, is the single byte 0x00). Nested indexes
count the descriptor's nested types as protoc orders them, map entries
included, as confluent-kafka's serializer does.

Records become plain dicts keyed by the `.proto` field names (`records.py`),
decoded with dynamic messages from the schema's own descriptor pool (no
generated code).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from governance.protobuf.errors import ProtobufDecodeError
from governance.protobuf.records import Converters

if TYPE_CHECKING:
    from governance.protobuf.schema import ProtoSchema

_MAX_INDEXES = 64
_FIRST = (0,)



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
    """Decodes record bodies written with one schema; each index list's message class and converter are built once."""

    def __init__(self, schema: ProtoSchema) -> None:
        self.schema = schema
        self._classes: dict[tuple[int, ...], tuple[Any, Any]] = {}  # index list -> (message class, its converter)
        self._converters = Converters()
        from google.protobuf.message import DecodeError

        self._payload_errors = (DecodeError, ValueError, RuntimeError)

    def message_name(self, indexes: Sequence[int]) -> str:
        return self._class(tuple(indexes))[0].DESCRIPTOR.full_name

    def decode(self, body: bytes | memoryview) -> tuple[str, dict[str, Any]]:
        """(message full name, record) of a body after the magic byte and schema id."""
        if body[:1] == b"\x00":  # the common index list [0]
            cls, convert = self._classes.get(_FIRST) or self._class(_FIRST)
            pos = 1
        else:
            indexes, pos = read_indexes(body)
            cls, convert = self._class(indexes)
        try:
            message = cls.FromString(body[pos:])
        except self._payload_errors as exc:
            why = str(exc).rpartition("': ")[2] if str(exc).startswith("Error parsing message") else str(exc)
            raise ProtobufDecodeError("payload", f"the payload is not a valid {cls.DESCRIPTOR.full_name}: "
                                                 f"{why[:1].lower()}{why[1:]}") from None
        return cls.DESCRIPTOR.full_name, convert(message)

    def to_dict(self, message: Any) -> dict[str, Any]:
        return self._converters.for_message(message.DESCRIPTOR)(message)

    def _class(self, indexes: tuple[int, ...]) -> tuple[Any, Any]:
        found = self._classes.get(indexes)
        if found is not None:
            return found
        from google.protobuf import message_factory

        types = list(self.schema.descriptor.message_types_by_name.values())
        desc = None
        for depth, index in enumerate(indexes):
            if not 0 <= index < len(types):
                count = "is 1 message" if len(types) == 1 else f"are {len(types)} messages"
                where = "at the top level" if depth == 0 else f"nested in {desc.full_name}"  # type: ignore[union-attr]
                raise ProtobufDecodeError(
                    "index", f"message index list {list(indexes)} names no message of {self.schema.name}: "
                             f"there {count} {where}")
            desc = types[index]
            types = list(desc.nested_types)
        if desc is None:
            raise ProtobufDecodeError("index", "the message index list is empty")
        found = self._classes[indexes] = (message_factory.GetMessageClass(desc), self._converters.for_message(desc))
        return found

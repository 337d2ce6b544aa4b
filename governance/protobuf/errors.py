"""The errors of the Protobuf domain: a schema that does not compile, and a record that does not decode."""

from __future__ import annotations

from governance.errors import InvalidSchemaError


class InvalidProtoError(InvalidSchemaError):
    """A `.proto` text or serialized descriptor that is not a valid Protobuf schema (an InvalidSchemaError,
    as every format raises: the registry's 42201, the gate's parse finding).

    `file` is the file at fault (the schema itself or one of its imports),
    `line` and `column` are 1-based when known, and `reason` is protoc's
    complaint as a sentence, e.g. 'type "Foo" is not defined'. The message
    reads 'orders.proto line 6: type "Foo" is not defined.'
    """

    def __init__(self, reason: str, file: str = "", line: int | None = None, column: int | None = None) -> None:
        where = file or "the schema"
        if line is not None:
            where += f" line {line}"
        self.reason = _sentence(reason)
        super().__init__(f"{where}: {self.reason}", line, column)
        self.file = file


class ProtobufDecodeError(ValueError):
    """A record body that is not a message of the schema.

    `kind` names the stage for the dead-letter queue: "index" when the message
    index list is malformed or names no message of the file, "payload" when the
    bytes after it do not parse as the chosen message.
    """

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def _sentence(reason: str) -> str:
    reason = reason.strip()
    if reason and reason[0].isupper() and not reason[:2].isupper():
        reason = reason[0].lower() + reason[1:]
    return reason if reason.endswith((".", "?", "!")) else reason + "."

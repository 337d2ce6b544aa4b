"""The one error parsing raises: a schema that is not valid Avro, and why."""

from __future__ import annotations

from governance.errors import GovernanceError


class InvalidSchemaError(GovernanceError, ValueError):
    """A schema text that is not valid Avro.

    `message` is a sentence naming the problem and where it is, e.g.
    'field "email" of record "User": default "x" does not match type "int"'.
    `line` and `column` (1-based) are set when the text is not valid JSON;
    `pointer` (RFC 6901, e.g. "/fields/2/name") when it is JSON but not valid Avro,
    naming the value at fault so that a caller holding the text can find its line.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 pointer: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.pointer = pointer

"""The errors of the JSON Schema domain: a schema that is not valid, a record body that is not JSON, and one that
its schema refuses."""

from __future__ import annotations

from governance.errors import GovernanceError, InvalidSchemaError


class InvalidJsonSchemaError(InvalidSchemaError):
    """A text that is not a valid JSON Schema: not JSON, not a schema per its draft's metaschema, or a
    `$ref` that resolves to nothing.

    `reason` is a sentence; `line` and `column` are 1-based where the fault has a place in the
    text, `pointer` (RFC 6901) names the value at fault, `file` the schema or reference concerned.
    The message reads 'order.json line 7 column 18: "minLength" must be a non-negative integer.'
    """

    def __init__(self, reason: str, line: int | None = None, column: int | None = None,
                 pointer: str | None = None, file: str = "") -> None:
        self.reason = sentence(reason)
        self.file = file
        where = file or "the schema"
        if line is not None:
            where += f" line {line}" + (f" column {column}" if column is not None else "")
        elif pointer:
            where += f" at {pointer}"
        super().__init__(f"{where}: {self.reason}", line, column, pointer)


class JsonBodyError(ValueError):
    """A record body (after Confluent's magic byte and schema id) that is not a JSON value.

    `kind` names the stage for the dead-letter queue: "utf8" when the bytes are not UTF-8,
    "json" when the text is not JSON.
    """

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class JsonSchemaViolation(ValueError):
    """A record body that is JSON but that its schema refuses: `kind` "schema" (the stage after "utf8" and
    "json"), `path` the JSON path of the value at fault (`$.lines[0].sku`), `reason` the validator's
    sentence, `keyword` the schema keyword that refused it. The message reads "$.amount: -1 is less than
    the minimum of 0"."""

    kind = "schema"

    def __init__(self, path: str, reason: str, keyword: str = "") -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.keyword = keyword


class MissingLibrary(GovernanceError):
    """A library this step needs is not installed: said in one line, naming what to install."""

    def __init__(self, what: str, requirement: str) -> None:
        super().__init__(f"{what} needs the Python package {requirement}, which is not installed: "
                         f"pip install '{requirement}'")


def load_library(module: str, what: str, requirement: str) -> object:
    """`import module`, or MissingLibrary naming the package to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingLibrary(what, requirement) from None


def sentence(reason: str) -> str:
    reason = reason.strip()
    if reason and reason[0].isupper() and not reason[:2].isupper():
        reason = reason[0].lower() + reason[1:]
    return reason if reason.endswith((".", "?", "!")) else reason + "."

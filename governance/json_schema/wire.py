"""Confluent's JSON wire format body: what follows the magic byte and the schema id is UTF-8 JSON."""

from __future__ import annotations

import json
from typing import Any

from governance.json_schema.errors import JsonBodyError


def decode_body(body: bytes | bytearray | memoryview) -> Any:
    """The JSON value of a record body (magic byte and id already read).

    JsonBodyError("utf8", ...) when the bytes are not UTF-8, JsonBodyError("json", ...) with the
    line and column when the text is not JSON.
    """
    try:
        text = bytes(body).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonBodyError("utf8", f"the value is not UTF-8 text: byte 0x{exc.object[exc.start]:02x} "
                                    f"at offset {exc.start} ({exc.reason})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonBodyError("json", f"the value is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise JsonBodyError("json", "the value is not JSON this reader can take: it nests too deeply") from None

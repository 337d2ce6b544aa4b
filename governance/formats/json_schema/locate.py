"""Where things are in a JSON Schema file, for the gate: the line of a property, of a finding's JSON path,
and of a parse error (an error in a referenced schema is placed at the `$ref` naming it)."""

from __future__ import annotations

from typing import Any

from governance.errors import InvalidSchemaError
from governance.json_schema.findings import field_path
from governance.json_schema.paths import line_of, location_line
from governance.json_schema.text import split_pointer


class JsonSchemaLocator:
    """The seam's Locator (formats.base) for a JSON Schema text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def field_line(self, field_path: str) -> int:
        """A dotted property path (`address.zip`), or a JSON path (`#/items/maxLength`) as findings name places."""
        if field_path.startswith("#"):
            return location_line(self.text, field_path)
        return line_of(self.text, field_path)

    def error_position(self, error: InvalidSchemaError) -> tuple[int, int]:
        file = getattr(error, "file", "")
        if file:
            return self._ref_line(file), 1
        return error.line or 1, error.column or 1

    def column(self, line: int, pointer: str | None) -> int:
        """The column on `line` of the key a pointer ends in (`"minLength"` for `#/properties/a/minLength`), else
        of the line's first character."""
        lines = self.text.splitlines()
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        tokens = split_pointer(pointer or "")
        at = text.find(f'"{tokens[-1]}"') if tokens else -1
        return (at if at >= 0 else len(text) - len(text.lstrip())) + 1

    def _ref_line(self, name: str) -> int:
        lines = self.text.splitlines()
        return next((i for i, line in enumerate(lines, 1) if '"$ref"' in line and name in line), 1)

    def finding_path(self, finding_type: str, location: str, info: str, schema: Any) -> str:
        """Confluent's `#/properties/address/properties/zip/maxLength` as `address.zip`; "" for none."""
        return field_path(location)

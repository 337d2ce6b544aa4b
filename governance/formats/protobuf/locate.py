"""Where in a `.proto` file a message or field is: read from the text with a small scanner, so that
the gate finds lines without protoc (and in a file whose imports it does not have).

Field paths come in two forms. A finding names `package.Message.Nested.field` (the message's full
name and the field); a rule names a column from the file's first message (`shipping_address.zip`),
nested messages followed through the fields' type names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from governance.errors import InvalidSchemaError

_TOKEN = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|[A-Za-z_.][\w.]*|-?\d[\w.+-]*|\S',
                    re.DOTALL)
_LABELS = frozenset({"optional", "required", "repeated"})


@dataclass
class _Field:
    name: str
    number: int
    type: str
    line: int


@dataclass
class _Message:
    path: str
    """Dotted from the top of the file, without the package: `Order.Line`."""
    line: int
    fields: dict[str, _Field] = field(default_factory=dict)
    oneofs: dict[str, int] = field(default_factory=dict)

    def by_number(self, number: int) -> _Field | None:
        return next((f for f in self.fields.values() if f.number == number), None)


def _tokens(text: str) -> Iterator[tuple[str, int]]:
    line = 1
    at = 0
    for m in _TOKEN.finditer(text):
        line += text.count("\n", at, m.start())
        at = m.start()
        token = m.group()
        if not token.startswith(("//", "/*")):
            yield token, line


class ProtoText:
    """The messages, fields and imports of a `.proto` text, each with its line (1-based)."""

    def __init__(self, text: str) -> None:
        self.package = ""
        self.messages: dict[str, _Message] = {}
        self.imports: dict[str, int] = {}
        self._scan(list(_tokens(text)))

    def _scan(self, tokens: list[tuple[str, int]]) -> None:
        scopes: list[tuple[str, str]] = []  # (kind, name): message, oneof, enum or other
        statement: list[tuple[str, int]] = []
        for i, (token, line) in enumerate(tokens):
            if token == "{":
                head = statement[0][0] if statement else ""
                name = statement[1][0] if len(statement) > 1 else ""
                if head == "message" and name:
                    outer = self._message_path(scopes)
                    path = f"{outer}.{name}" if outer else name
                    self.messages[path] = _Message(path, statement[0][1])
                    scopes.append(("message", path))
                elif head == "oneof" and name and scopes and scopes[-1][0] == "message":
                    self.messages[scopes[-1][1]].oneofs[name] = statement[0][1]
                    scopes.append(("oneof", scopes[-1][1]))
                else:
                    scopes.append((head if head in ("enum", "service") else "other", ""))
                statement = []
            elif token == "}":
                if scopes:
                    scopes.pop()
                statement = []
            elif token == ";":
                self._statement(statement, scopes)
                statement = []
            else:
                statement.append((token, line))

    @staticmethod
    def _message_path(scopes: list[tuple[str, str]]) -> str:
        return next((name for kind, name in reversed(scopes) if kind in ("message", "oneof")), "")

    def _statement(self, statement: list[tuple[str, int]], scopes: list[tuple[str, str]]) -> None:
        if not statement:
            return
        words = [t for t, _ in statement]
        if not scopes:
            if words[0] == "package" and len(words) > 1:
                self.package = words[1]
            elif words[0] == "import" and words[-1].startswith(('"', "'")):
                self.imports[words[-1][1:-1]] = statement[0][1]
            return
        kind, owner = scopes[-1]
        if kind not in ("message", "oneof") or words[0] in ("option", "reserved", "extensions") or "=" not in words:
            return
        eq = words.index("=")
        if eq < 2 or eq + 1 >= len(words) or not words[eq + 1].isdigit():
            return
        type_words = [w for w in words[:eq - 1] if w not in _LABELS]
        self.messages[owner].fields[words[eq - 1]] = _Field(words[eq - 1], int(words[eq + 1]), "".join(type_words),
                                                            statement[0][1])

    def local(self, full_name: str) -> str:
        """A full message name without this file's package."""
        return full_name[len(self.package) + 1:] if self.package and full_name.startswith(self.package + ".") else full_name

    def resolve(self, type_name: str, scope: str) -> _Message | None:
        """The message a field's type names, looked up from `scope` outwards as protoc does."""
        name = self.local(type_name.lstrip("."))
        parts = scope.split(".") if scope else []
        for depth in range(len(parts), -1, -1):
            candidate = ".".join([*parts[:depth], name])
            if candidate in self.messages:
                return self.messages[candidate]
        return None

    def first_message(self) -> _Message | None:
        return next((m for m in self.messages.values() if "." not in m.path), None)


class ProtobufLocator:
    """The seam's Locator (formats.base) for a `.proto` text."""

    def __init__(self, text: str) -> None:
        self.text = ProtoText(text)

    def field_line(self, field_path: str) -> int:
        found = self._qualified_line(field_path) if field_path else None
        if found is not None:
            return found
        return self._column_line(field_path)

    def _qualified_line(self, field_path: str) -> int | None:
        """`package.Message.field` (a finding's path): the field's line, or its message's when it is gone."""
        path = self.text.local(field_path)
        if path in self.text.messages:
            return self.text.messages[path].line
        owner, _, name = path.rpartition(".")
        message = self.text.messages.get(owner)
        if message is None:
            return self._user_line(field_path.rpartition(".")[0])
        if name in message.fields:
            return message.fields[name].line
        return message.oneofs.get(name, message.line)

    def _user_line(self, full_name: str) -> int | None:
        """A message defined in an imported file: the line of the first field here of that type."""
        for message in self.text.messages.values():
            for f in message.fields.values():
                used = f.type.lstrip(".")
                if used and (used == full_name or full_name.endswith("." + used)):
                    return f.line
        return None

    def _column_line(self, column: str) -> int:
        message = self.text.first_message()
        if message is None:
            return 1
        line = message.line
        for step in column.split(".") if column else []:
            if message is None or step not in message.fields:
                break
            f = message.fields[step]
            line = f.line
            message = self.text.resolve(f.type, message.path)
        return line

    def error_position(self, error: InvalidSchemaError) -> tuple[int, int]:
        """An error in an imported file: the line importing it; else protoc's own position, if any."""
        file = getattr(error, "file", "")
        if file in self.text.imports:
            return self.text.imports[file], 1
        return error.line or 1, error.column or 1

    def finding_path(self, finding_type: str, location: str, info: str, schema: Any) -> str:
        """Confluent's `#/Order/Line/2` (a field by number) or `#/Order/payment` (a oneof) as
        `package.Order.Line.quantity`; through `schema` (parsed with its imports) first."""
        steps = [s for s in location.removeprefix("#/").split("/") if s]
        if not steps:
            return ""
        if finding_type == "MESSAGE_REMOVED":  # not in the reader's schema: named by its path
            return ".".join(filter(None, [self.text.package, *steps]))
        found = _descriptor_path(schema, steps) if schema is not None else None
        if found:
            return found
        prefix = f"{self.text.package}." if self.text.package else ""
        for cut in range(len(steps), 0, -1):
            message = self.text.messages.get(".".join(steps[:cut]))
            if message is None:
                continue
            rest = steps[cut:]
            if rest and rest[0] in message.oneofs and rest[1:2] and rest[1].isdigit():
                rest = rest[1:]  # `#/Order/payment/8`: field 8 of the oneof
            if not rest:
                return prefix + message.path
            named = message.by_number(int(rest[0])) if rest[0].isdigit() else None
            leaf = named.name if named else (rest[0] if rest[0] in message.oneofs else "")
            return f"{prefix}{message.path}.{leaf}" if leaf else prefix + message.path
        return ""


def _descriptor_path(schema: Any, steps: list[str]) -> str:
    """The path through the messages of a parsed schema's files (the schema's own file first)."""
    files = [schema.file, *reversed(schema.imports)]
    for fdp in files:
        types = list(fdp.message_type)
        names: list[str] = []
        message = None
        for i, step in enumerate(steps):
            nested = next((m for m in types if m.name == step), None)
            if nested is not None:
                message, types = nested, list(nested.nested_type)
                names.append(step)
                continue
            if message is None:
                break
            scope = ".".join(filter(None, [fdp.package, *names]))
            if step.isdigit():
                f = next((f for f in message.field if f.number == int(step)), None)
                return f"{scope}.{f.name}" if f is not None else scope
            if any(o.name == step for o in message.oneof_decl):
                if steps[i + 1:i + 2] and steps[i + 1].isdigit():
                    continue  # `#/Order/payment/8`: field 8 of the oneof
                return f"{scope}.{step}"
            return scope
        else:
            if message is not None:
                return ".".join(filter(None, [fdp.package, *names]))
    return ""

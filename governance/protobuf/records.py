"""Messages to the plain dicts rules read, through one converter per message type compiled from its
descriptor: a dict display of attribute reads, no per-field call, the sentinel's hot path.

Fields without presence (proto3 scalars) carry their values, defaults included; fields with presence
(`optional`, message fields, oneof members, proto2) are None when absent. Enums become their constant's
name (the number when unknown), `google.protobuf.Timestamp` a UTC datetime, `Duration` a timedelta,
the wrapper types their value, `Struct`/`Value`/`ListValue` plain JSON values, maps dicts.

The generated source holds no name from the schema except as a string literal (`repr`) or, where it is
an identifier, an attribute name: a descriptor cannot inject code.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from datetime import timezone
from typing import Any

_WRAPPERS = frozenset(f"google.protobuf.{n}Value" for n in
                      ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"))
_JSON_TYPES = frozenset({"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"})


def _json_value(value: Any) -> Any:
    from google.protobuf import json_format

    return json_format.MessageToDict(value)


_WELL_KNOWN: dict[str, Callable[[Any], Any]] = {
    "google.protobuf.Timestamp": lambda v: v.ToDatetime(tzinfo=timezone.utc),
    "google.protobuf.Duration": lambda v: v.ToTimedelta(),
    **{name: (lambda v: v.value) for name in _WRAPPERS},
    **{name: _json_value for name in _JSON_TYPES},
}


class Converters:
    """Message full name -> a function from a message of that type to its dict, compiled on first use."""

    def __init__(self) -> None:
        self._env: dict[str, Any] = {}
        self._names: dict[str, str] = {}
        self._compiled: dict[str, Callable[[Any], dict[str, Any]]] = {}

    def for_message(self, desc: Any) -> Callable[[Any], dict[str, Any]]:
        found = self._compiled.get(desc.full_name)
        if found is None:
            pending: list[Any] = []
            name = self._name(desc, pending)
            while pending:
                self._compile(pending.pop(), pending)
            found = self._compiled[desc.full_name] = self._env[name]
        return found

    def _name(self, desc: Any, pending: list[Any]) -> str:
        """The converter's name in the generated code, queued for compiling on first sight."""
        if desc.full_name in _WELL_KNOWN:
            name = f"_wk{len(self._names)}"
            if desc.full_name not in self._names:
                self._names[desc.full_name] = name
                self._env[name] = _WELL_KNOWN[desc.full_name]
            return self._names[desc.full_name]
        if desc.full_name not in self._names:
            self._names[desc.full_name] = f"_m{len(self._names)}"
            pending.append(desc)
        return self._names[desc.full_name]

    def _compile(self, desc: Any, pending: list[Any]) -> None:
        items = [f"{f.name!r}: {self._expression(f, pending)}" for f in desc.fields]
        source = f"def {self._names[desc.full_name]}(m):\n    return {{{', '.join(items)}}}\n"
        exec(compile(source, f"<protobuf converter {desc.full_name}>", "exec"), self._env)  # noqa: S102

    def _enum(self, enum: Any) -> str:
        name = f"_e{len(self._env)}"
        self._env[name] = {v.number: v.name for v in enum.values}
        return name

    def _expression(self, f: Any, pending: list[Any]) -> str:
        read = f"m.{f.name}" if f.name.isidentifier() and not keyword.iskeyword(f.name) else f"getattr(m, {f.name!r})"
        message, enum = f.message_type, f.enum_type
        if message is not None and message.GetOptions().map_entry:
            value_field = message.fields_by_name["value"]
            if value_field.message_type is not None:
                return f"{{k: {self._name(value_field.message_type, pending)}(v) for k, v in {read}.items()}}"
            if value_field.enum_type is not None:
                names = self._enum(value_field.enum_type)
                return f"{{k: {names}.get(v, v) for k, v in {read}.items()}}"
            return f"dict({read})"
        if f.is_repeated:
            if message is not None:
                return f"[{self._name(message, pending)}(v) for v in {read}]"
            if enum is not None:
                return f"[{self._enum(enum)}.get(v, v) for v in {read}]"
            return f"list({read})"
        if message is not None:
            value = f"{self._name(message, pending)}({read})"
        elif enum is not None:
            value = f"{self._enum(enum)}.get({read}, {read})"
        else:
            value = read
        return f"({value} if m.HasField({f.name!r}) else None)" if f.has_presence else value

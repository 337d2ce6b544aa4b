"""Two versions of an Avro schema compared field by field (`schemas diff`, the console's diffs).

The versions are parsed by the Avro core (`governance.avro`), so named types resolve as
Avro resolves them (namespaces, references) and types are worded as the core words them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from governance.avro import parse_schema
from governance.avro.model import Array, Enum, Field, Fixed, Map, Node, Primitive, Record, Union, branch_key, describe


def structural_diff(old_text: str, new_text: str, references: Mapping[str, str] | None = None) -> list[str]:
    """Lines such as `+ field address.zip: string (default "00000")`, `~ field amount: type int -> long`.

    `references`: reference name -> schema text, for versions that use other subjects' types.
    Raises `InvalidSchemaError` when a version is not a valid schema."""
    old, new = parse_schema(old_text, references), parse_schema(new_text, references)
    differ = _Differ()
    differ.compare(old.root, new.root, "")
    return differ.lines


def _type(node: Node) -> str:
    """The core's wording, with a primitive's logical type: `long (timestamp-millis)`."""
    logical = node.props.get("logicalType") if isinstance(node, Primitive) else None
    return f"{describe(node)} ({logical})" if logical else describe(node)


def _value(v: Any) -> str:
    return json.dumps(v)


class _Differ:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.seen: set[tuple[int, int]] = set()

    def changed_type(self, label: str, old: Node, new: Node) -> None:
        self.lines.append(f"~ {label}: type {_type(old)} -> {_type(new)}")

    def compare(self, old: Node, new: Node, where: str) -> None:
        label = f"field {where}" if where else "schema"
        if isinstance(old, Union) or isinstance(new, Union):
            if _type(old) != _type(new):
                self.changed_type(label, old, new)
            new_branches = {branch_key(b): b for b in (new.branches if isinstance(new, Union) else [new])}
            for branch in old.branches if isinstance(old, Union) else [old]:
                if not isinstance(branch, Primitive) and branch_key(branch) in new_branches:
                    self.compare(branch, new_branches[branch_key(branch)], where)
            return
        if old.kind != new.kind:
            self.changed_type(label, old, new)
        elif isinstance(old, Record) and isinstance(new, Record):
            if old.fullname != new.fullname:
                self.lines.append(f"~ {label}: record renamed {old.fullname} -> {new.fullname}")
            if (id(old), id(new)) not in self.seen:  # a recursive type is compared once
                self.seen.add((id(old), id(new)))
                self.fields(old, new, where)
        elif isinstance(old, Enum) and isinstance(new, Enum):
            self.enum(old, new, label)
        elif isinstance(old, Fixed) and isinstance(new, Fixed):
            if old.fullname != new.fullname:
                self.changed_type(label, old, new)
            if old.size != new.size:
                self.lines.append(f"~ {label}: fixed size {old.size} -> {new.size}")
        elif isinstance(old, (Array, Map)) and isinstance(new, (Array, Map)):
            before, after = (old.items, new.items) if isinstance(old, Array) else (old.values, new.values)  # type: ignore[union-attr]
            if _type(before) != _type(after) and not (isinstance(before, Record) and isinstance(after, Record)):
                self.changed_type(label, old, new)
            else:
                self.compare(before, after, where)
        elif _type(old) != _type(new):
            self.changed_type(label, old, new)

    def enum(self, old: Enum, new: Enum, label: str) -> None:
        if old.fullname != new.fullname:
            self.changed_type(label, old, new)
        name = describe(new)
        removed = [s for s in old.symbols if s not in new.symbol_set]
        added = [s for s in new.symbols if s not in old.symbol_set]
        if removed:
            self.lines.append(f"- {name} in {label}: symbol{'s' if len(removed) > 1 else ''} {', '.join(removed)}")
        if added:
            self.lines.append(f"+ {name} in {label}: symbol{'s' if len(added) > 1 else ''} {', '.join(added)}")
        if old.default != new.default:
            self.lines.append(f"~ {name} in {label}: default symbol {_value(old.default)} -> {_value(new.default)}")

    def fields(self, old: Record, new: Record, where: str) -> None:
        prefix = f"{where}." if where else ""
        for name, f in new.by_name.items():
            renamed_from = next((a for a in f.aliases if a in old.by_name and a not in new.by_name), None)
            if name not in old.by_name and renamed_from is None:
                default = f" (default {_value(f.default)})" if f.has_default else " (no default)"
                self.lines.append(f"+ field {prefix}{name}: {_type(f.type)}{default}")
        for name, f in old.by_name.items():
            if name not in new.by_name and not any(name in g.aliases for g in new.by_name.values()):
                self.lines.append(f"- field {prefix}{name}: {_type(f.type)}")
        for name, f in new.by_name.items():
            before_name = name if name in old.by_name else next((a for a in f.aliases if a in old.by_name), None)
            if before_name is None:
                continue
            before = old.by_name[before_name]
            if before_name != name:
                self.lines.append(f"~ field {prefix}{before_name}: renamed to {name}")
            if _default(before) != _default(f):
                self.lines.append(f"~ field {prefix}{name}: default {_default(before)} -> {_default(f)}")
            self.compare(before.type, f.type, f"{prefix}{name}")


def _default(f: Field) -> str:
    return _value(f.default) if f.has_default else "(none)"

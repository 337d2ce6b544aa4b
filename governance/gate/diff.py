"""`schemas diff`: what changed between two versions of a subject, field by field."""

from __future__ import annotations

import json
from typing import Any

PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
NAMED = ("record", "error", "enum", "fixed")


def structural_diff(old_text: str, new_text: str) -> list[str]:
    """Lines such as `+ field address.zip: string (default "00000")`, `~ field amount: int -> long`."""
    old, new = json.loads(old_text), json.loads(new_text)
    differ = _Differ(_named(old), _named(new))
    differ.compare(old, new, "")
    return differ.lines


def _named(schema: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            if node.get("type") in NAMED and isinstance(node.get("name"), str):
                out.setdefault(node["name"].rsplit(".", 1)[-1], node)
            for f in node.get("fields", []) if isinstance(node.get("fields"), list) else []:
                walk(f.get("type") if isinstance(f, dict) else None)
            for key in ("items", "values"):
                walk(node.get(key))
            if isinstance(node.get("type"), (dict, list)):
                walk(node["type"])

    walk(schema)
    return out


def _value(v: Any) -> str:
    return json.dumps(v)


class _Differ:
    def __init__(self, old_named: dict[str, Any], new_named: dict[str, Any]) -> None:
        self.old_named, self.new_named = old_named, new_named
        self.lines: list[str] = []
        self.seen: set[tuple[str, str]] = set()

    def resolve(self, node: Any, named: dict[str, Any]) -> Any:
        if isinstance(node, str) and node not in PRIMITIVES:
            return named.get(node.rsplit(".", 1)[-1], node)
        if isinstance(node, dict) and node.get("type") in PRIMITIVES and "logicalType" not in node:
            return node["type"]
        return node

    def describe(self, node: Any) -> str:
        if isinstance(node, str):
            return node.rsplit(".", 1)[-1] if node not in PRIMITIVES else node
        if isinstance(node, list):
            return "[" + ", ".join(self.describe(n) for n in node) + "]"
        if isinstance(node, dict):
            kind = node.get("type")
            if kind in NAMED:
                return f"{'record' if kind == 'error' else kind} {str(node.get('name', '')).rsplit('.', 1)[-1]}" + (
                    f"({node.get('size')})" if kind == "fixed" else "")
            if kind == "array":
                return f"array<{self.describe(node.get('items'))}>"
            if kind == "map":
                return f"map<{self.describe(node.get('values'))}>"
            if "logicalType" in node:
                return f"{self.describe(kind)} ({node['logicalType']})"
            return self.describe(kind)
        return str(node)

    def compare(self, old: Any, new: Any, where: str) -> None:
        old, new = self.resolve(old, self.old_named), self.resolve(new, self.new_named)
        label = f"field {where}" if where else "schema"
        if isinstance(old, list) or isinstance(new, list):
            old_branches = old if isinstance(old, list) else [old]
            new_branches = new if isinstance(new, list) else [new]
            if self.describe(old) != self.describe(new):
                self.lines.append(f"~ {label}: type {self.describe(old)} -> {self.describe(new)}")
            new_by_name = {self.describe(self.resolve(b, self.new_named)): b for b in new_branches}
            for branch in old_branches:
                key = self.describe(self.resolve(branch, self.old_named))
                if key in new_by_name and isinstance(self.resolve(branch, self.old_named), dict):
                    self.compare(branch, new_by_name[key], where)
            return
        old_kind = old.get("type") if isinstance(old, dict) else old
        new_kind = new.get("type") if isinstance(new, dict) else new
        if old_kind != new_kind:
            self.lines.append(f"~ {label}: type {self.describe(old)} -> {self.describe(new)}")
            return
        if old_kind in ("enum", "fixed") and self.describe(old) != self.describe(new):
            self.lines.append(f"~ {label}: type {self.describe(old)} -> {self.describe(new)}")
        if old_kind in ("record", "error"):
            if self.describe(old) != self.describe(new):
                self.lines.append(f"~ {label}: record renamed {self.describe(old)[7:]} -> {self.describe(new)[7:]}")
            key = (id(old), id(new))
            if key in self.seen:
                return
            self.seen.add(key)  # type: ignore[arg-type]
            self.fields(old, new, where)
        elif old_kind == "enum":
            removed = [s for s in old.get("symbols", []) if s not in new.get("symbols", [])]
            added = [s for s in new.get("symbols", []) if s not in old.get("symbols", [])]
            name = self.describe(new)
            if removed:
                self.lines.append(f"- {name} in {label}: symbol{'s' if len(removed) > 1 else ''} {', '.join(removed)}")
            if added:
                self.lines.append(f"+ {name} in {label}: symbol{'s' if len(added) > 1 else ''} {', '.join(added)}")
            if old.get("default") != new.get("default"):
                self.lines.append(f"~ {name} in {label}: default symbol {_value(old.get('default'))} -> {_value(new.get('default'))}")
        elif old_kind == "fixed":
            if old.get("size") != new.get("size"):
                self.lines.append(f"~ {label}: fixed size {old.get('size')} -> {new.get('size')}")
        elif old_kind in ("array", "map"):
            inner = "items" if old_kind == "array" else "values"
            before, after = self.resolve(old.get(inner), self.old_named), self.resolve(new.get(inner), self.new_named)
            if self.describe(before) != self.describe(after) and not (isinstance(before, dict) and isinstance(after, dict)
                                                                     and before.get("type") == after.get("type") == "record"):
                self.lines.append(f"~ {label}: type {self.describe(old)} -> {self.describe(new)}")
            else:
                self.compare(old.get(inner), new.get(inner), where)
        elif self.describe(old) != self.describe(new):
            self.lines.append(f"~ {label}: type {self.describe(old)} -> {self.describe(new)}")

    def fields(self, old: dict[str, Any], new: dict[str, Any], where: str) -> None:
        old_fields = {f["name"]: f for f in old.get("fields", [])}
        new_fields = {f["name"]: f for f in new.get("fields", [])}
        prefix = f"{where}." if where else ""
        for name, f in new_fields.items():
            renamed_from = next((a for a in f.get("aliases", []) if a in old_fields and a not in new_fields), None)
            if name not in old_fields and renamed_from is None:
                default = f" (default {_value(f['default'])})" if "default" in f else " (no default)"
                self.lines.append(f"+ field {prefix}{name}: {self.describe(f['type'])}{default}")
        for name, f in old_fields.items():
            if name not in new_fields and not any(name in g.get("aliases", []) for g in new_fields.values()):
                self.lines.append(f"- field {prefix}{name}: {self.describe(f['type'])}")
        for name, f in new_fields.items():
            before_name = name if name in old_fields else next((a for a in f.get("aliases", []) if a in old_fields), None)
            if before_name is None:
                continue
            before = old_fields[before_name]
            if before_name != name:
                self.lines.append(f"~ field {prefix}{before_name}: renamed to {name}")
            if before.get("default", _MISSING) != f.get("default", _MISSING):
                self.lines.append(f"~ field {prefix}{name}: default {_show(before.get('default', _MISSING))} -> {_show(f.get('default', _MISSING))}")
            self.compare(before["type"], f["type"], f"{prefix}{name}")


_MISSING = object()


def _show(v: Any) -> str:
    return "(none)" if v is _MISSING else _value(v)


def versions_from_registry(url: str, subject: str) -> dict[str, str]:
    """"1", "2", ... -> schema text of each live registered version."""
    from governance.registry.client import RegistryClient, RegistryClientError, subject_path

    registry = RegistryClient(url)
    try:
        numbers = registry.call("GET", f"/subjects/{subject_path(subject)}/versions")
    except RegistryClientError as e:
        if e.status == 404:
            return {}
        raise
    return {str(n): registry.call("GET", f"/subjects/{subject_path(subject)}/versions/{n}")["schema"] for n in numbers}


def versions_from_git(folder: Any, subject: str, ref: str) -> dict[str, str]:
    """"1", "2", ... -> each distinct content schemas/<subject>.avsc had in history reachable from `ref`."""
    from governance.gate.history import Repo

    repo = Repo.of(folder)
    blobs = repo.blob_history(repo.commit(ref), {subject})[subject]
    texts = repo.read_blobs(set(blobs))
    return {str(i): texts[b] for i, b in enumerate(blobs, start=1)}


def pick(versions: dict[str, str], local: str | None, wanted: str | None, default: str) -> tuple[str, str]:
    """The (label, text) of version `wanted`: a number, "latest" or "local"."""
    from governance.errors import GovernanceError

    choice = (wanted or default).lower()
    if choice == "latest":
        if not versions:
            raise GovernanceError("the subject has no versions to compare with")
        choice = max(versions, key=int)
    if choice == "local":
        if local is None:
            raise GovernanceError("the subject has no local .avsc file", hint="pass --to VERSION")
        return "local file", local
    if choice not in versions:
        known = ", ".join(sorted(versions, key=int)) or "none"
        raise GovernanceError(f"no version {choice} (versions: {known})", hint='a version is a number, "latest" or "local"')
    return f"version {choice}", versions[choice]

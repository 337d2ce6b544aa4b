"""Rule columns checked against the subject's registered schemas, so that a typo in a
column name stops the sentinel instead of silently checking nothing.

Great Expectations treats a column no record has as a column of nulls: a range
rule on `amout` passes every record. With a registry the sentinel knows every
schema its records may be written with (all versions of the subject), so a column
that names no field of any of them is a mistake in the pipeline file. Column
names are the dotted paths `validate.flatten` builds: a nested record's fields
are `outer.inner`, and under a map any key may follow.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from governance.errors import GovernanceError
from governance.sentinel.pipeline import Pipeline, Rule

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


@dataclass
class Fields:
    """The column paths records of some schemas can have."""

    paths: set[str] = field(default_factory=set)
    """Every field path, nested records included."""
    values: set[str] = field(default_factory=set)
    """Paths that hold a value in some schema (a nested record is flattened away; a
    nullable one is a column when it is null)."""
    open_prefixes: set[str] = field(default_factory=set)
    """`path.` prefixes of maps: any key may follow."""

    def knows(self, column: str) -> bool:
        return column in self.values or any(column.startswith(p) for p in self.open_prefixes)

    def merge(self, other: Fields) -> None:
        self.paths |= other.paths
        self.values |= other.values
        self.open_prefixes |= other.open_prefixes


def schema_fields(schema: Any, named: Mapping[str, Any] | None = None) -> Fields:
    """The columns of an Avro schema (parsed JSON); `named` holds types defined elsewhere
    (referenced schemas), by full name."""
    types: dict[str, Any] = dict(named or {})
    _collect_named(schema, None, types)
    out = Fields()
    _walk(schema, "", None, types, out, depth=0)
    return out


def _collect_named(schema: Any, namespace: str | None, types: dict[str, Any]) -> None:
    if isinstance(schema, list):
        for branch in schema:
            _collect_named(branch, namespace, types)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "error", "enum", "fixed") and isinstance(schema.get("name"), str):
            name = schema["name"]
            space = schema.get("namespace", namespace) if "." not in name else name.rsplit(".", 1)[0]
            full = name if "." in name else (f"{space}.{name}" if space else name)
            types[full] = schema
            types.setdefault(full.rsplit(".", 1)[-1], schema)
            namespace = space
        for f in schema.get("fields", ()) if isinstance(schema.get("fields"), list) else ():
            if isinstance(f, dict):
                _collect_named(f.get("type"), namespace, types)
        for key in ("items", "values"):
            if key in schema:
                _collect_named(schema[key], namespace, types)
        if isinstance(kind, (dict, list)):
            _collect_named(kind, namespace, types)


def _resolve(schema: Any, namespace: str | None, types: Mapping[str, Any]) -> Any:
    if isinstance(schema, str) and schema not in _PRIMITIVES:
        qualified = f"{namespace}.{schema}" if namespace and "." not in schema else schema
        return types.get(qualified, types.get(schema, schema))
    if isinstance(schema, dict) and isinstance(schema.get("type"), (dict, list)):
        return _resolve(schema["type"], namespace, types)
    if isinstance(schema, dict) and isinstance(schema.get("type"), str) and schema["type"] not in (
            "record", "error", "enum", "fixed", "array", "map") and schema["type"] not in _PRIMITIVES:
        return _resolve(schema["type"], namespace, types)
    return schema


def _walk(schema: Any, prefix: str, namespace: str | None, types: Mapping[str, Any], out: Fields, depth: int) -> None:
    if depth > 32:  # a recursive type: its deeper levels repeat the same names
        return
    schema = _resolve(schema, namespace, types)
    if not isinstance(schema, dict) or schema.get("type") not in ("record", "error"):
        return
    name = schema.get("name", "")
    namespace = name.rsplit(".", 1)[0] if "." in name else schema.get("namespace", namespace)
    for f in schema.get("fields", ()):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            continue
        path = prefix + f["name"]
        branches = f.get("type")
        branches = branches if isinstance(branches, list) else [branches]
        resolved = [_resolve(b, namespace, types) for b in branches]
        is_record = [isinstance(b, dict) and b.get("type") in ("record", "error") for b in resolved]
        out.paths.add(path)
        if not all(is_record):
            out.values.add(path)
        for branch, record in zip(resolved, is_record):
            if record:
                _walk(branch, path + ".", namespace, types, out, depth + 1)
            elif isinstance(branch, dict) and branch.get("type") == "map":
                out.open_prefixes.add(path + ".")


@dataclass(frozen=True)
class Problem:
    rule: Rule
    column: str
    message: str
    line: int
    """The line of the argument that names the column (`column:`, an item of `column_list`)."""


def unknown_columns(rules: Iterable[Rule], fields: Fields, what: str) -> list[Problem]:
    """Each rule column that is not a column of `fields`, with the nearest existing name."""
    known = sorted(fields.values)
    problems = []
    for rule in rules:
        for arg, column in rule.column_args():
            if fields.knows(column):
                continue
            if column in fields.paths:
                inner = sorted(p for p in known if p.startswith(column + "."))
                message = (f"column `{column}` of {rule.expectation_type} is a nested record of {what}, "
                           f"not a value; name one of its fields: {', '.join(inner[:12])}")
            else:
                near = difflib.get_close_matches(column, known, n=1, cutoff=0.6)
                hint = f"did you mean `{near[0]}`? " if near else ""
                message = (f"column `{column}` of {rule.expectation_type} is not a field of {what}: {hint}"
                           f"fields: {', '.join(known[:40])}{', ...' if len(known) > 40 else ''}")
            problems.append(Problem(rule, column, message, rule.line_of(arg)))
    return problems


def check_pipeline_columns(pipeline: Pipeline, registry_url: str) -> str:
    """Stop with file, line and the fields that exist when a rule names a column no registered
    version of the pipeline's subject has, or when nothing is registered under the subject and
    a registered one is a typo away. Returns what was checked, for the banner."""
    from governance.registry.client import RegistryClient, RegistryClientError, subject_path

    from governance.sentinel.subjects import unregistered_subject

    if pipeline.value_format != "avro" or pipeline.subject is None:
        return "not checked (JSON values have no registered schema)"
    registry = RegistryClient(registry_url, unreachable_hint="check --registry / $GOVERNANCE_REGISTRY_URL")
    subject = subject_path(pipeline.subject)
    try:
        versions = registry.call("GET", f"/subjects/{subject}/versions?deleted=true")
    except RegistryClientError as e:
        if e.code == 40401:
            return unregistered_subject(pipeline, registry)
        raise
    rules = (*pipeline.record_rules, *pipeline.window_rules)
    if not any(r.columns() for r in rules):
        return "no rule names a column"
    fields = Fields()
    for version in versions:
        answer = registry.call("GET", f"/subjects/{subject}/versions/{version}?deleted=true")
        try:
            schema = json.loads(answer["schema"])
        except (KeyError, ValueError):
            continue
        fields.merge(schema_fields(schema, _referenced(registry, answer.get("references") or [], set())))
    span = f"version {versions[0]}" if len(versions) == 1 else f"versions {versions[0]}-{versions[-1]}"
    problems = unknown_columns(rules, fields, f"{pipeline.subject} ({span})")
    if problems:
        first = problems[0]
        more = "".join(f"\n  line {p.line}: {p.message}" for p in problems[1:])
        raise GovernanceError(
            f"{pipeline.path}, line {first.line}: {first.message}{more}",
            hint="fix the column name in the pipeline file; a field that only a newer schema has must be "
                 f"registered under {pipeline.subject} before the sentinel starts")
    return f"every rule column is a field of {pipeline.subject} ({span})"


def _referenced(registry: Any, references: list[dict[str, Any]], seen: set[tuple[str, int]]) -> dict[str, Any]:
    """Named types of referenced schemas (and theirs), by full name."""
    from governance.registry.client import subject_path

    types: dict[str, Any] = {}
    for reference in references:
        key = (str(reference.get("subject")), int(reference.get("version", -1)))
        if key in seen:
            continue
        seen.add(key)
        answer = registry.call("GET", f"/subjects/{subject_path(key[0])}/versions/{key[1]}?deleted=true")
        types.update(_referenced(registry, answer.get("references") or [], seen))
        try:
            _collect_named(json.loads(answer["schema"]), None, types)
        except (KeyError, ValueError):
            continue
    return types

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
from collections.abc import Iterable
from dataclasses import dataclass

from governance.errors import GovernanceError
from governance.formats import FieldPaths, UnsupportedSchemaType, format_for
from governance.sentinel.pipeline import REGISTRY_FORMATS, Pipeline, Rule
from governance.registry.client import referenced_texts


@dataclass(frozen=True)
class Problem:
    rule: Rule
    column: str
    message: str
    line: int
    """The line of the argument that names the column (`column:`, an item of `column_list`)."""


def unknown_columns(rules: Iterable[Rule], fields: FieldPaths, what: str) -> list[Problem]:
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
    from governance.registry.client import RegistryClient

    from governance.sentinel.subjects import unregistered_subject

    if pipeline.value_format not in REGISTRY_FORMATS or pipeline.subject is None:
        return "not checked (JSON values have no registered schema)"
    registry = RegistryClient(registry_url, unreachable_hint="check --registry / $GOVERNANCE_REGISTRY_URL")
    answers = registry.registered_versions(pipeline.subject)
    if answers is None:
        return unregistered_subject(pipeline, registry)
    rules = (*pipeline.record_rules, *pipeline.window_rules)
    if not any(r.columns() for r in rules):
        return "no rule names a column"
    fields = FieldPaths()
    for answer in answers:
        try:
            schema_format = format_for(answer.get("schemaType"))
        except UnsupportedSchemaType:
            continue
        if "schema" in answer:
            references = referenced_texts(lambda path: registry.call("GET", path), answer.get("references") or [])
            fields.merge(schema_format.columns(answer["schema"], references))
    versions = [answer.get("version") for answer in answers]
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

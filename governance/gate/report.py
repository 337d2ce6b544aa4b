"""The gate's findings as text for people, JSON lines, JUnit XML or GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from itertools import groupby
from xml.sax.saxutils import escape, quoteattr

from governance.errors import GovernanceError
from governance.gate.findings import GateFinding, Outcome, conflicts, grouped
from governance.workspace import InputError


def render(outcome: Outcome, fmt: str, verbose: bool = False) -> str:
    """One entry per break, with the versions it breaks against; `verbose`: one per version."""
    shown = outcome if verbose else replace(outcome, findings=grouped(outcome.findings))
    return _with_warnings(_RENDERERS[fmt](shown, _summary(outcome)), outcome, fmt)


def _summary(outcome: Outcome) -> str:
    """The last line of the text report, the same with or without -v: breaking changes are counted
    once each, however many earlier versions they break (that count follows when it is more)."""
    if outcome.ok:
        return f"OK: {outcome.checked} subject(s), {outcome.changed} changed, all compatible ({outcome.source})."
    breaks, pairs = len(grouped(outcome.findings)), conflicts(outcome.findings)
    subjects = len({f.subject for f in outcome.findings})
    per_version = f"; {pairs} counted once per earlier version broken" if pairs != breaks else ""
    return (f"FAILED: {breaks} breaking change(s) in {subjects} of {outcome.checked} subject(s) "
            f"({outcome.source}){per_version}.")


def _versions(f: GateFinding) -> str:
    versions = f.all_versions
    if not versions:
        return "the registered versions"
    if len(versions) == 1:
        return f"version {versions[0]}"
    if list(versions) == list(range(versions[0], versions[-1] + 1)):
        return f"versions {versions[0]}\u2013{versions[-1]}"
    return "versions " + ", ".join(map(str, versions))


def _where(f: GateFinding) -> str:
    path = f" field {f.field_path}" if f.field_path else ""
    return f"{f.type} against {_versions(f)} ({f.level}){path}"


def _text(outcome: Outcome, summary: str) -> str:
    lines: list[str] = []
    for file, group in groupby(sorted(outcome.findings, key=lambda f: (f.file, f.line)), key=lambda f: f.file):
        items = list(group)
        lines.append(f"{file} (subject {items[0].subject})")
        if impact := outcome.impacts.get(items[0].subject):
            lines.append(f"  breaks {items[0].subject}, {impact}")
        for f in items:
            lines.append(f"  {f.file}:{f.line}: {_where(f)}")
            lines.append(f"    {f.message}")
        lines.append("")
    lines.append(summary)
    return "\n".join(lines)


def _json(outcome: Outcome, summary: str) -> str:
    return "\n".join(json.dumps({**f.to_json(), **({"impact": outcome.impacts[f.subject]} if f.subject in outcome.impacts else {})},
                                sort_keys=True) for f in outcome.findings)


def _junit(outcome: Outcome, summary: str) -> str:
    cases = []
    for f in outcome.findings:
        versions = ",".join(map(str, f.all_versions)) or "?"
        name = quoteattr(f"{f.subject} {f.type} {f.field_path or '(schema)'} v{versions}")
        impact = f"\nbreaks {f.subject}, {outcome.impacts[f.subject]}" if f.subject in outcome.impacts else ""
        body = escape(f"{f.file}:{f.line}: {_where(f)}\n{f.message}{impact}")
        cases.append(f'  <testcase classname={quoteattr("schemas." + f.subject)} name={name} file={quoteattr(f.file)} '
                     f'line="{f.line}">\n    <failure type={quoteattr(f.type)} message={quoteattr(f.message)}>{body}</failure>\n  </testcase>')
    if outcome.ok:
        cases.append(f'  <testcase classname="schemas" name={quoteattr(f"{outcome.checked} subjects compatible")}/>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuite name="governance schemas check" tests="{max(len(outcome.findings), 1)}" '
            f'failures="{len(outcome.findings)}" errors="0">\n' + "\n".join(cases) + "\n</testsuite>")


def _annotation_value(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _annotation_value(text).replace(":", "%3A").replace(",", "%2C")


def _github(outcome: Outcome, summary: str) -> str:
    prop = _property

    def impact(f: GateFinding) -> str:
        return f" (breaks {f.subject}, {outcome.impacts[f.subject]})" if f.subject in outcome.impacts else ""

    return "\n".join(
        f"::error file={prop(f.file)},line={f.line}::{_annotation_value(f'{f.subject}: {_where(f)}: {f.message}{impact(f)}')}"
        for f in outcome.findings
    )


def render_error(error: GovernanceError, fmt: str) -> str:
    """Why the gate could not give a verdict (exit 2), in the CI format, so that the pull request shows it:
    a file it could not use (bad JSON, invalid Avro, a bad subjects.yml) on its line, anything else
    (registry unreachable or refusing, a missing git ref, a shallow clone) for the whole check.
    "" for text: stderr says it already."""
    is_input = isinstance(error, InputError)
    path, line, column = (error.path, error.line, error.column) if is_input else (None, None, None)
    text = error.reason if is_input else error.message
    detail = text + (f"\nhint: {error.hint}" if error.hint else "")
    if fmt == "json":
        return json.dumps({"error": True, "file": path, "line": line, "column": column,
                           "message": text, "hint": error.hint}, sort_keys=True)
    if fmt == "github":
        props = (f"file={_property(path)}" + (f",line={line}" if line else "")
                 + (f",col={column}" if line and column else "")) if path else f"title={_property(_TITLE)}"
        return f"::error {props}::{_annotation_value(detail)}"
    if fmt == "junit":
        if path:
            at = f' line="{line}"' if line else ""
            case = (f'  <testcase classname="schemas" name={quoteattr(path)} file={quoteattr(path)}{at}>\n'
                    f'    <failure type="InputError" message={quoteattr(text)}>{escape(str(error))}</failure>\n  </testcase>')
            counts = 'failures="1" errors="0"'
        else:
            case = (f'  <testcase classname="schemas" name={quoteattr(_TITLE)}>\n'
                    f'    <error type={quoteattr(type(error).__name__)} message={quoteattr(text)}>{escape(detail)}</error>\n'
                    '  </testcase>')
            counts = 'failures="0" errors="1"'
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<testsuite name="governance schemas check" tests="1" {counts}>\n{case}\n</testsuite>')
    return ""


_TITLE = "schemas check could not run"


_RENDERERS: dict[str, Callable[[Outcome, str], str]] = {"text": _text, "json": _json, "junit": _junit, "github": _github}


def _with_warnings(report: str, outcome: Outcome, fmt: str) -> str:
    """The CI formats carry the warnings too (text leaves them to stderr, where the command prints them)."""
    if not outcome.warnings or fmt == "text":
        return report
    if fmt == "json":
        return "\n".join([*(json.dumps(w.to_json(), sort_keys=True) for w in outcome.warnings), *filter(None, [report])])
    if fmt == "github":
        return "\n".join([*(f"::warning file={_property(w.file)}::{_annotation_value(w.message)}" for w in outcome.warnings),
                          *filter(None, [report])])
    err = "\n".join(f"warning: {w.message}" for w in outcome.warnings)
    return report.replace("\n</testsuite>", f"\n  <system-err>{escape(err)}</system-err>\n</testsuite>")


"""Proposals written as a sentinel pipeline file (`rules/*.yml`), each rule under the
comments a reviewer needs: what was observed and why its severity.

Written by hand, not by a YAML dumper, to keep those comments; every scalar is a JSON
string or number, which YAML reads as the same value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from governance.rules.propose import Proposals


def pipeline_text(proposals: Proposals, topic: str, subject: str | None, value_format: str,
                  header: Sequence[str]) -> str:
    """The pipeline file for `topic`; `header`: lines saying where the sample came from."""
    lines = [f"# {line}" for line in header]
    lines += ["# Review every rule before use: they describe a sample, not the business.",
              f"name: {_scalar(topic)}", f"source: {_scalar(topic)}", f"value_format: {value_format}"]
    if subject is not None:
        lines.append(f"subject: {_scalar(subject)}")
    if proposals.notes:
        lines += ["", "# Fields without a value rule:"]
        lines += [_comment(f"  {column}: {why}") for column, why in proposals.notes]
    lines += ["", "expectations:" + ("" if proposals.rules else " []")]
    for rule in proposals.rules:
        lines += [_comment(f"observed: {rule.observed}", "  "), _comment(f"severity {rule.why}", "  "),
                  f"  - expectation: {rule.expectation}", f"    column: {_scalar(rule.column)}"]
        lines += [f"    {key}: {_scalar(value)}" for key, value in rule.kwargs.items()]
        if rule.severity != "critical":
            lines.append(f"    severity: {rule.severity}")
    return "\n".join(lines) + "\n"


def _comment(text: str, indent: str = "") -> str:
    """One comment line, whatever the values it quotes hold (a newline would end the comment)."""
    return f"{indent}# " + "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _scalar(value: Any) -> str:
    """A YAML flow scalar or list; strings double-quoted when plain YAML could read them otherwise."""
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, str) and not _plain(value):
        return json.dumps(value)
    return str(value) if isinstance(value, str) else json.dumps(value)


def _plain(text: str) -> bool:
    """A string YAML reads back as that string when written without quotes."""
    import yaml

    if not text or text != text.strip() or any(c in text for c in ":#{}[],&*!|>'\"%@`\\"):
        return False
    if text[0] in "0123456789+-.":  # a YAML 1.2 reader may see a number (`04109`) where PyYAML sees text
        return False
    try:
        return yaml.safe_load(text) == text
    except yaml.YAMLError:
        return False

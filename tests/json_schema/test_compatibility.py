"""Confluent's JSON Schema compatibility rules, family by family, both directions and both policies."""

from __future__ import annotations

import json

import pytest
from json_schema.cases import CASES, Case

from governance.json_schema import LENIENT, STRICT, check_compatibility, parse_schema


def _verdicts(case: Case) -> str:
    old, new = parse_schema(json.dumps(case.old)), parse_schema(json.dumps(case.new))
    out = ""
    for policy in (STRICT, LENIENT):
        for level in ("BACKWARD", "FORWARD"):
            out += "n" if check_compatibility(new, [(1, old)], level, policy) else "y"
        out += "/" if policy == STRICT else ""
    return out


@pytest.mark.parametrize("case", CASES, ids=[f"{c.family}: {c.name}" for c in CASES])
def test_confluent_verdict(case: Case) -> None:
    assert _verdicts(case) == case.verdicts


@pytest.mark.parametrize("case", [c for c in CASES if c.breaks], ids=[f"{c.family}: {c.name}" for c in CASES if c.breaks])
def test_the_refusal_names_confluents_difference_type(case: Case) -> None:
    old, new = parse_schema(json.dumps(case.old)), parse_schema(json.dumps(case.new))
    level = "BACKWARD" if case.verdicts[0] == "n" else "FORWARD"
    findings = check_compatibility(new, [(1, old)], level)
    assert case.breaks in {f.type for f in findings}

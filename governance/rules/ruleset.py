"""Proposals written as a Confluent data contract: a `ruleSet` of CEL `domainRules`.

Each rule is a CONDITION on the whole message (`type: CEL`, `mode: WRITE`) that means
what its expectation means to Great Expectations: a value rule passes a null or absent
field (a separate not-null rule catches those), a pattern is searched for (CEL's
`matches`, like GX's `re.search`; every proposed pattern is anchored), bounds are
inclusive. Literals take the type of the field's values, and null is tested by type: in
cel-python (Confluent's Python executor) an int compared with a double, or with `null`, is
an error, not false. Critical rules send a failing record to the DLQ, warnings only count.
"""

from __future__ import annotations

import json
import re
from typing import Any

from governance.rules.propose import BETWEEN, IN_SET, LENGTHS, NOT_NULL, REGEX, Proposal, Proposals

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RESERVED = frozenset({"as", "break", "const", "continue", "else", "false", "for", "function", "if", "import", "in",
                       "let", "loop", "package", "namespace", "null", "return", "true", "var", "void", "while"})
_SUFFIX = {NOT_NULL: "not-null", BETWEEN: "range", IN_SET: "set", LENGTHS: "length", REGEX: "pattern"}


def ruleset(proposals: Proposals, value_format: str, dlq_topic: str) -> dict[str, Any]:
    """`{"domainRules": [...]}` for the subject the sample was written with."""
    return {"domainRules": [_rule(p, value_format, dlq_topic) for p in proposals.rules]}


def expression(p: Proposal, value_format: str) -> str:
    """The CEL condition that holds for a record exactly when the proposal's expectation passes it."""
    present = _present(p.column, value_format)
    if p.expectation == NOT_NULL:
        return " && ".join(present)
    ref = _ref(p.column)
    condition = _condition(p, ref)
    if len(present) == 1 and present[0].endswith(" != null_type"):
        return f"type({ref}) == null_type || ({condition})"
    return f"!({' && '.join(present)}) || ({condition})"


def _rule(p: Proposal, value_format: str, dlq_topic: str) -> dict[str, Any]:
    doc = f"observed: {p.observed}. Severity {p.why}. Proposed by `governance rules suggest`."
    if p.expectation == IN_SET and value_format == "protobuf":
        doc += " If the field is a Protobuf enum, Confluent's CEL executor sees its number: write the numbers."
    rule: dict[str, Any] = {"name": f"{p.column}-{_SUFFIX[p.expectation]}", "doc": doc, "kind": "CONDITION",
                            "type": "CEL", "mode": "WRITE", "expr": expression(p, value_format)}
    if p.severity == "critical":
        rule.update(onFailure="DLQ", params={"dlq.topic": dlq_topic})
    else:
        rule["onFailure"] = "NONE"
    return rule


def _condition(p: Proposal, ref: str) -> str:
    args = p.kwargs
    if p.expectation == BETWEEN:
        return f"{ref} >= {_number(args['min_value'], p.kind)} && {ref} <= {_number(args['max_value'], p.kind)}"
    if p.expectation == IN_SET:
        return f"{ref} in [{', '.join(_string(v) for v in args['value_set'])}]"
    if p.expectation == LENGTHS:
        return f"size({ref}) >= {int(args['min_value'])} && size({ref}) <= {int(args['max_value'])}"
    if p.expectation == REGEX:
        return f"{ref}.matches({_string(args['regex'])})"
    raise ValueError(f"no CEL for {p.expectation}")


def _present(column: str, value_format: str) -> list[str]:
    """The clauses that hold when every field along `column` is set and not null, outermost first.
    An Avro record has every field (null or not); a JSON object may lack a property; a Protobuf
    field is set as `has()` says (a proto3 scalar: when not its default value), and a decoded
    one may be a map with a null."""
    clauses = []
    parent = "message"
    for segment in column.split("."):
        ref = _child(parent, segment)
        if value_format != "avro":
            clauses.append(f"has({ref})" if _is_ident(segment) else f"{_string(segment)} in {parent}")
        clauses.append(f"type({ref}) != null_type")
        parent = ref
    return clauses


def _ref(column: str) -> str:
    ref = "message"
    for segment in column.split("."):
        ref = _child(ref, segment)
    return ref


def _child(parent: str, segment: str) -> str:
    return f"{parent}.{segment}" if _is_ident(segment) else f"{parent}[{_string(segment)}]"


def _is_ident(segment: str) -> bool:
    return bool(_IDENT.fullmatch(segment)) and segment not in _RESERVED


def _number(value: Any, kind: str | None) -> str:
    if kind == "int":
        return str(int(value))
    text = repr(float(value))
    return text if any(c in text for c in ".en") else f"{text}.0"


def _string(text: str) -> str:
    """A CEL string literal: JSON's escapes are CEL's."""
    return json.dumps(text, ensure_ascii=False)

"""A registry `ruleSet` read into typed rules; a malformed one is a ContractError naming subject,
version and rule."""

from __future__ import annotations

from typing import Any

import pytest

from governance.contracts.ruleset import ContractError, Rule, RuleSet, parse_rule_set


def rule(**overrides: Any) -> dict[str, Any]:
    return {"name": "amount-positive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
            "expr": "message.amount > 0", **overrides}


def parse(raw: Any) -> RuleSet:
    return parse_rule_set(raw, subject="payments-value", version=3)


def test_every_field_of_a_rule_is_read() -> None:
    parsed = parse({"domainRules": [rule(doc="amounts are positive", tags=["PII"], params={"dlq.topic": "dlq"},
                                         onSuccess="NONE", onFailure="DLQ", disabled=True, mode="writeread")],
                    "migrationRules": [rule(name="up", mode="UPGRADE", kind="TRANSFORM", type="JSONATA", expr="$")],
                    "enableAt": "CLIENT"})
    assert parsed.domain_rules == (Rule(name="amount-positive", kind="CONDITION", mode="WRITEREAD", type="CEL",
                                        expr="message.amount > 0", doc="amounts are positive", tags=("PII",),
                                        params={"dlq.topic": "dlq"}, on_success="NONE", on_failure="DLQ",
                                        disabled=True),)
    assert [r.name for r in parsed.migration_rules] == ["up"]
    assert parsed.encoding_rules == ()
    assert parsed.enable_at == "CLIENT"


@pytest.mark.parametrize("raw", [None, {}, {"domainRules": None}])
def test_no_rule_set_is_an_empty_one(raw: Any) -> None:
    assert parse(raw) == RuleSet()


@pytest.mark.parametrize(("raw", "says"), [
    ({"domainRules": [rule(kind="VALIDATE")]}, 'subject "payments-value" version 3 rule "amount-positive": kind is \'VALIDATE\''),
    ({"domainRules": [rule(mode="SOMETIMES")]}, 'rule "amount-positive": mode is \'SOMETIMES\''),
    ({"domainRules": [rule(mode=None)]}, 'rule "amount-positive": mode is missing'),
    ({"domainRules": [rule(expr=None)]}, 'rule "amount-positive": no expr'),
    ({"domainRules": [rule(expr="  ")]}, 'rule "amount-positive": no expr'),
    ({"domainRules": [rule(name="")]}, 'subject "payments-value" version 3: ruleSet.domainRules[0] has no name'),
    ({"domainRules": [rule(), rule(name=None)]}, "ruleSet.domainRules[1] has no name"),
    ({"domainRules": [rule(type="")]}, 'rule "amount-positive": no type'),
    ({"domainRules": [rule(tags="PII")]}, "tags is not a list of strings"),
    ({"domainRules": [rule(disabled="yes")]}, "disabled is 'yes', not true or false"),
    ({"domainRules": [rule(onFailure=3)]}, "onFailure is int, not a string"),
    ({"domainRules": {"name": "x"}}, "ruleSet.domainRules is not a list"),
    ({"domainRules": ["x"]}, "ruleSet.domainRules[0] is not an object"),
    ([], "ruleSet is list, not an object"),
])
def test_a_malformed_rule_set_is_named_by_subject_version_and_rule(raw: Any, says: str) -> None:
    with pytest.raises(ContractError) as error:
        parse(raw)
    assert says in str(error.value)


def test_a_transform_without_an_expression_is_a_rule_like_any_other() -> None:
    parsed = parse({"domainRules": [rule(kind="TRANSFORM", type="ENCRYPT", expr=None)]})
    assert parsed.domain_rules[0].expr is None

"""A registered schema's `ruleSet`, as typed values (standard library only).

The registry returns it verbatim beside `schema`: `{"migrationRules": [...], "domainRules": [...],
"encodingRules": [...], "enableAt": ...}`; each rule is Confluent's `Rule`
(io.confluent.kafka.schemaregistry.client.rest.entities.Rule): name, doc, kind, mode, type, tags,
params, expr, onSuccess, onFailure, disabled. A rule set that does not have that shape is a
`ContractError` naming the subject, version and rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from governance.errors import GovernanceError

KINDS = ("CONDITION", "TRANSFORM")
MODES = ("WRITE", "READ", "WRITEREAD", "UPGRADE", "DOWNGRADE", "UPDOWN")
_LISTS = ("migrationRules", "domainRules", "encodingRules")


class ContractError(GovernanceError):
    """A rule set or rule expression that cannot be enforced, named by subject, version and rule."""


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    mode: str
    type: str
    expr: str | None = None
    doc: str | None = None
    tags: tuple[str, ...] = ()
    params: Mapping[str, str] = field(default_factory=dict)
    on_success: str | None = None
    on_failure: str | None = None
    disabled: bool = False


@dataclass(frozen=True)
class RuleSet:
    migration_rules: tuple[Rule, ...] = ()
    domain_rules: tuple[Rule, ...] = ()
    encoding_rules: tuple[Rule, ...] = ()
    enable_at: str | None = None


def where(subject: str, version: int, rule: str | None = None) -> str:
    """'subject "s" version 3 rule "r"': how every contract error starts."""
    text = f'subject "{subject}" version {version}'
    return f'{text} rule "{rule}"' if rule is not None else text


def parse_rule_set(raw: Mapping[str, Any] | None, *, subject: str, version: int) -> RuleSet:
    """The `ruleSet` of `subject`'s `version`; None or {} is an empty rule set."""
    if raw is None:
        return RuleSet()
    if not isinstance(raw, Mapping):
        raise ContractError(f"{where(subject, version)}: ruleSet is {type(raw).__name__}, not an object")
    lists = {}
    for key in _LISTS:
        items = raw.get(key) or []
        if not isinstance(items, list):
            raise ContractError(f"{where(subject, version)}: ruleSet.{key} is not a list")
        lists[key] = tuple(_rule(item, subject, version, f"{key}[{i}]") for i, item in enumerate(items))
    enable_at = raw.get("enableAt")
    return RuleSet(lists["migrationRules"], lists["domainRules"], lists["encodingRules"],
                   enable_at if isinstance(enable_at, str) else None)


def _rule(raw: Any, subject: str, version: int, position: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise ContractError(f"{where(subject, version)}: ruleSet.{position} is not an object")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ContractError(f"{where(subject, version)}: ruleSet.{position} has no name",
                            "every rule needs a non-empty `name`")
    at = where(subject, version, name)
    kind = _choice(raw, "kind", KINDS, at)
    mode = _choice(raw, "mode", MODES, at)
    rule_type = raw.get("type")
    if not isinstance(rule_type, str) or not rule_type.strip():
        raise ContractError(f"{at}: no type", "a rule's `type` names its executor: CEL, CEL_FIELD, ...")
    expr = raw.get("expr")
    if expr is not None and not isinstance(expr, str):
        raise ContractError(f"{at}: expr is {type(expr).__name__}, not a string")
    if kind == "CONDITION" and rule_type.upper() in ("CEL", "CEL_FIELD") and not (expr or "").strip():
        raise ContractError(f"{at}: no expr", "a CEL condition needs an `expr`")
    tags = raw.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ContractError(f"{at}: tags is not a list of strings")
    params = raw.get("params") or {}
    if not isinstance(params, Mapping):
        raise ContractError(f"{at}: params is not an object")
    disabled = raw.get("disabled", False)
    if not isinstance(disabled, bool):
        raise ContractError(f"{at}: disabled is {disabled!r}, not true or false")
    return Rule(name=name, kind=kind, mode=mode, type=rule_type.upper(), expr=expr,
                doc=_text(raw, "doc", at), tags=tuple(tags), params={str(k): str(v) for k, v in params.items()},
                on_success=_text(raw, "onSuccess", at), on_failure=_text(raw, "onFailure", at), disabled=disabled)


def _choice(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...], at: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or value.upper() not in allowed:
        shown = "missing" if value is None else f"{value!r}"
        raise ContractError(f"{at}: {key} is {shown}", f"one of {', '.join(allowed)}")
    return value.upper()


def _text(raw: Mapping[str, Any], key: str, at: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ContractError(f"{at}: {key} is {type(value).__name__}, not a string")
    return value

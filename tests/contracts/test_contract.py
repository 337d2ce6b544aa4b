"""Contract.of keeps the rules Confluent's client would run for the mode and says why it leaves
the others; check_batch gives each record's failures as the evaluator judges them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from governance.contracts import Contract, ContractError, ContractRule, Ignored, RuleFailure

SCHEMA = {"type": "record", "name": "Payment", "namespace": "shop", "fields": [
    {"name": "id", "type": "string"},
    {"name": "amount", "type": "double"},
    {"name": "email", "type": ["null", "string"], "confluent:tags": ["PII"]},
    {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
        {"name": "street", "type": "string", "confluent:tags": ["PII"]},
        {"name": "zip", "type": "string"}]}},
    {"name": "phones", "type": {"type": "array", "items": "string"}, "confluent:tags": ["PII"]},
    {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}},
]}


def rule(name: str, expr: str, **overrides: Any) -> dict[str, Any]:
    return {"name": name, "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": expr, **overrides}


def contract(*rules: dict[str, Any], mode: str = "WRITE", schema: Any = SCHEMA, schema_type: str = "AVRO",
             **rule_set: Any) -> Contract:
    return Contract.of({"domainRules": list(rules), **rule_set}, subject="payments-value", version=4,
                       schema_type=schema_type, schema=schema, mode=mode)


def payment(**overrides: Any) -> dict[str, Any]:
    return {"id": "p-1", "amount": 10.0, "email": "a@b.c", "address": {"street": "Main 1", "zip": "12345"},
            "phones": ["+49 1"], "status": "NEW", **overrides}


def test_only_the_cel_conditions_that_run_in_the_mode_are_enforced() -> None:
    c = contract(
        rule("write", "true"), rule("both", "true", mode="WRITEREAD"), rule("read", "true", mode="READ"),
        rule("off", "true", disabled=True), rule("mask", "message", kind="TRANSFORM"),
        rule("js", "$.x", type="JSONATA"), rule("field", "value != ''", type="CEL_FIELD"),
        rule("up", "true", mode="UPGRADE"),
        migrationRules=[rule("migrate", "message", kind="TRANSFORM", mode="UPGRADE")])
    assert [r.name for r in c.rules] == ["write", "both", "field"]
    assert c.ignored == (
        Ignored("migrate", "a migration rule (runs between schema versions, not on records as written)"),
        Ignored("read", "mode READ does not run on WRITE"),
        Ignored("off", "disabled"),
        Ignored("mask", "kind TRANSFORM (only CONDITION rules are enforced: a transform would change the record)"),
        Ignored("js", "type JSONATA (only CEL and CEL_FIELD conditions are enforced)"),
        Ignored("up", "mode UPGRADE does not run on WRITE"),
    )


def test_read_mode_runs_read_rules_in_reverse_order() -> None:
    c = contract(rule("first", "true", mode="READ"), rule("second", "true", mode="WRITEREAD"), mode="READ")
    assert [r.name for r in c.rules] == ["second", "first"]


def test_enable_at_other_than_client_disables_every_rule() -> None:
    c = contract(rule("a", "true"), enableAt="SERVER")
    assert c.rules == ()
    assert c.ignored[0].reason.startswith("ruleSet.enableAt is SERVER")


@pytest.mark.parametrize(("on_failure", "mode", "rule_mode", "action"), [
    ("DLQ", "WRITE", "WRITE", "DLQ"), (None, "WRITE", "WRITE", "ERROR"), ("NONE", "WRITE", "WRITE", "NONE"),
    ("DLQ,NONE", "WRITE", "WRITEREAD", "DLQ"), ("DLQ,NONE", "READ", "WRITEREAD", "NONE"),
    ("dlq", "WRITE", "WRITE", "DLQ"), ("EMAIL", "WRITE", "WRITE", "ERROR"), ("", "WRITE", "WRITE", "ERROR"),
])
def test_on_failure_is_resolved_for_the_mode(on_failure: str | None, mode: str, rule_mode: str, action: str) -> None:
    c = contract(rule("r", "true", onFailure=on_failure, mode=rule_mode), mode=mode)
    assert c.rules == (ContractRule("r", "CEL", rule_mode, "true", action),)


def test_a_rule_that_does_not_compile_stops_the_contract_with_subject_version_and_rule() -> None:
    with pytest.raises(ContractError) as caught:
        contract(rule("good", "true"), rule("broken", "message.amount >"))
    assert str(caught.value).startswith('subject "payments-value" version 4 rule "broken": the CEL expression')


def test_check_batch_gives_each_records_failures_in_rule_order() -> None:
    c = contract(rule("positive", "message.amount > 0"),
                 rule("known", "message.status in ['NEW', 'PAID']", doc="status must be known"),
                 rule("typed", "message.id.startsWith('p-')"))
    failures = c.check_batch([payment(), payment(amount=-1.0, status="LOST"), payment(id=7), {}])
    assert failures[:2] == [
        [],
        [RuleFailure("positive", "Rule expr failed: message.amount > 0", None),
         RuleFailure("known", "status must be known", None)],
    ]
    [wrong_type] = failures[2]
    assert wrong_type.rule == "typed" and wrong_type.message == wrong_type.exception
    assert "startsWith" in wrong_type.exception
    assert failures[3] == [RuleFailure(name, "no such key: " + key, "no such key: " + key)
                           for name, key in (("positive", "'amount'"), ("known", "'status'"), ("typed", "'id'"))]


def test_the_compiled_shapes_and_the_evaluator_give_the_same_failures() -> None:
    shaped = contract(rule("r", "message.amount > 0 && size(message.id) <= 3"))
    unshaped = contract(rule("r", "message.amount + 0.0 > 0.0 && size(message.id) <= 3"))
    batch = [payment(), payment(amount=0), payment(id="long-id"), payment(amount="x"), {"id": "x"}]
    assert [[f.rule for f in fs] for fs in shaped.check_batch(batch)] == [[], ["r"], ["r"], ["r"], ["r"]]
    assert [[f.rule for f in fs] for fs in unshaped.check_batch(batch)] == [[], ["r"], ["r"], ["r"], ["r"]]


def test_a_cel_field_rule_visits_the_fields_its_tags_select() -> None:
    c = contract(rule("pii-short", "size(value) < 8", type="CEL_FIELD", tags=["PII"]))
    size_of_null = "Function 'size' error: Python function call failed: TypeError: no such overload: size(null). " \
        "Check function arguments and their types."
    assert c.check_batch([payment(), payment(email=None)]) == [
        [], [RuleFailure("pii-short", size_of_null, size_of_null)]]
    long = [payment(address={"street": "Long Street 12", "zip": "1"}), payment(phones=["+49 1", "+49 123456789"]),
            payment(id="a-very-long-id", status="PAID")]
    assert [[f.rule for f in fs] for fs in c.check_batch(long)] == [["pii-short"], ["pii-short"], []]


def test_cel_field_variables_are_confluents() -> None:
    seen = "fullName + ':' + name + ':' + typeName + ':' + tags[0] + ':' + message.zip"
    expr = f"has(message.zip) ; {seen} != 'shop.Address.street:street:STRING:PII:12345'"
    c = contract(rule("names", expr, type="CEL_FIELD", tags=["PII"]))
    assert c.check_batch([payment()]) == [[RuleFailure("names", f"Rule expr failed: {expr}", None)]]
    visited = []
    from governance.contracts.fields import walker
    for field, value, _ in walker("AVRO", json.dumps(SCHEMA), ("PII",), None, "at")(payment(email=None)):
        visited.append((field.full_name, field.name, field.type_name, field.tags, value))
    assert visited == [("shop.Payment.email", "email", "NULL", ("PII",), None),
                       ("shop.Address.street", "street", "STRING", ("PII",), "Main 1"),
                       ("shop.Payment.phones", "phones", "STRING", ("PII",), "+49 1")]


def test_a_cel_field_rule_without_tags_visits_every_primitive_field_but_not_enums() -> None:
    from governance.contracts.fields import walker
    names = [field.name for field, _, _ in walker("AVRO", SCHEMA, (), None, "at")(payment())]
    assert names == ["id", "amount", "email", "street", "zip", "phones"]


def test_metadata_tag_globs_select_fields_too() -> None:
    from governance.contracts.fields import walker
    metadata = {"tags": {"shop.Address.*": ["ADDR"], "**.id": ["KEY"]}}
    assert [field.full_name for field, _, _ in walker("AVRO", SCHEMA, ("ADDR", "KEY"), metadata, "at")(payment())] == \
        ["shop.Payment.id", "shop.Address.street", "shop.Address.zip"]


JSON_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "string"},
    "email": {"type": ["null", "string"], "confluent:tags": ["PII"]},
    "address": {"$ref": "#/definitions/Address"},
    "status": {"enum": ["NEW", "PAID"], "confluent:tags": ["PII"]}},
    "definitions": {"Address": {"type": "object", "properties": {
        "street": {"type": "string", "confluent:tags": ["PII"]}, "zip": {"type": "string"}}}}}


def test_a_json_schema_cel_field_rule_visits_tagged_non_null_properties() -> None:
    from governance.contracts.fields import walker
    record = {"id": "1", "email": None, "address": {"street": "Main 1", "zip": "1"}, "status": "NEW"}
    walk = walker("JSON", json.dumps(JSON_SCHEMA), ("PII",), None, "at")
    visits = [(field.full_name, field.type_name) for field, _, _ in walk(record)]
    assert visits == [("$.address.street", "STRING"), ("$.status", "ENUM")]


def test_a_cel_field_rule_walks_avro_types_named_from_references() -> None:
    address = {"type": "record", "name": "Address", "namespace": "shop", "fields": [
        {"name": "street", "type": "string", "confluent:tags": ["PII"]}]}
    order = {"type": "record", "name": "Order", "namespace": "shop", "fields": [
        {"name": "id", "type": "string"}, {"name": "address", "type": "shop.Address"}]}
    c = Contract.of({"domainRules": [rule("short", "size(value) < 5", type="CEL_FIELD", tags=["PII"])]},
                    subject="orders-value", version=1, schema_type="AVRO", schema=json.dumps(order),
                    references={"shop.Address": json.dumps(address)})
    assert [[f.rule for f in fs] for fs in c.check_batch([{"id": "1", "address": {"street": "Main 1"}},
                                                          {"id": "long id", "address": {"street": "x"}}])] == [
        ["short"], []]


def test_a_contract_pickles_for_the_judge_workers_and_judges_the_same_there() -> None:
    import copy as copy_module
    import pickle

    c = contract(rule("positive", "message.amount > 0", onFailure="DLQ"), rule("off", "true", disabled=True))
    copy = pickle.loads(pickle.dumps(c))
    assert copy_module.copy(c).rules == c.rules == copy_module.copy(c).rules
    assert (copy.subject, copy.version, copy.mode, copy.rules, copy.ignored) == (c.subject, c.version, c.mode, c.rules,
                                                                                 c.ignored)
    batch = [payment(), payment(amount=-1.0)]
    assert copy.check_batch(batch) == c.check_batch(batch)


def test_check_batch_with_the_compiled_shapes_equals_check_batch_on_the_evaluator_alone() -> None:
    from unittest import mock

    from hypothesis import HealthCheck, given, settings
    from contract_helpers import condition, field_condition, records

    fields = {"type": "record", "name": "R", "fields": [
        {"name": n, "type": ["null", "string", "long", "double", "boolean", "bytes", {"type": "array", "items": "long"}],
         "confluent:tags": ["T"] if n != "b" else []} for n in ("a", "b", "c")]}

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(condition("message"), field_condition(), records())
    def same(cel_text: str, field_text: str, recs: list[dict[str, Any]]) -> None:
        rule_set = {"domainRules": [rule("whole", cel_text), rule("each", field_text, type="CEL_FIELD", tags=["T"])]}
        shaped = Contract.of(rule_set, subject="s", version=1, schema_type="AVRO", schema=fields)
        with mock.patch("governance.contracts.contract.compile_shape", return_value=None):
            plain = Contract.of(rule_set, subject="s", version=1, schema_type="AVRO", schema=fields)
        assert shaped.check_batch(recs) == plain.check_batch(recs)

    same()


def test_json_schema_is_json_as_the_registry_says_or_json_schema_as_pipelines_do() -> None:
    for schema_type in ("JSON", "json_schema"):
        c = contract(rule("f", "size(value) <= 3", type="CEL_FIELD", tags=["PII"]), schema=JSON_SCHEMA,
                     schema_type=schema_type)
        assert [[f.rule for f in fs] for fs in c.check_batch([{"status": "NEW"}, {"status": "PAID"}])] == [[], ["f"]]


def test_a_null_record_breaks_no_rule_as_confluent_runs_none_on_a_null_message() -> None:
    c = contract(rule("positive", "message.amount > 0"))
    assert c.check_batch([None, payment(amount=-1.0), None]) == [
        [], [RuleFailure("positive", "Rule expr failed: message.amount > 0", None)], []]
    assert c.check(None) == []

"""The proposals as a Confluent ruleSet: valid rules whose CEL compiles in cel-python (what
Confluent's Python client runs, with its own record conversion) and judges every record as
the same rule does in the sentinel."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from rules_helpers import DEMO_TOPICS, demo_kinds, records

from governance.contracts.cel import FALSE, Condition
from governance.contracts.shapes import compile_shape
from governance.rules.profile import profile_records
from governance.rules.propose import BETWEEN, IN_SET, LENGTHS, NOT_NULL, REGEX, Proposal, Proposals, Thresholds, propose
from governance.rules.ruleset import expression, ruleset
from governance.rules.write import pipeline_text
from governance.sentinel.pipeline import load_pipeline
from governance.sentinel.validate import RecordValidator

celpy = pytest.importorskip("celpy")
from confluent_kafka.schema_registry.rules.cel.cel_executor import msg_to_cel  # noqa: E402

FORMATS = {"shipments": "protobuf", "returns": "json_schema"}
ENV = celpy.Environment()


def holds(expr: str, record: dict, program: object = None) -> bool:
    """The verdict of Confluent's Python executor: true only for a CEL true; an evaluation error is a failure."""
    try:
        result = (program or ENV.program(ENV.compile(expr))).evaluate({"message": msg_to_cel(record)})
    except celpy.CELEvalError:
        return False
    return isinstance(result, celpy.celtypes.BoolType) and bool(result)


def rule(expectation: str, column: str, kind: str | None = None, **kwargs: object) -> Proposal:
    return Proposal(expectation, column, kwargs, "warning", "o", "w", kind)


@pytest.mark.parametrize(("proposal", "value_format", "expr"), [
    (rule(NOT_NULL, "a.b"), "avro", "type(message.a) != null_type && type(message.a.b) != null_type"),
    (rule(NOT_NULL, "a.b"), "json_schema",
     "has(message.a) && type(message.a) != null_type && has(message.a.b) && type(message.a.b) != null_type"),
    (rule(BETWEEN, "amount", "float", min_value=0.5, max_value=9870), "avro",
     "type(message.amount) == null_type || (message.amount >= 0.5 && message.amount <= 9870.0)"),
    (rule(BETWEEN, "n", "int", min_value=1, max_value=12), "avro",
     "type(message.n) == null_type || (message.n >= 1 && message.n <= 12)"),
    (rule(IN_SET, "currency", "str", value_set=["EUR", "USD"]), "avro",
     'type(message.currency) == null_type || (message.currency in ["EUR", "USD"])'),
    (rule(REGEX, "id", "str", regex=r"^\d{4}$"), "protobuf",
     r'!(has(message.id) && type(message.id) != null_type) || (message.id.matches("^\\d{4}$"))'),
    (rule(LENGTHS, "x.in", "str", min_value=1, max_value=3), "avro",  # `in` is reserved: a map index
     '!(type(message.x) != null_type && type(message.x["in"]) != null_type) || '
     '(size(message.x["in"]) >= 1 && size(message.x["in"]) <= 3)'),
])
def test_each_expectation_has_its_cel_condition(proposal: Proposal, value_format: str, expr: str) -> None:
    assert expression(proposal, value_format) == expr
    ENV.compile(expr)


def test_a_rule_is_a_write_condition_critical_ones_to_the_dlq_with_the_observation_as_doc() -> None:
    proposals = Proposals(200, (Proposal(NOT_NULL, "id", {}, "critical", "0 nulls in 200 records", "critical: why"),
                                rule(IN_SET, "c", "str", value_set=["A"])), ())
    not_null, in_set = ruleset(proposals, "protobuf", "pay-dlq")["domainRules"]
    assert not_null == {"name": "id-not-null", "kind": "CONDITION", "type": "CEL", "mode": "WRITE",
                        "expr": "has(message.id) && type(message.id) != null_type", "onFailure": "DLQ",
                        "params": {"dlq.topic": "pay-dlq"},
                        "doc": "observed: 0 nulls in 200 records. Severity critical: why. "
                               "Proposed by `governance rules suggest`."}
    assert in_set["onFailure"] == "NONE" and "params" not in in_set
    assert "Protobuf enum" in in_set["doc"]


def test_a_decimal_compares_with_a_double_bound_in_confluents_executor() -> None:
    expr = expression(rule(BETWEEN, "amount", "float", min_value=0.25, max_value=275.0), "avro")
    assert holds(expr, {"amount": Decimal("12.50")}) and not holds(expr, {"amount": Decimal("-0.01")})
    assert holds(expr, {"amount": None})


@pytest.mark.parametrize("topic", DEMO_TOPICS)
def test_every_rule_judges_each_demo_record_as_the_sentinel_judges_it(tmp_path: Path, topic: str) -> None:
    clean, bad = demo_kinds(topic)
    sample = records(clean, 600, seed=1)
    proposals = propose(profile_records(sample), Thresholds())
    rules = json.loads(json.dumps(ruleset(proposals, FORMATS.get(topic, "avro"), f"{topic}-dlq")))["domainRules"]
    path = tmp_path / "p.yml"
    path.write_text(pipeline_text(proposals, topic, f"{topic}-value", FORMATS.get(topic, "avro"), []))
    pipeline_rules = load_pipeline(path).record_rules
    judged = sample[:60] + [r for kind, _ in bad for r in records(kind, 10, seed=3)]  # cel-python: ~1 ms a record
    failures = RecordValidator(pipeline_rules).validate(judged)
    for cel_rule, gx_rule in zip(rules, pipeline_rules, strict=True):
        program = ENV.program(ENV.compile(cel_rule["expr"]))
        for record, failed in zip(judged, failures):
            verdict = holds(cel_rule["expr"], record, program)
            assert verdict == (gx_rule.name not in {f.rule for f in failed}), (cel_rule["expr"], record)


@pytest.mark.parametrize("topic", DEMO_TOPICS)
def test_every_rule_is_a_compiled_shape_with_the_evaluators_verdict_on_each_demo_record(topic: str) -> None:
    clean, bad = demo_kinds(topic)
    sample = records(clean, 600, seed=1)
    rules = ruleset(propose(profile_records(sample), Thresholds()), FORMATS.get(topic, "avro"), f"{topic}-dlq")
    judged = sample[:60] + [r for kind, _ in bad for r in records(kind, 10, seed=3)]
    for cel_rule in rules["domainRules"]:
        check = compile_shape(cel_rule["expr"], "message")
        assert check is not None, cel_rule["expr"]
        found = check(judged)
        assert found is not None, cel_rule["expr"]
        judge = Condition(cel_rule["expr"], topic).judge
        verdicts = [judge({"message": r}) for r in judged]
        assert found.false == [i for i, v in enumerate(verdicts) if v is FALSE], cel_rule["expr"]
        assert found.error == [i for i, v in enumerate(verdicts) if v is not None and v is not FALSE], cel_rule["expr"]

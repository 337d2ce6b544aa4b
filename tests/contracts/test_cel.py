"""CEL expressions on the Rust evaluator: compile errors named, CEL's semantics on decoded records
(as decided in governance/contracts/cel.py), Confluent's guard and condition verdicts."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest

from governance.contracts.cel import FALSE, Condition, EvaluationError, Expression, rewrite_size
from governance.contracts.ruleset import ContractError

AT = 'subject "payments-value" version 2 rule "amount-positive"'


def value(text: str, **variables: Any) -> Any:
    return Expression(text, AT).evaluate(variables)


def error(text: str, **variables: Any) -> str:
    with pytest.raises(EvaluationError) as caught:
        value(text, **variables)
    return str(caught.value)


@pytest.mark.parametrize("text", ["message.amount >", "size(", "message.'x'", "a ? b"])
def test_an_expression_that_does_not_compile_names_subject_version_rule_and_the_library_message(text: str) -> None:
    with pytest.raises(ContractError) as caught:
        Expression(text, AT)
    said = str(caught.value)
    assert said.startswith(f"{AT}: the CEL expression {text!r} does not compile: ")
    assert "Syntax error" in said or "Incomplete" in said


def test_ints_and_doubles_compare_and_equal_across_types() -> None:
    assert value("message.a == 1.0", message={"a": 1}) is True
    assert value("message.a >= 0.0", message={"a": 5}) is True
    assert value("message.a < 2", message={"a": 1.5}) is True


def test_equality_across_other_types_is_false_and_ordering_them_an_error() -> None:
    assert value("message.a == 'x'", message={"a": 1}) is False
    assert value("message.a == 1", message={"a": True}) is False
    assert "No such overload" in error("message.a > 0", message={"a": "1"})
    assert "No such overload" in error("message.a > 0", message={"a": None})


def test_a_missing_field_is_an_error_and_a_null_one_is_null() -> None:
    assert error("message.a != null", message={}) == "no such key: 'a'"
    assert value("message.a != null", message={"a": None}) is False
    assert value("has(message.a)", message={}) is False
    assert value("has(message.a)", message={"a": None}) is True


def test_size_counts_code_points_of_strings_and_elements_of_the_rest() -> None:
    assert value("size(message.s)", message={"s": "héé😀"}) == 4
    assert value("message.s.size()", message={"s": "héé😀"}) == 4
    assert value("size(message.b) + size(message.l) + size(message.m)",
                 message={"b": b"ab", "l": [1, 2, 3], "m": {"k": 1}}) == 6
    assert error("size(message.n)", message={"n": 3}) == "Function 'size' error: Python function call failed: " \
        "TypeError: no such overload: size(int). Check function arguments and their types."
    assert "size(null)" in error("size(message.n)", message={"n": None})


def test_size_is_rewritten_only_where_it_is_called() -> None:
    assert rewrite_size("size(message.size) > 0 && 'size(' != message.x.size()") == \
        "_contract_size(message.size) > 0 && 'size(' != message.x._contract_size()"


def test_matches_is_a_partial_match_and_in_tests_list_membership() -> None:
    assert value("message.id.matches('[0-9]{3}')", message={"id": "pay-123-x"}) is True
    assert value("message.id.matches('^[0-9]{3}$')", message={"id": "pay-123"}) is False
    assert value("message.s in ['NEW', 'PAID']", message={"s": "PAID"}) is True
    assert value("message.s in ['NEW', 'PAID']", message={"s": 1}) is False


def test_decoded_values_are_converted_as_confluents_python_executor_does() -> None:
    assert value("message.d", message={"d": datetime.date(1970, 1, 11)}) == 10
    assert value("message.u", message={"u": uuid.UUID(int=1)}) == "00000000-0000-0000-0000-000000000001"
    assert value("message.t < timestamp('2030-01-01T00:00:00Z')",
                 message={"t": datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)}) is True
    assert value("message.b == b'ab'", message={"b": b"ab"}) is True
    assert value("type(message.l)", message={"l": 2**63}) == "uint"


def judge(text: str, **variables: Any) -> Any:
    return Condition(text, AT).judge(variables)


def test_a_condition_holds_only_when_true() -> None:
    assert judge("message.a > 0", message={"a": 1}) is None
    assert judge("message.a > 0", message={"a": 0}) is FALSE
    assert judge("message.a > 0", message={}) == "no such key: 'a'"
    assert judge("message.a", message={"a": 1}) == "the expression gave int, not a bool"


def test_a_false_or_failing_guard_skips_the_rule_and_any_other_runs_it() -> None:
    rule = "message.kind == 'card' ; message.amount > 0"
    assert judge(rule, message={"kind": "cash", "amount": -1}) is None
    assert judge(rule, message={"amount": -1}) is None  # the guard raises: skipped, as in Confluent's Java executor
    assert judge(rule, message={"kind": "card", "amount": -1}) is FALSE
    assert judge("message.kind ; message.amount > 0", message={"kind": "x", "amount": -1}) is FALSE
    assert judge(" ; message.amount > 0", message={"amount": -1}) is FALSE


def test_values_the_library_refuses_are_converted_rather_than_failing_every_rule() -> None:
    assert value("message.a == 1", message={"a": 1, "t": datetime.time(1, 2, 3)}) is True
    assert value("message.t == duration('3723s')", message={"t": datetime.time(1, 2, 3)}) is True
    assert value("message.a == 1", message={"a": 1, "huge": 10**400}) is True
    assert value("message.huge > 1e308", message={"huge": 10**400}) is True
    assert value("size(message.s)", message={"s": {1, 2}}) == 2


def test_a_variable_the_rule_does_not_have_stops_it_at_compile_time() -> None:
    with pytest.raises(ContractError) as caught:
        Condition("msg.amount > 0", AT)
    assert str(caught.value) == f"{AT}: the CEL expression 'msg.amount > 0' names `msg`, which the rule does not " \
        "have\n  hint: a CEL rule sees message"
    with pytest.raises(ContractError):
        Condition("value > 0", AT)
    Condition("value > 0 && typeName == 'INT' && name in tags", AT, ("value", "fullName", "name", "typeName", "tags"))
    Condition("message.items.all(i, i > 0) && type(message.a) == int && message.b.exists(x, x == 'y')", AT)


@pytest.mark.parametrize(("text", "expected"), [
    ("isEmail(message.s)", {"a@example.com": True, "a@b@example.com": False, "Al <a@example.com>": False, "a@-x.com": False}),
    ("message.s.isEmail()", {"a@example.com": True, "nobody": False}),
    ("isHostname(message.s)", {"example.com": True, "example.com.": True, "123.456": False, "-x.com": False, "é.com": False}),
    ("isIpv4(message.s)", {"10.0.0.1": True, "::1": False, "10.0.0": False}),
    ("isIpv6(message.s)", {"::1": True, "10.0.0.1": False}),
    ("isUuid(message.s)", {"123e4567-e89b-12d3-a456-426614174000": True, "123e4567": False}),
    ("isUri(message.s)", {"https://example.com/x": True, "example.com/x": False}),
    ("isUriRef(message.s)", {"/x/y": True, "/x#frag": False, "https://e.com/x#frag": True}),
])
def test_confluents_string_functions_are_there(text: str, expected: dict[str, bool]) -> None:
    assert {s: value(text, message={"s": s}) for s in expected} == expected


def test_confluents_functions_on_a_value_that_is_not_a_string_are_errors() -> None:
    assert "no such overload: isEmail(int)" in error("isEmail(message.s)", message={"s": 1})


def test_now_is_the_time_of_the_evaluation() -> None:
    past = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    assert value("message.at < now", message={"at": past}) is True
    Condition("message.at < now", AT)

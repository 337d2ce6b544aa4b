"""The compiled shapes give the evaluator's verdict on every record: property tests over generated
expressions of the modelled shapes and generated records (nulls, missing fields, ints, doubles,
big ints, NaN, unicode, bytes, lists, maps, wrong types)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_helpers import condition, doubles, ints, records, values
from governance.contracts.cel import FALSE, Condition
from governance.contracts.shapes import compile_shape


def evaluator_failures(text: str, root: str, inputs: list[Any]) -> tuple[list[int], list[int]]:
    """The inputs where the evaluator finds the condition false, and where it errs (or is not a bool)."""
    judge = Condition(text, "test", (root,)).judge
    verdicts = [judge({root: x}) for x in inputs]
    return ([i for i, v in enumerate(verdicts) if v is FALSE],
            [i for i, v in enumerate(verdicts) if v is not None and v is not FALSE])


def agree(text: str, root: str, inputs: list[Any]) -> None:
    check = compile_shape(text, root)
    if check is None:
        return
    false, errors = evaluator_failures(text, root, inputs)
    batch = check(inputs)
    if batch is not None:
        assert (batch.false, batch.error) == (false, errors), (text, inputs)
    for i, x in enumerate(inputs):
        single = check([x])
        if single is not None:
            assert (single.false, single.error) == ([0] if i in false else [], [0] if i in errors else []), (text, x)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(condition("message"), records())
def test_a_cel_shape_fails_the_records_the_evaluator_fails(text: str, recs: list[dict[str, Any]]) -> None:
    agree(text, "message", recs)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(condition("value"), st.lists(st.one_of(values, st.fixed_dictionaries({}, optional={"x": values})),
                                    min_size=1, max_size=8))
def test_a_cel_field_shape_fails_the_values_the_evaluator_fails(text: str, inputs: list[Any]) -> None:
    agree(text, "value", inputs)


@pytest.mark.parametrize("text", [
    "message.id.matches('^pay-[0-9]{8}$')", "message.customer != null",
    "message.amount >= 0.0 && message.amount <= 100000.0", "message.status in ['NEW', 'PAID', 'SHIPPED', 'REFUNDED']",
    "size(message.note) >= 1 && size(message.note) <= 64", "has(message.a) ; message.a > 1",
    "!(message.a.b <= 10.5) || message.c == 'x'", "type(message.a) != null_type",
    "type(message.a) == null_type || (message.a >= 0.5 && message.a <= 9870.0)",
    "has(message.a) && type(message.a) != null_type && has(message.a.b) && type(message.a.b) != null_type",
    "null_type != type(message.a)", "type(message.a) == int || type(message.a) == double",
    "message.a.matches('^[^@\\\\s]+@[^@\\\\s]+$')",
])
def test_the_common_shapes_compile(text: str) -> None:
    assert compile_shape(text, "message") is not None


@pytest.mark.parametrize("text", [
    "message.a + 1 > 2", "message.items.all(i, i > 0)", "message.a[0] == 1", "message.a ? true : false",
    "name == 'x'", "message.a.matches('\\\\d+')", "message.a.matches('(?i)x')", "message.a.matches(message.b)",
    "message.a == 1u", "int(message.a) > 1", "message.a in message.b", "-message.a < 0", "{'a': 1}.a == 1",
])
def test_other_expressions_stay_with_the_evaluator(text: str) -> None:
    assert compile_shape(text, "message") is None


def test_a_batch_with_a_value_the_shape_does_not_model_goes_to_the_evaluator() -> None:
    import datetime

    check = compile_shape("message.a > 1", "message")
    assert check is not None
    assert check([{"a": 2}, {"a": datetime.datetime(2020, 1, 1)}]) is None
    assert check([{"a": 2}, {"a": 2**64}]) is None
    assert check([{"a": 2}, {"a": 0}, {}]) == ([1], [2])


def test_a_type_test_is_an_error_on_a_missing_field_as_in_the_evaluator() -> None:
    check = compile_shape("type(message.a) == null_type || message.a > 1", "message")
    assert check is not None
    assert check([{"a": None}, {"a": 2}, {"a": 0}, {}, {"a": "x"}]) == ([2], [3, 4])


def test_a_decimal_is_the_double_the_evaluator_reads() -> None:
    check = compile_shape("type(message.a) == double && message.a == 0.1", "message")
    assert check is not None
    assert check([{"a": Decimal("0.1")}, {"a": Decimal("0.1000000000000000055511151231257827")},
                  {"a": Decimal("0.2")}]) == ([2], [])


numbers = st.one_of(ints, doubles, st.sampled_from([2**53 - 1, 2**53 + 2, -(2**53) - 2, 9007199254740993.0]))


@settings(max_examples=500, deadline=None)
@given(numbers, numbers, st.sampled_from([">", ">="]), st.sampled_from(["<", "<="]), st.booleans(),
       st.lists(st.one_of(numbers, values), min_size=1, max_size=8))
def test_a_range_on_one_field_is_judged_in_one_pass_as_the_evaluator_judges_it(
        lo: Any, hi: Any, lower: str, upper: str, swap: bool, inputs: list[Any]) -> None:
    parts = [f"message.a {lower} {lo!r}", f"message.a {upper} {hi!r}"]
    text = " && ".join(reversed(parts) if swap else parts)
    agree(text, "message", [{"a": v} for v in inputs])

"""The compiled shapes give the evaluator's verdict on every record: property tests over generated
expressions of the modelled shapes and generated records (nulls, missing fields, ints, doubles,
big ints, NaN, unicode, bytes, lists, maps, wrong types)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.contracts.cel import FALSE, Condition
from governance.contracts.shapes import compile_shape

FIELDS = ("a", "b", "c")
REGEXES = ("^pay-[0-9]{8}$", "b", "^[A-Z]{2}$", "x|y", "(ab)+c?$", "[^a-c]", "^.$", "é+", "a.c", "^$",
           "[0-9]{2,3}", "\\.", "(?:ab|cd)*?e", "[a\\-z]")


def cel_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


printable = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=6)
ints = st.one_of(st.integers(-5, 5), st.integers(-2**63, 2**63 - 1), st.sampled_from([2**53, 2**53 + 1, -2**53 - 1]))
doubles = st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=64), st.sampled_from([0.0, -0.0, 1.5, 2.0**53]))


def literal() -> st.SearchStrategy[str]:
    return st.one_of(
        ints.map(str),
        doubles.filter(lambda f: math.isfinite(f)).map(lambda f: repr(float(f))),
        printable.map(cel_string),
        st.sampled_from(["true", "false", "null"]),
    )


values = st.one_of(
    st.none(), st.booleans(), ints, doubles, st.floats(), st.integers(2**63, 2**70), st.text(max_size=8),
    st.binary(max_size=4), st.lists(st.integers(-3, 3), max_size=3), st.sampled_from(["NEW", "PAID", "pay-00000001", "ab"]),
    st.dictionaries(st.sampled_from(["x", "y"]), st.integers(-3, 3), max_size=2),
)


def path(root: str) -> st.SearchStrategy[str]:
    if root == "value":
        return st.sampled_from(["value", "value.x"])
    return st.sampled_from([f"message.{f}" for f in FIELDS] + ["message.n.x"])


def atom(root: str) -> st.SearchStrategy[str]:
    p = path(root)
    ops = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
    return st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", p, ops, literal()),
        st.builds(lambda a, op, b: f"{a} {op} {b}", literal(), ops, p),
        st.builds(lambda a, op, b: f"{a} {op} {b}", p, ops, p),
        st.builds(lambda a, op, n: f"size({a}) {op} {n}", p, ops, st.integers(-1, 6)),
        st.builds(lambda a, op, n: f"{a}.size() {op} {n}", p, ops, st.integers(-1, 6)),
        st.builds(lambda a, r: f"{a}.matches({cel_string(r)})", p, st.sampled_from(REGEXES)),
        st.builds(lambda a, items: f"{a} in [{', '.join(items)}]", p, st.lists(literal(), max_size=4)),
        st.builds(lambda a, fn, s: f"{a}.{fn}({cel_string(s)})", p,
                  st.sampled_from(["startsWith", "endsWith", "contains"]), printable),
        st.builds(lambda a: f"has({a})", st.sampled_from(
            ["message.a", "message.n.x", "value.x"] if root == "message" else ["value.x"])),
        p,
        st.sampled_from(["true", "false"]),
    )


def expression(root: str) -> st.SearchStrategy[str]:
    return st.recursive(
        atom(root),
        lambda inner: st.one_of(
            st.builds(lambda x, y: f"({x}) && ({y})", inner, inner),
            st.builds(lambda x, y: f"({x}) || ({y})", inner, inner),
            st.builds(lambda x: f"!({x})", inner),
        ),
        max_leaves=4,
    )


def condition(root: str) -> st.SearchStrategy[str]:
    return st.one_of(expression(root), st.builds(lambda g, e: f"{g};{e}", expression(root), expression(root)))


def records() -> st.SearchStrategy[list[dict[str, Any]]]:
    record = st.fixed_dictionaries({}, optional={
        "a": values, "b": values, "c": values,
        "n": st.one_of(values, st.fixed_dictionaries({}, optional={"x": values})),
    })
    return st.lists(record, min_size=1, max_size=8)


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
    "!(message.a.b <= 10.5) || message.c == 'x'",
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


numbers = st.one_of(ints, doubles, st.sampled_from([2**53 - 1, 2**53 + 2, -(2**53) - 2, 9007199254740993.0]))


@settings(max_examples=500, deadline=None)
@given(numbers, numbers, st.sampled_from([">", ">="]), st.sampled_from(["<", "<="]), st.booleans(),
       st.lists(st.one_of(numbers, values), min_size=1, max_size=8))
def test_a_range_on_one_field_is_judged_in_one_pass_as_the_evaluator_judges_it(
        lo: Any, hi: Any, lower: str, upper: str, swap: bool, inputs: list[Any]) -> None:
    parts = [f"message.a {lower} {lo!r}", f"message.a {upper} {hi!r}"]
    text = " && ".join(reversed(parts) if swap else parts)
    agree(text, "message", [{"a": v} for v in inputs])

"""Hypothesis strategies for CEL conditions of the compiled shapes and the records they judge
(tests/contracts/): expressions over `message.a|b|c|n.x` (CEL) or `value` (CEL_FIELD), records with
nulls, missing fields, ints, doubles, big ints, NaN, decimals, unicode, white space, bytes, lists and maps."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

FIELDS = ("a", "b", "c")
REGEXES = ("^pay-[0-9]{8}$", "b", "^[A-Z]{2}$", "x|y", "(ab)+c?$", "[^a-c]", "^.$", "é+", "a.c", "^$",
           "[0-9]{2,3}", "\\.", "(?:ab|cd)*?e", "[a\\-z]", "^[^@\\s]+@[^@\\s]+$", "\\s", "^\\S+$", "[a\\s]{2}")
TYPES = ("null_type", "int", "double", "string", "bool", "bytes", "list", "map", "uint")


def cel_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


printable = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=";"), max_size=6)
"""Literal text; never a `;`, where Confluent splits a guard from its expression even inside quotes."""
ints = st.one_of(st.integers(-5, 5), st.integers(-2**63, 2**63 - 1), st.sampled_from([2**53, 2**53 + 1, -2**53 - 1]))
doubles = st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=64), st.sampled_from([0.0, -0.0, 1.5, 2.0**53]))


def literal() -> st.SearchStrategy[str]:
    return st.one_of(
        ints.map(str),
        doubles.filter(lambda f: math.isfinite(f)).map(lambda f: repr(float(f))),
        printable.map(cel_string),
        st.sampled_from(["true", "false", "null"]),
    )


spaced = st.text(st.sampled_from(" \t\n\x0b\x1c\x1f\x85\xa0\u2000\u200b\u3000a@"), max_size=5)
"""Text of Unicode's white space and of characters Python's `\\s` counts that the evaluator's does not."""
decimals = st.one_of(st.decimals(places=2, min_value=-10**6, max_value=10**6), st.decimals(allow_nan=False),
                     st.sampled_from([Decimal("0.1000000000000000055511151231257827"), Decimal("1e400"), Decimal("-0"),
                                      Decimal("NaN"), Decimal("1e-400")]))
"""Decimals as decoders give them (no signalling NaN: the evaluator refuses a record holding one, read or not)."""

values = st.one_of(
    st.none(), st.booleans(), ints, doubles, st.floats(), st.integers(2**63, 2**70), st.text(max_size=8), spaced,
    decimals,
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
            ["message.a", "message.n.x"] if root == "message" else ["value.x"])),
        st.builds(lambda a, op, t: f"type({a}) {op} {t}", p, st.sampled_from(["==", "!="]), st.sampled_from(TYPES)),
        st.builds(lambda t, op, a: f"{t} {op} type({a})", st.sampled_from(TYPES), st.sampled_from(["==", "!="]), p),
        st.builds(lambda a, op, b: f"type({a}) {op} {b}", p, ops, st.one_of(literal(), p.map(lambda b: f"type({b})"))),
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


def field_condition() -> st.SearchStrategy[str]:
    """CEL_FIELD conditions that also read the field's name, type and tags."""
    per_field = st.sampled_from(["typeName == 'STRING'", "typeName != 'LONG'", "name == 'a'", "'T' in tags",
                                 "fullName.startsWith('R.')", "message.b == null"])
    return st.one_of(condition("value"), st.builds(lambda p, c: f"({p}) || ({c})", per_field, expression("value")),
                     st.builds(lambda p, c: f"{p} ; {c}", per_field, expression("value")))

"""CEL values as the evaluator judges them, in plain Python: the semantics the compiled shapes
(shapes.py) apply per value. ERR is CEL's error value inside a batch; a value outside the model
(a datetime, an int beyond int64, ...) raises Outside, and its batch goes to the evaluator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any


class _Err:
    """CEL's error value inside a batch."""

    def __repr__(self) -> str:
        return "ERR"


ERR = _Err()
_INT64 = (-(2**63), 2**63 - 1)
_EXACT = 2**53  # ints up to this compare with doubles the same in Python and as the evaluator's doubles
SCALARS = frozenset({str, float, bool, bytes, type(None)})


class CelType:
    """A CEL type as a value (`int`, `null_type`, the result of `type(x)`): equal only to itself."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


TYPES = {name: CelType(name) for name in ("int", "uint", "double", "bool", "string", "bytes", "list", "map",
                                          "null_type", "type")}
"""The type names a shape reads, as the evaluator names them."""
_TYPE_OF = {int: TYPES["int"], float: TYPES["double"], bool: TYPES["bool"], str: TYPES["string"],
            bytes: TYPES["bytes"], type(None): TYPES["null_type"], list: TYPES["list"], dict: TYPES["map"],
            CelType: TYPES["type"]}
PYTHON_TYPE = {cel: python for python, cel in _TYPE_OF.items() if python is not CelType}
TYPED = frozenset(PYTHON_TYPE.values())


class Outside(Exception):
    """A value the checker does not model: the batch goes to the evaluator."""


def kind_of(v: Any) -> str:
    t = type(v)
    if t is str:
        return "str"
    if t is float:
        return "num" if v == v else "nan"
    if t is int:
        if not _INT64[0] <= v <= _INT64[1]:
            raise Outside
        return "num"
    if t is bool:
        return "bool"
    if v is None:
        return "null"
    if t is bytes:
        return "bytes"
    if v is ERR:
        return "err"
    if t is list:
        return "list"
    if t is dict:
        return "map"
    if t is CelType:
        return "type"
    raise Outside


def type_of(v: Any) -> Any:
    """`type(v)` as the evaluator gives it; an int beyond int64 (a uint or a double there) is not modelled."""
    if kind_of(v) == "err":
        return ERR
    return _TYPE_OF[type(v)]


def _num(a: Any, b: Any) -> tuple[Any, Any]:
    """Two CEL numbers as the evaluator compares them: an int beside a double becomes a double."""
    if type(a) is int and type(b) is float:
        return float(a), b
    if type(a) is float and type(b) is int:
        return a, float(b)
    return a, b


def equal(a: Any, b: Any) -> Any:
    ka, kb = kind_of(a), kind_of(b)
    if "err" in (ka, kb):
        return ERR
    if ka in ("list", "map") or kb in ("list", "map"):
        raise Outside
    if ka in ("num", "nan") and kb in ("num", "nan"):
        x, y = _num(a, b)
        return x == y
    return ka == kb and a == b


def ordering(op: str) -> Callable[[Any, Any], Any]:
    compare = {"<": lambda x, y: x < y, "<=": lambda x, y: x <= y, ">": lambda x, y: x > y,
               ">=": lambda x, y: x >= y}[op]

    def order(a: Any, b: Any) -> Any:
        ka, kb = kind_of(a), kind_of(b)
        if ka in ("list", "map") or kb in ("list", "map"):
            raise Outside
        if ka == kb == "num":
            return compare(*_num(a, b))
        if ka == kb and ka in ("str", "bytes", "bool"):
            return compare(a, b)
        return ERR

    return order


def plain_numbers(vs: list) -> bool:
    """Only doubles, or only ints a double holds exactly: Python compares them with a number literal as
    the evaluator does, NaN aside (see nan_errors). Checked at C speed."""
    kinds = set(map(type, vs))
    if kinds == {float}:
        return True
    return kinds == {int} and -_EXACT <= min(vs) and max(vs) <= _EXACT


def nan_errors(vs: list, outcomes: list) -> list:
    """`outcomes` of plain comparisons with a NaN's False made the evaluator's error."""
    if outcomes.count(False) and type(vs[0]) is float:
        for i, (v, o) in enumerate(zip(vs, outcomes)):
            if o is False and v != v:
                outcomes[i] = ERR
    return outcomes


def _against(plain: Callable[[list], list], mixed: Callable[[list], list]) -> Callable[[list], list]:
    return lambda vs: nan_errors(vs, plain(vs)) if plain_numbers(vs) else mixed(vs)


def _against_lt(literal: Any, slow: Callable[[Any], Any]) -> Callable[[list], list]:
    return _against(lambda vs: [v < literal for v in vs], lambda vs: [
        v < literal if ((t := type(v)) is float and v == v) or (t is int and -_EXACT <= v <= _EXACT) else slow(v)
        for v in vs])


def _against_le(literal: Any, slow: Callable[[Any], Any]) -> Callable[[list], list]:
    return _against(lambda vs: [v <= literal for v in vs], lambda vs: [
        v <= literal if ((t := type(v)) is float and v == v) or (t is int and -_EXACT <= v <= _EXACT) else slow(v)
        for v in vs])


def _against_gt(literal: Any, slow: Callable[[Any], Any]) -> Callable[[list], list]:
    return _against(lambda vs: [v > literal for v in vs], lambda vs: [
        v > literal if ((t := type(v)) is float and v == v) or (t is int and -_EXACT <= v <= _EXACT) else slow(v)
        for v in vs])


def _against_ge(literal: Any, slow: Callable[[Any], Any]) -> Callable[[list], list]:
    return _against(lambda vs: [v >= literal for v in vs], lambda vs: [
        v >= literal if ((t := type(v)) is float and v == v) or (t is int and -_EXACT <= v <= _EXACT) else slow(v)
        for v in vs])


BETWEEN: dict[tuple[str, str], Callable[[Any, Any], Callable[[list], list]]] = {
    (">=", "<="): lambda lo, hi: lambda vs: [lo <= v <= hi for v in vs],
    (">=", "<"): lambda lo, hi: lambda vs: [lo <= v < hi for v in vs],
    (">", "<="): lambda lo, hi: lambda vs: [lo < v <= hi for v in vs],
    (">", "<"): lambda lo, hi: lambda vs: [lo < v < hi for v in vs],
}
"""Both bounds at once, for a batch of plain numbers only."""

#: `value OP number-literal` over a batch: plain numbers compared inline, the rest as `ordering` does.
AGAINST_NUMBER = {"<": _against_lt, "<=": _against_le, ">": _against_gt, ">=": _against_ge}


def plain_literal(literal: Any) -> bool:
    """A number literal Python compares with plain numbers as the evaluator does (a double, or an int
    that a double holds exactly)."""
    return type(literal) is float or -_EXACT <= literal <= _EXACT


def size_of(v: Any) -> Any:
    if type(v) in (str, bytes, list, dict):
        return len(v)
    kind_of(v)
    return ERR


def truth(v: Any) -> Any:
    """A value where a bool is needed: itself if a bool, else an error."""
    return v if type(v) is bool else ERR


def as_doubles(vs: list) -> list:
    """`vs` with each Decimal as the evaluator reads it: the nearest double (an sNaN is not modelled)."""
    if Decimal not in set(map(type, vs)):
        return vs
    return [_double(v) if type(v) is Decimal else v for v in vs]


def _double(d: Decimal) -> float:
    try:
        return float(d)
    except ValueError:
        raise Outside from None


def not_a_map(v: Any) -> Any:
    if isinstance(v, Mapping):
        raise Outside
    return ERR


def negation(a: Any) -> Any:
    return (not a) if type(a) is bool else ERR


def flipped(a: Any) -> Any:
    return ERR if a is ERR else not a

def within_int64(ints: list) -> bool:
    return not ints or (_INT64[0] <= min(ints) and max(ints) <= _INT64[1])

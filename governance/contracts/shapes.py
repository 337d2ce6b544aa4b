"""Compiled checks for the common shapes of CEL conditions, equal to the evaluator's verdicts.

The Rust evaluator costs some 10 microseconds per rule and record, most of it converting the
record; a contract of five rules on 10,000 records would take half a second per batch. Most
contract rules compare a field with a literal, test `size`, a regex, a list of values, a null or a
type (`type(message.a) != null_type`, as `governance rules suggest` writes its null tests),
which plain Python decides per value in well under a microsecond (as sentinel/fastpath.py does for
GX rules). `compile_shape(text, root)` turns such an expression into a batch checker: it takes the
batch's `root` values (the records for CEL, `message`; the field values for CEL_FIELD, `value`)
and returns the indices where it is false and where it is an error, or None when the batch holds a value the
checker does not model (a datetime, an int beyond int64, a NaN in a comparison, ...): that batch
goes to the evaluator (a Decimal is the double the evaluator makes of it). Where the expression is false the verdict is complete (Confluent's
message for a false condition is fixed); where it is an error, the evaluator gives its text. An expression outside the shapes compiles to None: the rule stays with it.

The verdict reproduces the evaluator's semantics (cel.py; property tests in
tests/contracts/test_shapes.py): a missing key or a selection on a non-map is an error; `==`
across types is false, ints and doubles compare as doubles; `&&`/`||` absorb an error when the
other side decides; an error or a non-bool result fails the condition. Regexes compile only from a
subset whose meaning is the same in Python's re, Rust's regex and RE2 (literals, `.`, classes of
characters and ranges, groups, alternation, anchors, bounded quantifiers); anything else leaves the
rule to the evaluator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple

from governance.contracts import syntax
from governance.contracts.regexes import finder, python_regex
from governance.contracts.syntax import Binary, Call, Ident, ListLit, Lit, Select, Unary

class Failing(NamedTuple):
    """The inputs where the condition is false, and those where it is an error (or not a bool)."""

    false: list[int]
    error: list[int]


#: The failing inputs of a batch, or None: the batch is outside what the checker models.
Checker = Callable[[Sequence[Any]], "Failing | None"]


class _Err:
    """CEL's error value inside a batch."""

    def __repr__(self) -> str:
        return "ERR"


ERR = _Err()
_INT64 = (-(2**63), 2**63 - 1)
_EXACT = 2**53  # ints up to this compare with doubles the same in Python and as the evaluator's doubles
_SCALARS = frozenset({str, float, bool, bytes, type(None)})


class _CelType:
    """A CEL type as a value (`int`, `null_type`, the result of `type(x)`): equal only to itself."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


TYPES = {name: _CelType(name) for name in ("int", "uint", "double", "bool", "string", "bytes", "list", "map",
                                             "null_type", "type")}
"""The type names a shape reads, as the evaluator names them."""
_TYPE_OF = {int: TYPES["int"], float: TYPES["double"], bool: TYPES["bool"], str: TYPES["string"],
            bytes: TYPES["bytes"], type(None): TYPES["null_type"], list: TYPES["list"], dict: TYPES["map"],
            _CelType: TYPES["type"]}
_PYTHON_TYPE = {cel: python for python, cel in _TYPE_OF.items() if python is not _CelType}
_TYPED = frozenset(_PYTHON_TYPE.values())
_Values = Callable[[Sequence[Any], dict], list]


class _Outside(Exception):
    """A value the checker does not model: the batch goes to the evaluator."""


def compile_shape(text: str, root: str, constants: Mapping[str, Any] | None = None) -> Checker | None:
    """A checker for the condition `text` (`guard;expr` as cel.Condition reads it) with its one
    variable `root` and variables whose value is the same for the whole batch (`constants`: a
    CEL_FIELD rule's `name`, `typeName`, ... for one field: strings, or lists of strings), or None when
    it is not a modelled shape."""
    guard_text, semicolon, body_text = text.partition(";")
    if not semicolon:
        guard_text, body_text = "", text
    try:
        compiler = _Compiler(root, constants or {})
        body = compiler.boolean(syntax.parse(body_text))
        guard = compiler.guard(syntax.parse(guard_text)) if guard_text.strip() else None
    except syntax.Unsupported:
        return None

    def check(inputs: Sequence[Any]) -> Failing | None:
        cache: dict = {}
        try:
            outcomes = body(inputs, cache)
            if guard is not None:
                outcomes = [o if g is True else True for g, o in zip(guard(inputs, cache), outcomes)]
        except _Outside:
            return None
        if outcomes.count(True) == len(outcomes):  # outcomes are True, False or ERR: a C-speed scan
            return Failing([], [])
        failing = [i for i, o in enumerate(outcomes) if o is not True]
        return Failing([i for i in failing if outcomes[i] is False], [i for i in failing if outcomes[i] is not False])

    return check


# ---------------------------------------------------------------- values


def _kind(v: Any) -> str:
    t = type(v)
    if t is str:
        return "str"
    if t is float:
        return "num" if v == v else "nan"
    if t is int:
        if not _INT64[0] <= v <= _INT64[1]:
            raise _Outside
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
    if t is _CelType:
        return "type"
    raise _Outside


def _type_of(v: Any) -> Any:
    """`type(v)` as the evaluator gives it; an int beyond int64 (a uint or a double there) is not modelled."""
    if _kind(v) == "err":
        return ERR
    return _TYPE_OF[type(v)]


def _num(a: Any, b: Any) -> tuple[Any, Any]:
    """Two CEL numbers as the evaluator compares them: an int beside a double becomes a double."""
    if type(a) is int and type(b) is float:
        return float(a), b
    if type(a) is float and type(b) is int:
        return a, float(b)
    return a, b


def _equal(a: Any, b: Any) -> Any:
    ka, kb = _kind(a), _kind(b)
    if "err" in (ka, kb):
        return ERR
    if ka in ("list", "map") or kb in ("list", "map"):
        raise _Outside
    if ka in ("num", "nan") and kb in ("num", "nan"):
        x, y = _num(a, b)
        return x == y
    return ka == kb and a == b


def _order(op: str) -> Callable[[Any, Any], Any]:
    compare = {"<": lambda x, y: x < y, "<=": lambda x, y: x <= y, ">": lambda x, y: x > y,
               ">=": lambda x, y: x >= y}[op]

    def order(a: Any, b: Any) -> Any:
        ka, kb = _kind(a), _kind(b)
        if ka in ("list", "map") or kb in ("list", "map"):
            raise _Outside
        if ka == kb == "num":
            return compare(*_num(a, b))
        if ka == kb and ka in ("str", "bytes", "bool"):
            return compare(a, b)
        return ERR

    return order


def _plain_numbers(vs: list) -> bool:
    """Only doubles, or only ints a double holds exactly: Python compares them with a number literal as
    the evaluator does, NaN aside (see _nan_errors). Checked at C speed."""
    kinds = set(map(type, vs))
    if kinds == {float}:
        return True
    return kinds == {int} and -_EXACT <= min(vs) and max(vs) <= _EXACT


def _nan_errors(vs: list, outcomes: list) -> list:
    """`outcomes` of plain comparisons with a NaN's False made the evaluator's error."""
    if outcomes.count(False) and type(vs[0]) is float:
        for i, (v, o) in enumerate(zip(vs, outcomes)):
            if o is False and v != v:
                outcomes[i] = ERR
    return outcomes


def _against(plain: Callable[[list], list], mixed: Callable[[list], list]) -> Callable[[list], list]:
    return lambda vs: _nan_errors(vs, plain(vs)) if _plain_numbers(vs) else mixed(vs)


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


_BETWEEN: dict[tuple[str, str], Callable[[Any, Any], Callable[[list], list]]] = {
    (">=", "<="): lambda lo, hi: lambda vs: [lo <= v <= hi for v in vs],
    (">=", "<"): lambda lo, hi: lambda vs: [lo <= v < hi for v in vs],
    (">", "<="): lambda lo, hi: lambda vs: [lo < v <= hi for v in vs],
    (">", "<"): lambda lo, hi: lambda vs: [lo < v < hi for v in vs],
}
"""Both bounds at once, for a batch of plain numbers only."""

#: `value OP number-literal` over a batch: plain numbers compared inline, the rest as `_order` does.
_AGAINST_NUMBER = {"<": _against_lt, "<=": _against_le, ">": _against_gt, ">=": _against_ge}


def _plain_literal(literal: Any) -> bool:
    """A number literal Python compares with plain numbers as the evaluator does (a double, or an int
    that a double holds exactly)."""
    return type(literal) is float or -_EXACT <= literal <= _EXACT


def _size(v: Any) -> Any:
    if type(v) in (str, bytes, list, dict):
        return len(v)
    _kind(v)
    return ERR


def _truth(v: Any) -> Any:
    """A value where a bool is needed: itself if a bool, else an error."""
    return v if type(v) is bool else ERR


# ---------------------------------------------------------------- the compiler


class _Compiler:
    def __init__(self, root: str, constants: Mapping[str, Any]) -> None:
        self.root = root
        self.constants = constants

    def boolean(self, node: Any) -> _Values:
        """Outcomes per input: True, False or ERR (a non-bool value counts as an error)."""
        if isinstance(node, Binary) and node.op in ("&&", "||"):
            between = self.between(node)
            if between is not None:
                return between
            left, right = self.boolean(node.left), self.boolean(node.right)
            if node.op == "&&":
                return lambda xs, cache: [False if a is False or b is False else (True if a is True and b is True
                                                                                 else ERR)
                                          for a, b in zip(left(xs, cache), right(xs, cache))]
            return lambda xs, cache: [True if a is True or b is True else (False if a is False and b is False else ERR)
                                      for a, b in zip(left(xs, cache), right(xs, cache))]
        if isinstance(node, Unary) and node.op == "!":
            operand = self.boolean(node.operand)
            return lambda xs, cache: [_not(o) for o in operand(xs, cache)]
        if isinstance(node, Binary):
            return self.relation(node)
        if isinstance(node, Call) and node.function == "has":
            return self.has(node)
        if isinstance(node, Call) and node.function in ("matches", "startsWith", "endsWith", "contains"):
            return self.string_test(node)
        value = self.value(node)
        return lambda xs, cache: [_truth(v) for v in value(xs, cache)]

    def guard(self, node: Any) -> _Values:
        """A guard's outcomes: only a boolean shape, whose ERR is a real error (a bare value that is
        not a bool would run the rule, where `boolean` says ERR)."""
        if not self._boolean_shape(node):
            raise syntax.Unsupported("guard")
        return self.boolean(node)

    def between(self, node: Binary) -> _Values | None:
        """`x >= lo && x <= hi` (either order, strict or not) on one value in one pass, or None."""
        parts = (node.left, node.right)
        if node.op != "&&" or not all(isinstance(p, Binary) and p.op in _AGAINST_NUMBER and isinstance(p.right, Lit)
                                      and type(p.right.value) in (int, float) for p in parts):
            return None
        if node.left.left != node.right.left or not all(_plain_literal(p.right.value) for p in parts):
            return None
        lower = next((p for p in parts if p.op in (">", ">=")), None)
        upper = next((p for p in parts if p.op in ("<", "<=")), None)
        if lower is None or upper is None:
            return None
        operand = self.value(lower.left)
        slow_lower, slow_upper = self.relation(lower), self.relation(upper)

        def slow(xs: Sequence[Any], cache: dict) -> list:
            return [False if a is False or b is False else (True if a is True and b is True else ERR)
                    for a, b in zip(slow_lower(xs, cache), slow_upper(xs, cache))]

        inside = _BETWEEN[lower.op, upper.op](lower.right.value, upper.right.value)

        def check(xs: Sequence[Any], cache: dict) -> list:
            vs = operand(xs, cache)
            return _nan_errors(vs, inside(vs)) if _plain_numbers(vs) else slow(xs, cache)

        return check

    def relation(self, node: Binary) -> _Values:
        left = self.value(node.left)
        if node.op == "in":
            constant = self.constants.get(node.right.name) if isinstance(node.right, Ident) else None
            if isinstance(constant, (list, tuple)) and all(type(i) is str for i in constant):
                items = list(constant)
            elif isinstance(node.right, ListLit) and all(isinstance(i, Lit) for i in node.right.items):
                items = [i.value for i in node.right.items]
            else:
                raise syntax.Unsupported("in: not a list of literals")
            fast = frozenset(i for i in items if type(i) is str)
            only_strings = len(fast) == len(items)

            def member(v: Any) -> Any:
                if only_strings and type(v) is str:
                    return v in fast
                if _kind(v) == "err":
                    return ERR
                outcomes = [_equal(v, i) for i in items]
                return True if True in outcomes else (ERR if ERR in outcomes else False)

            if only_strings:
                return lambda xs, cache: [v in fast if type(v) is str else member(v) for v in left(xs, cache)]
            return lambda xs, cache: [member(v) for v in left(xs, cache)]
        if node.op in ("==", "!=") and _type_name(node.left) is not None and _type_call(node.right):
            node = Binary(node.op, node.right, node.left)
            left = self.value(node.left)
        if node.op in ("==", "!=") and _type_call(node.left) and _type_name(node.right) is not None:
            return self.type_test(node)
        right = self.value(node.right)
        if node.op in ("==", "!="):
            return self.equality(node, left, right)
        order = _order(node.op)
        if isinstance(node.right, Lit) and type(node.right.value) in (int, float) and _plain_literal(node.right.value):
            literal = node.right.value
            compare = _AGAINST_NUMBER[node.op](literal, lambda v: order(v, literal))
            return lambda xs, cache: compare(left(xs, cache))
        return lambda xs, cache: [order(a, b) for a, b in zip(left(xs, cache), right(xs, cache))]

    @staticmethod
    def equality(node: Binary, left: _Values, right: _Values) -> _Values:
        negate = node.op == "!="
        if isinstance(node.right, Lit) and (node.right.value is None or type(node.right.value) is str):
            literal = node.right.value

            def slow(v: Any) -> Any:
                return _flip(_equal(v, literal)) if negate else _equal(v, literal)

            if literal is None:  # a scalar is null or not; an error, an int, a list or a map takes the long way
                if negate:
                    return lambda xs, cache: [v is not None if type(v) in _SCALARS else slow(v) for v in left(xs, cache)]
                return lambda xs, cache: [v is None if type(v) in _SCALARS else slow(v) for v in left(xs, cache)]
            if negate:
                return lambda xs, cache: [v != literal if type(v) is str else slow(v) for v in left(xs, cache)]
            return lambda xs, cache: [v == literal if type(v) is str else slow(v) for v in left(xs, cache)]
        return lambda xs, cache: [_flip(_equal(a, b)) if negate else _equal(a, b)
                                  for a, b in zip(left(xs, cache), right(xs, cache))]

    def type_test(self, node: Binary) -> _Values:
        """`type(x) == T` or `!=`, T a type name: a batch of plain values compares Python types at C speed."""
        negate = node.op == "!="
        target = TYPES[_type_name(node.right)]
        python = _PYTHON_TYPE.get(target, _CelType)  # `uint`, `type`: no plain value has them
        operand = self.value(node.left.args[0])

        def slow(v: Any) -> Any:
            t = _type_of(v)
            return ERR if t is ERR else (t is target) != negate

        def check(xs: Sequence[Any], cache: dict) -> list:
            vs = operand(xs, cache)
            kinds = set(map(type, vs))
            if kinds <= _TYPED and (int not in kinds or _int64([v for v in vs if type(v) is int])):
                if negate:
                    return [type(v) is not python for v in vs]
                return [type(v) is python for v in vs]
            return [slow(v) for v in vs]

        return check

    def has(self, node: Call) -> _Values:
        if node.target is not None or len(node.args) != 1 or not isinstance(node.args[0], Select):
            raise syntax.Unsupported("has")
        operand, key = self.value(node.args[0].operand), node.args[0].field

        def present(v: Any) -> Any:
            if type(v) is dict:
                return key in v
            _kind(v)
            return ERR

        return lambda xs, cache: [present(v) for v in operand(xs, cache)]

    def string_test(self, node: Call) -> _Values:
        if node.target is None or len(node.args) != 1 or not isinstance(node.args[0], Lit) \
                or type(node.args[0].value) is not str:
            raise syntax.Unsupported("string function")
        literal = node.args[0].value
        operand = self.value(node.target)

        def other(v: Any) -> Any:
            _kind(v)
            return ERR

        if node.function == "matches":
            search = finder(python_regex(literal))
            return lambda xs, cache: [search(v) is not None if type(v) is str else other(v)
                                      for v in operand(xs, cache)]
        test: Callable[[str], bool] = {
            "startsWith": lambda: lambda s: s.startswith(literal),
            "endsWith": lambda: lambda s: s.endswith(literal),
            "contains": lambda: lambda s: literal in s,
        }[node.function]()
        return lambda xs, cache: [test(v) if type(v) is str else other(v) for v in operand(xs, cache)]

    def value(self, node: Any) -> _Values:
        if isinstance(node, Lit):
            literal = node.value
            return lambda xs, cache: [literal] * len(xs)
        if isinstance(node, Ident):
            if node.name in self.constants and type(self.constants[node.name]) is str:
                return self.value(Lit(self.constants[node.name]))
            if node.name in TYPES and node.name != self.root:
                return self.value(Lit(TYPES[node.name]))
            if node.name != self.root:
                raise syntax.Unsupported(f"variable {node.name}")
            return lambda xs, cache: _as_doubles(list(xs))
        if isinstance(node, Select):
            return self.select(node)
        if isinstance(node, Call) and node.function == "size":
            args = (node.target, *node.args) if node.target is not None else node.args
            if len(args) != 1:
                raise syntax.Unsupported("size")
            operand = self.value(args[0])
            return self.cached(node, lambda xs, cache: [len(v) if type(v) is str else _size(v)
                                                        for v in operand(xs, cache)])
        if _type_call(node):
            operand = self.value(node.args[0])
            return self.cached(node, lambda xs, cache: [_type_of(v) for v in operand(xs, cache)])
        if isinstance(node, (Binary, Unary, Call)) and self._boolean_shape(node):
            return self.boolean(node)
        raise syntax.Unsupported(type(node).__name__)

    @staticmethod
    def cached(node: Any, values: _Values) -> _Values:
        """`values`, computed once per batch however often the expression repeats `node`."""

        def once(xs: Sequence[Any], cache: dict) -> list:
            got = cache.get(node)
            if got is None:
                got = cache[node] = values(xs, cache)
            return got

        return once

    @staticmethod
    def _boolean_shape(node: Any) -> bool:
        return (isinstance(node, Binary) or (isinstance(node, Unary) and node.op == "!")
                or (isinstance(node, Call) and node.function in ("has", "matches", "startsWith", "endsWith",
                                                                 "contains")))

    def select(self, node: Select) -> _Values:
        path: list[str] = []
        base: Any = node
        while isinstance(base, Select):
            path.insert(0, base.field)
            base = base.operand
        if not isinstance(base, Ident) or base.name != self.root:
            raise syntax.Unsupported("selection from something other than the root")
        key = tuple(path)

        getters = [itemgetter(name) for name in path]

        def values(xs: Sequence[Any], cache: dict) -> list:
            got = cache.get(key)
            if got is None:
                try:  # every step a present key: the common batch, at C speed
                    got = list(xs)
                    for get in getters:
                        got = list(map(get, got))
                except (KeyError, TypeError):
                    got = list(xs)
                    for name in path:
                        got = [v.get(name, ERR) if type(v) is dict else _not_a_map(v) for v in got]
                cache[key] = got = _as_doubles(got)
            return got

        return values


def _as_doubles(vs: list) -> list:
    """`vs` with each Decimal as the evaluator reads it: the nearest double (an sNaN is not modelled)."""
    if Decimal not in set(map(type, vs)):
        return vs
    return [_double(v) if type(v) is Decimal else v for v in vs]


def _double(d: Decimal) -> float:
    try:
        return float(d)
    except ValueError:
        raise _Outside from None


def _type_call(node: Any) -> bool:
    return isinstance(node, Call) and node.function == "type" and node.target is None and len(node.args) == 1


def _type_name(node: Any) -> str | None:
    return node.name if isinstance(node, Ident) and node.name in TYPES else None


def _int64(ints: list) -> bool:
    return not ints or (_INT64[0] <= min(ints) and max(ints) <= _INT64[1])


def _not_a_map(v: Any) -> Any:
    if isinstance(v, Mapping):
        raise _Outside
    return ERR


def _not(a: Any) -> Any:
    return (not a) if type(a) is bool else ERR


def _flip(a: Any) -> Any:
    return ERR if a is ERR else not a

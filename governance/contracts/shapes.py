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
goes to the evaluator (a Decimal is the double the evaluator makes of it). Where the expression is
false the verdict is complete (Confluent's message for a false condition is fixed); where it is an
error, the evaluator gives its text. An expression outside the shapes compiles to None: the rule
stays with it. The per-value semantics are in celvalues.py.

The verdict reproduces the evaluator's semantics (cel.py; property tests in
tests/contracts/test_shapes.py): a missing key or a selection on a non-map is an error; `==`
across types is false, ints and doubles compare as doubles; `&&`/`||` absorb an error when the
other side decides; an error or a non-bool result fails the condition. Regexes compile only from a
subset whose meaning is the same in Python's re and Rust's regex (regexes.py: literals, `.`, classes of
characters and ranges, `\\s`, groups, alternation, anchors, bounded quantifiers); anything else leaves the
rule to the evaluator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

from governance.contracts import syntax
from governance.contracts.celvalues import (AGAINST_NUMBER, BETWEEN, ERR, PYTHON_TYPE, SCALARS, TYPED, TYPES, CelType,
                                            Outside, as_doubles, equal, flipped, kind_of, nan_errors, negation,
                                            not_a_map, ordering, plain_literal, plain_numbers, size_of, truth, type_of,
                                            within_int64)
from governance.contracts.regexes import finder, python_regex
from governance.contracts.syntax import Binary, Call, Ident, ListLit, Lit, Select, Unary


class Failing(NamedTuple):
    """The inputs where the condition is false, and those where it is an error (or not a bool)."""

    false: list[int]
    error: list[int]


#: The failing inputs of a batch, or None: the batch is outside what the checker models.
Checker = Callable[[Sequence[Any]], "Failing | None"]


_Values = Callable[[Sequence[Any], dict], list]


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
        except Outside:
            return None
        if outcomes.count(True) == len(outcomes):  # outcomes are True, False or ERR: a C-speed scan
            return Failing([], [])
        failing = [i for i, o in enumerate(outcomes) if o is not True]
        return Failing([i for i in failing if outcomes[i] is False], [i for i in failing if outcomes[i] is not False])

    return check


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
            return lambda xs, cache: [negation(o) for o in operand(xs, cache)]
        if isinstance(node, Binary):
            return self.relation(node)
        if isinstance(node, Call) and node.function == "has":
            return self.has(node)
        if isinstance(node, Call) and node.function in ("matches", "startsWith", "endsWith", "contains"):
            return self.string_test(node)
        value = self.value(node)
        return lambda xs, cache: [truth(v) for v in value(xs, cache)]

    def guard(self, node: Any) -> _Values:
        """A guard's outcomes: only a boolean shape, whose ERR is a real error (a bare value that is
        not a bool would run the rule, where `boolean` says ERR)."""
        if not self._boolean_shape(node):
            raise syntax.Unsupported("guard")
        return self.boolean(node)

    def between(self, node: Binary) -> _Values | None:
        """`x >= lo && x <= hi` (either order, strict or not) on one value in one pass, or None."""
        parts = (node.left, node.right)
        if node.op != "&&" or not all(isinstance(p, Binary) and p.op in AGAINST_NUMBER and isinstance(p.right, Lit)
                                      and type(p.right.value) in (int, float) for p in parts):
            return None
        if node.left.left != node.right.left or not all(plain_literal(p.right.value) for p in parts):
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

        inside = BETWEEN[lower.op, upper.op](lower.right.value, upper.right.value)

        def check(xs: Sequence[Any], cache: dict) -> list:
            vs = operand(xs, cache)
            return nan_errors(vs, inside(vs)) if plain_numbers(vs) else slow(xs, cache)

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
                if kind_of(v) == "err":
                    return ERR
                outcomes = [equal(v, i) for i in items]
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
        order = ordering(node.op)
        if isinstance(node.right, Lit) and type(node.right.value) in (int, float) and plain_literal(node.right.value):
            literal = node.right.value
            compare = AGAINST_NUMBER[node.op](literal, lambda v: order(v, literal))
            return lambda xs, cache: compare(left(xs, cache))
        return lambda xs, cache: [order(a, b) for a, b in zip(left(xs, cache), right(xs, cache))]

    @staticmethod
    def equality(node: Binary, left: _Values, right: _Values) -> _Values:
        negate = node.op == "!="
        if isinstance(node.right, Lit) and (node.right.value is None or type(node.right.value) is str):
            literal = node.right.value

            def slow(v: Any) -> Any:
                return flipped(equal(v, literal)) if negate else equal(v, literal)

            if literal is None:  # a scalar is null or not; an error, an int, a list or a map takes the long way
                if negate:
                    return lambda xs, cache: [v is not None if type(v) in SCALARS else slow(v) for v in left(xs, cache)]
                return lambda xs, cache: [v is None if type(v) in SCALARS else slow(v) for v in left(xs, cache)]
            if negate:
                return lambda xs, cache: [v != literal if type(v) is str else slow(v) for v in left(xs, cache)]
            return lambda xs, cache: [v == literal if type(v) is str else slow(v) for v in left(xs, cache)]
        return lambda xs, cache: [flipped(equal(a, b)) if negate else equal(a, b)
                                  for a, b in zip(left(xs, cache), right(xs, cache))]

    def type_test(self, node: Binary) -> _Values:
        """`type(x) == T` or `!=`, T a type name: a batch of plain values compares Python types at C speed."""
        negate = node.op == "!="
        target = TYPES[_type_name(node.right)]
        python = PYTHON_TYPE.get(target, CelType)  # `uint`, `type`: no plain value has them
        operand = self.value(node.left.args[0])

        def slow(v: Any) -> Any:
            t = type_of(v)
            return ERR if t is ERR else (t is target) != negate

        def check(xs: Sequence[Any], cache: dict) -> list:
            vs = operand(xs, cache)
            kinds = set(map(type, vs))
            if kinds <= TYPED and (int not in kinds or within_int64([v for v in vs if type(v) is int])):
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
            kind_of(v)
            return ERR

        return lambda xs, cache: [key in v if type(v) is dict else present(v) for v in operand(xs, cache)]

    def string_test(self, node: Call) -> _Values:
        if node.target is None or len(node.args) != 1 or not isinstance(node.args[0], Lit) \
                or type(node.args[0].value) is not str:
            raise syntax.Unsupported("string function")
        literal = node.args[0].value
        operand = self.value(node.target)

        def other(v: Any) -> Any:
            kind_of(v)
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
            return lambda xs, cache: as_doubles(list(xs))
        if isinstance(node, Select):
            return self.select(node)
        if isinstance(node, Call) and node.function == "size":
            args = (node.target, *node.args) if node.target is not None else node.args
            if len(args) != 1:
                raise syntax.Unsupported("size")
            operand = self.value(args[0])
            return self.cached(node, lambda xs, cache: [len(v) if type(v) is str else size_of(v)
                                                        for v in operand(xs, cache)])
        if _type_call(node):
            operand = self.value(node.args[0])
            return self.cached(node, lambda xs, cache: [type_of(v) for v in operand(xs, cache)])
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
                        got = [v.get(name, ERR) if type(v) is dict else not_a_map(v) for v in got]
                cache[key] = got = as_doubles(got)
            return got

        return values


def _type_call(node: Any) -> bool:
    return isinstance(node, Call) and node.function == "type" and node.target is None and len(node.args) == 1


def _type_name(node: Any) -> str | None:
    return node.name if isinstance(node, Ident) and node.name in TYPES else None

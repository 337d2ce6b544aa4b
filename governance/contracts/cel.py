"""CEL expressions compiled once and evaluated on decoded records: common-expression-language.

The evaluator is the Rust interpreter behind the `cel` module (PyPI common-expression-language),
chosen by measurement over cel-python (bench/contracts_eval.py: about 30x faster on the bench's
five rules, docs/CONTRACTS.md). Its semantics are cel-spec's as cel-go implements them:
ints and doubles compare and equal across types (`1 == 1.0`, `1 < 1.5`), `==` across other types
is false, a missing map key or a null where a message is needed is an error. One difference from
the spec is corrected here: its `size()` of a string counts UTF-8 bytes, so `size` is rewritten
to a function that counts code points (strings) or elements (bytes, lists, maps).

Records arrive as Python values decoded from Avro, Protobuf or JSON. They pass as they are
(dict, list, str, bytes, bool, int, float, None, datetime, Decimal as a double); a date becomes its
day number and a UUID its text, as Confluent's Python executor does, a time of day the duration
since midnight; an int beyond int64 is a uint, beyond uint64 a double (infinite past a double's
range). Those conversions run only for a record the library refuses as it is.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from governance.contracts import syntax
from governance.contracts.functions import FUNCTIONS
from governance.contracts.ruleset import ContractError

_SIZE = "_contract_size"
_EPOCH = datetime.date(1970, 1, 1).toordinal()
_INT_RANGE = (-(2**63), 2**64)  # int64 and uint64: beyond them a number is a double


class EvaluationError(Exception):
    """The expression raised on this record: CEL's error value (a failure, with this text)."""


def _size(value: Any) -> int:
    if isinstance(value, (str, bytes, list, dict)):
        return len(value)
    raise TypeError(f"no such overload: size({_cel_type(value)})")


class _QuietFunctions(logging.Filter):
    """The library logs every failing Python function; a failing size() or isEmail() is an ordinary verdict."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not any(f"'{name}'" in text for name in (_SIZE, *FUNCTIONS))


logging.getLogger("cel").addFilter(_QuietFunctions())


def rewrite_size(text: str) -> str:
    """`text` with each call of `size` calling the code-point counting function instead."""
    try:
        toks = syntax.tokens(text)
    except syntax.Unsupported:
        return text  # not lexically CEL: the library's compiler says why
    out, last = [], 0
    for tok, after in zip(toks, toks[1:]):
        if tok.kind == "ident" and tok.text == "size" and after.text == "(":
            out += [text[last:tok.start], _SIZE]
            last = tok.start + len(tok.text)
    return "".join(out) + text[last:]


class Expression:
    """One CEL expression, compiled at construction: a syntax error is a ContractError saying `at`."""

    def __init__(self, text: str, at: str) -> None:
        import cel

        self.text = text
        calls, names = _names(text)
        self._functions = {name: FUNCTIONS[name] for name in calls & FUNCTIONS.keys()} or None
        if rewrite_size(text) != text:
            self._functions = {**(self._functions or {}), _SIZE: _size}
        self._uses_now = "now" in names
        try:
            self._program = cel.compile(rewrite_size(text))
        except (ValueError, RuntimeError) as exc:
            raise ContractError(f"{at}: the CEL expression {text!r} does not compile: "
                                f"{_first_line(exc).replace(_SIZE, 'size')}",
                                "fix the rule in the schema's ruleSet and register it again") from None
        self._context = cel.Context

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        """The expression's value for `variables`; EvaluationError when CEL gives an error."""
        functions = self._functions
        if self._uses_now:
            variables = {"now": datetime.datetime.now(datetime.timezone.utc), **variables}
        try:
            return self._program.execute(self._context(variables, functions))
        except ValueError as exc:
            if "Conversion Error" not in str(exc):
                raise EvaluationError(_first_line(exc)) from None
        except Exception as exc:  # the library raises TypeError, KeyError, RuntimeError, ... for CEL errors
            raise EvaluationError(_message(exc)) from None
        try:
            return self._program.execute(self._context(to_cel(variables), functions))
        except Exception as exc:
            raise EvaluationError(_message(exc)) from None


FALSE = False
"""The verdict of a condition that returned false (None: it holds; a str: the error's text)."""


class Condition:
    """A CONDITION rule's `expr`, with its guard when written `guard;expr`.

    As Confluent's CelExecutor (Java, .NET; schema-registry rules/cel/CelExecutor.java): the text
    is split at its first `;`; a guard that is false, or that raises, skips the rule (the condition
    holds); any other guard value evaluates the expression. The expression holds only when it is
    true: false fails it, and so does any other value (Java passes a non-bool, confluent-kafka-python
    fails a falsy one; we fail both, with the value's type in the text) and an error (its text).
    """

    def __init__(self, text: str, at: str, variables: tuple[str, ...] = ("message",)) -> None:
        guard, semicolon, body = text.partition(";")
        if not semicolon:
            guard, body = "", text
        self.guard = Expression(guard, at) if guard.strip() else None
        self.body = Expression(body, at)
        for part in (guard, body):
            check_variables(part, variables, at)

    def judge(self, variables: Mapping[str, Any]) -> None | bool | str:
        if self.guard is not None:
            try:
                if self.guard.evaluate(variables) is False:
                    return None
            except EvaluationError:
                return None
        try:
            result = self.body.evaluate(variables)
        except EvaluationError as exc:
            return str(exc)
        if result is True:
            return None
        if result is False:
            return FALSE
        return f"the expression gave {_cel_type(result)}, not a bool"


_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
_TYPE_NAMES = frozenset({"int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type",
                         "dyn", "google"})


def check_variables(text: str, variables: tuple[str, ...], at: str) -> None:
    """A ContractError for a variable the rule cannot see (the library finds it only per record,
    failing every one): `msg.amount` where CEL binds `message`."""
    try:
        toks = syntax.tokens(text)
    except syntax.Unsupported:
        return
    bound = {toks[i + 2].text for i in range(len(toks) - 3)
             if toks[i].text in _MACROS and toks[i + 1].text == "(" and toks[i + 2].kind == "ident"
             and toks[i + 3].text == ","}
    for i, tok in enumerate(toks):
        after = toks[i + 1].text if i + 1 < len(toks) else ""
        before = toks[i - 1].text if i else ""
        if tok.kind != "ident" or before == "." or after == "(" or tok.text in ("true", "false", "null", "in"):
            continue
        if tok.text not in variables and tok.text not in bound and tok.text not in _TYPE_NAMES and tok.text != "now":
            raise ContractError(f"{at}: the CEL expression {text.strip()!r} names `{tok.text}`, which the rule does "
                                f"not have", f"a {'CEL' if variables == ('message',) else 'CEL_FIELD'} rule sees "
                                f"{', '.join(variables)}")


def _cel_type(value: Any) -> str:
    names = {type(None): "null", int: "int", float: "double", str: "string", bytes: "bytes", list: "list",
             dict: "map"}
    return names.get(type(value), type(value).__name__)


def _names(text: str) -> tuple[set[str], set[str]]:
    """The functions `text` calls and the variables it names (not after a dot, not called)."""
    try:
        toks = syntax.tokens(text)
    except syntax.Unsupported:
        return set(), set()
    calls, names = set(), set()
    for i, tok in enumerate(toks):
        if tok.kind != "ident":
            continue
        called = i + 1 < len(toks) and toks[i + 1].text == "("
        if called:
            calls.add(tok.text)
        elif not (i and toks[i - 1].text == "."):
            names.add(tok.text)
    return calls, names


def to_cel(value: Any) -> Any:
    """`value` with what the library cannot take converted as Confluent's Python executor does."""
    if isinstance(value, Mapping):
        return {k: to_cel(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_cel(v) for v in value]
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.toordinal() - _EPOCH
    if isinstance(value, datetime.time):
        return datetime.timedelta(hours=value.hour, minutes=value.minute, seconds=value.second,
                                  microseconds=value.microsecond)
    if isinstance(value, uuid.UUID):
        return str(value)
    if type(value) is int and not _INT_RANGE[0] <= value < _INT_RANGE[1]:
        return _as_double(value)
    return value


def _as_double(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def _message(exc: BaseException) -> str:
    text = _first_line(exc)
    if isinstance(exc, KeyError):
        return f"no such key: {text}"
    return text.replace(_SIZE, "size")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0] if "\n" in text else text

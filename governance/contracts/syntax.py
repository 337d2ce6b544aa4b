"""A reader for the part of CEL the compiled shapes model (standard library only).

`tokens` splits any CEL text (cel-spec's lexical grammar: string and bytes literals in every quoting,
raw strings, numbers, identifiers, operators, `//` comments). `parse` builds a small tree for
the expressions the shapes compile: literals, identifiers (`null_type`, `int`, ... among them), `.field`
selection, calls (`size(x)`, `type(x)`, `x.matches(re)`, `has(x.f)`), list literals, `!`, unary `-`,
`&&`, `||`, comparisons and `in`.
Anything else (indexing, maps, `?:`, macros, arithmetic, uint literals) is `Unsupported`: the
rule stays with the evaluator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class Unsupported(Exception):
    """Text outside what this reader models (it may still be valid CEL)."""


@dataclass(frozen=True)
class Token:
    kind: str  # "int" "uint" "double" "string" "bytes" "ident" "op"
    text: str
    start: int
    value: Any = None


_SPACE = re.compile(r"(?:\s+|//[^\n]*)+")
_NUMBER = re.compile(
    r"(?P<hex>0[xX][0-9a-fA-F]+)(?P<hexu>[uU])?"
    r"|(?P<double>(?:[0-9]+\.[0-9]+|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)"
    r"|(?P<int>[0-9]+)(?P<intu>[uU])?")
_IDENT = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_OPS = ("&&", "||", "<=", ">=", "==", "!=", "<", ">", "!", "-", "+", "*", "/", "%", "(", ")", "[", "]",
        "{", "}", ".", ",", "?", ":")
_QUOTES = ('"""', "'''", '"', "'")
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            "\\": "\\", "'": "'", '"': '"', "`": "`", "?": "?"}


def tokens(text: str) -> list[Token]:
    """The tokens of `text`; Unsupported for text that is not lexically CEL."""
    out: list[Token] = []
    i = 0
    while i < len(text):
        space = _SPACE.match(text, i)
        if space:
            i = space.end()
            continue
        token = _string(text, i) or _number(text, i) or _ident(text, i) or _op(text, i)
        if token is None:
            raise Unsupported(f"unexpected {text[i]!r} at {i}")
        out.append(token)
        i = token.start + len(token.text)
    return out


def _string(text: str, i: int) -> Token | None:
    j = i
    raw = is_bytes = False
    while j < len(text) and text[j] in "rRbB" and j - i < 2:
        raw |= text[j] in "rR"
        is_bytes |= text[j] in "bB"
        j += 1
    quote = next((q for q in _QUOTES if text.startswith(q, j)), None)
    if quote is None or (j > i and text[i:j].lower() not in ("r", "b", "rb", "br")):
        return None
    k = j + len(quote)
    chars: list[str] = []
    while True:
        if k >= len(text) or (len(quote) == 1 and text[k] in "\r\n"):
            raise Unsupported("unterminated string")
        if text.startswith(quote, k):
            break
        if text[k] == "\\" and not raw:
            k, char = _escape(text, k + 1, is_bytes)
            chars.append(char)
            continue
        chars.append(text[k])
        k += 1
    value = None if is_bytes else "".join(chars)  # bytes literals are lexed, never compiled
    return Token("bytes" if is_bytes else "string", text[i:k + len(quote)], i, value)


def _escape(text: str, k: int, is_bytes: bool) -> tuple[int, str]:
    char = text[k:k + 1]
    if char in _ESCAPES:
        return k + 1, _ESCAPES[char]
    widths = {"x": 2, "X": 2, "u": 4, "U": 8}
    if char in widths and not (is_bytes and char in "uU"):
        digits = text[k + 1:k + 1 + widths[char]]
        if len(digits) == widths[char] and all(c in "0123456789abcdefABCDEF" for c in digits):
            code = int(digits, 16)
            if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                return k + 1 + widths[char], chr(code)
    digits = text[k:k + 3]
    if len(digits) == 3 and all(c in "01234567" for c in digits) and int(digits, 8) <= 255:
        return k + 3, chr(int(digits, 8))
    raise Unsupported(f"escape \\{char}")


def _number(text: str, i: int) -> Token | None:
    m = _NUMBER.match(text, i)
    if not m:
        return None
    if m["double"]:
        return Token("double", m.group(), i, float(m["double"]))
    digits = m["hex"] or m["int"]
    value = int(digits, 16) if m["hex"] else int(digits)
    return Token("uint" if (m["hexu"] or m["intu"]) else "int", m.group(), i, value)


def _ident(text: str, i: int) -> Token | None:
    m = _IDENT.match(text, i)
    return Token("ident", m.group(), i) if m else None


def _op(text: str, i: int) -> Token | None:
    op = next((o for o in _OPS if text.startswith(o, i)), None)
    return Token("op", op, i) if op else None


# ---------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Lit:
    value: Any  # None, bool, int, float or str


@dataclass(frozen=True)
class Ident:
    name: str


@dataclass(frozen=True)
class Select:
    operand: Any
    field: str


@dataclass(frozen=True)
class Call:
    function: str
    target: Any  # the receiver of `x.f(...)`, None for `f(...)`
    args: tuple[Any, ...]


@dataclass(frozen=True)
class ListLit:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Unary:
    op: str  # "!" or "-"
    operand: Any


@dataclass(frozen=True)
class Binary:
    op: str  # "&&" "||" "<" "<=" ">" ">=" "==" "!=" "in"
    left: Any
    right: Any


_KEYWORDS = {"true": True, "false": False, "null": None}
_RESERVED = frozenset({"as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
                       "loop", "package", "namespace", "return", "var", "void", "while"})
_RELATIONS = ("<", "<=", ">", ">=", "==", "!=")


def parse(text: str) -> Any:
    """The tree of `text`; Unsupported when it is outside the modelled subset."""
    return _Parser(tokens(text)).whole()


class _Parser:
    def __init__(self, toks: list[Token]) -> None:
        self.toks = toks
        self.i = 0

    def peek(self, text: str) -> bool:
        return self.i < len(self.toks) and self.toks[self.i].kind in ("op", "ident") and self.toks[self.i].text == text

    def take(self, text: str) -> None:
        if not self.peek(text):
            raise Unsupported(f"expected {text}")
        self.i += 1

    def next(self) -> Token:
        if self.i >= len(self.toks):
            raise Unsupported("unexpected end")
        self.i += 1
        return self.toks[self.i - 1]

    def whole(self) -> Any:
        node = self.disjunction()
        if self.i != len(self.toks) or self.peek("?"):
            raise Unsupported("trailing text")
        return node

    def disjunction(self) -> Any:
        node = self.conjunction()
        while self.peek("||"):
            self.i += 1
            node = Binary("||", node, self.conjunction())
        return node

    def conjunction(self) -> Any:
        node = self.relation()
        while self.peek("&&"):
            self.i += 1
            node = Binary("&&", node, self.relation())
        return node

    def relation(self) -> Any:
        node = self.unary()
        for op in (*_RELATIONS, "in"):
            if self.peek(op):
                self.i += 1
                right = self.unary()
                if any(self.peek(o) for o in (*_RELATIONS, "in")):
                    raise Unsupported("chained relation")
                return Binary(op, node, right)
        if any(self.peek(o) for o in ("+", "-", "*", "/", "%")):
            raise Unsupported("arithmetic")
        return node

    def unary(self) -> Any:
        if self.peek("!"):
            self.i += 1
            return Unary("!", self.unary())
        if self.peek("-"):
            self.i += 1
            operand = self.unary()
            if isinstance(operand, Lit) and type(operand.value) in (int, float):
                return Lit(-operand.value)
            return Unary("-", operand)
        return self.member()

    def member(self) -> Any:
        node = self.primary()
        while True:
            if self.peek("."):
                self.i += 1
                name = self.next()
                if name.kind != "ident" or name.text in _KEYWORDS or name.text in _RESERVED:
                    raise Unsupported("selection")
                if self.peek("("):
                    node = Call(name.text, node, self.arguments())
                else:
                    node = Select(node, name.text)
            elif self.peek("[") or self.peek("{"):
                raise Unsupported("indexing or message construction")
            else:
                return node

    def arguments(self) -> tuple[Any, ...]:
        self.take("(")
        args: list[Any] = []
        while not self.peek(")"):
            args.append(self.disjunction())
            if not self.peek(")"):
                self.take(",")
        self.take(")")
        return tuple(args)

    def primary(self) -> Any:
        tok = self.next()
        if tok.kind in ("int", "double", "string"):
            if tok.kind == "int" and tok.value >= 2**63:
                raise Unsupported("int literal out of range")
            return Lit(tok.value)
        if tok.kind in ("uint", "bytes"):
            raise Unsupported(f"{tok.kind} literal")
        if tok.kind == "ident":
            if tok.text in _KEYWORDS:
                return Lit(_KEYWORDS[tok.text])
            if tok.text in _RESERVED:
                raise Unsupported("reserved word")
            if self.peek("("):
                return Call(tok.text, None, self.arguments())
            return Ident(tok.text)
        if tok.text == "(":
            node = self.disjunction()
            self.take(")")
            return node
        if tok.text == "[":
            items: list[Any] = []
            while not self.peek("]"):
                items.append(self.disjunction())
                if not self.peek("]"):
                    self.take(",")
            self.take("]")
            return ListLit(tuple(items))
        raise Unsupported(f"unexpected {tok.text!r}")

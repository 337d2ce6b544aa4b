"""CEL `matches` patterns as Python regexes, where they mean the same.

CEL specifies RE2; the evaluator (cel.py) runs Rust's regex crate; the compiled shapes run Python's
re. They agree on a subset only: literal characters, `.`, character classes of characters and
ranges, groups, alternation, `^`, `$` (Python's `$` also matches before a final newline, so it
becomes `\\Z`) and quantifiers with bounds up to 1000, on anything but a group (`?` excepted): RE2 and
Rust run in linear time, Python's re backtracks, and a repeated group such as `^([a-z0-9]+[-_]?)+$` takes it
minutes on a 30-character value that fails, stalling the judge with a transaction open. Escapes
like `\\d`, `\\w`, `\\b` differ (Rust's are Unicode, RE2's ASCII), as do flags, named groups,
POSIX and nested classes: those patterns are `Unsupported` and their rules stay with the evaluator.
`\\s` and `\\S` are the exception: they become the evaluator's class, Unicode's White_Space
(`governance rules suggest` writes `[^@\\s]` in e-mail and URL patterns); RE2's `\\s` is ASCII, the
evaluator's verdict is the one the shapes reproduce.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from governance.contracts.syntax import Unsupported

_META = set("\\.^$|?*+()[]{}")
_SPACE = "\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
"""Rust's `\\s`, Unicode's White_Space, as the members of a Python class (Python's own adds U+001C-U+001F)."""


def python_regex(pattern: str) -> re.Pattern[str]:
    """`pattern` for Python's re.search, when it means the same there as in RE2 and Rust's regex (`\\s`:
    as in Rust's); Unsupported otherwise."""
    out: list[str] = []
    i = 0
    atom: bool | str = False  # the previous item may take a quantifier; "group": it is a group, which may not
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1:i + 2]
            if nxt in ("s", "S"):
                out.append(f"[{'^' if nxt == 'S' else ''}{_SPACE}]")
            elif nxt not in _META and nxt not in ("-", "/"):
                raise Unsupported(f"regex escape \\{nxt}")
            else:
                out.append(re.escape(nxt))
            i, atom = i + 2, True
        elif c == "[":
            end, text = _regex_class(pattern, i)
            out.append(text)
            i, atom = end, True
        elif c in "*+?":
            if not atom:
                raise Unsupported("regex quantifier")
            if atom == "group" and c != "?":
                raise Unsupported("a quantified regex group (Python's re may backtrack exponentially)")
            lazy = pattern[i + 1:i + 2] == "?"
            out.append(c + ("?" if lazy else ""))
            i += 2 if lazy else 1
            if pattern[i:i + 1] in ("*", "+", "?", "{"):
                raise Unsupported("stacked regex quantifiers")
            atom = False
        elif c == "{":
            m = re.compile(r"\{([0-9]+)(,([0-9]*))?\}(\?)?").match(pattern, i)
            if atom == "group":
                raise Unsupported("a quantified regex group (Python's re may backtrack exponentially)")
            if not atom or m is None or int(m[1]) > 1000 or (m[3] and int(m[3]) > 1000) or (
                    m[3] and int(m[3]) < int(m[1])):
                raise Unsupported("regex repetition")
            out.append(m.group())
            i = m.end()
            if pattern[i:i + 1] in ("*", "+", "?", "{"):
                raise Unsupported("stacked regex quantifiers")
            atom = False
        elif c == "(":
            if pattern.startswith("(?:", i):
                out.append("(?:")
                i += 3
            elif pattern.startswith("(?", i):
                raise Unsupported("regex group flags")
            else:
                out.append("(")
                i += 1
            atom = False
        elif c == ")":
            out.append(")")
            i, atom = i + 1, "group"
        elif c == "$":
            out.append(r"\Z")
            i, atom = i + 1, False
        elif c in "^|":
            out.append(c)
            i, atom = i + 1, False
        else:
            out.append("." if c == "." else re.escape(c))
            i, atom = i + 1, True
    try:
        return re.compile("".join(out))
    except re.error:
        raise Unsupported("regex") from None


def finder(regex: re.Pattern[str]) -> Callable[[str], Any]:
    """`regex.search`, or `match` when the pattern is anchored at the start (the same, faster)."""
    depth, top_level_or = 0, False
    escaped = in_class = False
    for c in regex.pattern:
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            top_level_or = True
    return regex.match if regex.pattern.startswith("^") and not top_level_or else regex.search


def _regex_class(pattern: str, start: int) -> tuple[int, str]:
    i = start + 1
    out = ["["]
    if pattern[i:i + 1] == "^":
        out.append("^")
        i += 1
    if pattern[i:i + 1] in ("]", ""):
        raise Unsupported("regex class")
    prev = ""
    while i < len(pattern) and pattern[i] != "]":
        c = pattern[i]
        if c in "[&~" or (c == "-" and prev == "-"):
            raise Unsupported("regex class syntax")
        if c == "\\":
            nxt = pattern[i + 1:i + 2]
            if nxt == "s" and pattern[i + 2:i + 3] != "-" and prev != "-":
                out.append(_SPACE)
            elif nxt not in ("]", "\\", "-", "^", "[", "."):
                raise Unsupported(f"regex class escape \\{nxt}")
            else:
                out.append("\\" + nxt)
            i += 2
        else:
            out.append(c if c == "-" else re.escape(c))
            i += 1
        prev = c
    if i >= len(pattern):
        raise Unsupported("unterminated regex class")
    return i + 1, "".join(out) + "]"

"""The simple shape every value of a string field fits, if there is one.

Kept conservative on purpose: a few well-known formats (UUID, ISO date and date-time,
email address, http URL), else one character class over the value (letters, digits,
`_` and `-` only), after a literal prefix all values share (`tx-`, `SKU-`). Anything
with spaces, punctuation or other letters gets no shape. Every regex is anchored and
valid in Python's `re` and in RE2 (CEL's `matches`).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

WELL_KNOWN: tuple[tuple[str, str], ...] = (
    ("UUID", r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
    ("UUID", r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"),
    ("ISO date", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
    ("ISO date-time", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"),
    ("email address", r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"),
    ("http URL", r"^https?://[^\s/]+[^\s]*$"),
)
_COMPILED = tuple((label, text, re.compile(text)) for label, text in WELL_KNOWN)
_PREFIX = re.compile(r"[A-Za-z]{1,8}[-_]")
_ALLOWED = frozenset(string.ascii_letters + string.digits + "_-")
_HEX_LETTERS = frozenset("abcdef")
_MAX_CHARS = 80
"""A union of characters larger than this already holds one outside the allowed ones."""


@dataclass(frozen=True)
class Shape:
    regex: str
    label: str
    """`UUID`, `email address`, ... or `inferred` for a character class."""

    @property
    def well_known(self) -> bool:
        return self.label != "inferred"


@dataclass
class _Class:
    """The characters and lengths of a part of each value."""

    chars: set[str] | None = field(default_factory=set)
    """None once a character outside letters, digits, `_` and `-` was seen."""
    shortest: int | None = None
    longest: int | None = None

    def add(self, part: str) -> None:
        n = len(part)
        self.shortest = n if self.shortest is None or n < self.shortest else self.shortest
        self.longest = n if self.longest is None or n > self.longest else self.longest
        if self.chars is not None:
            self.chars.update(part)
            if len(self.chars) > _MAX_CHARS or not self.chars <= _ALLOWED:
                self.chars = None

    def regex(self) -> str | None:
        if not self.chars or self.shortest is None or self.shortest == 0:
            return None
        quantifier = f"{{{self.shortest}}}" if self.shortest == self.longest else "+"
        return f"{character_class(self.chars)}{quantifier}"


@dataclass
class ShapeTracker:
    """Fed every string value of a field, one at a time."""

    alive: list[int] = field(default_factory=lambda: list(range(len(_COMPILED))))
    whole: _Class = field(default_factory=_Class)
    prefix: str | None = None
    """The literal prefix every value so far has, `""` once they differ (or one has none)."""
    body: _Class = field(default_factory=_Class)
    seen: int = 0

    def add(self, value: str) -> None:
        self.seen += 1
        if self.alive:
            self.alive = [i for i in self.alive if _COMPILED[i][2].search(value)]
        self.whole.add(value)
        if self.prefix == "":
            return
        m = _PREFIX.match(value)
        prefix = m.group() if m and len(value) > m.end() else ""
        if self.prefix is None:
            self.prefix = prefix
        elif prefix != self.prefix:
            self.prefix = ""
            return
        if prefix:
            self.body.add(value[len(prefix):])

    def shape(self) -> Shape | None:
        """The first well-known format all values fit, else the inferred class; None if nothing fits."""
        if not self.seen:
            return None
        if self.alive:
            label, text, _ = _COMPILED[self.alive[0]]
            return Shape(text, label)
        if self.prefix:
            body = self.body.regex()
            if body is not None:
                return Shape(f"^{self.prefix}{body}$", "inferred")
        whole = self.whole.regex()
        return Shape(f"^{whole}$", "inferred") if whole is not None else None


def character_class(chars: set[str]) -> str:
    """`[A-Z]`, `[0-9a-f]`, `[A-Za-z0-9_-]`: the smallest of a few classes holding `chars`."""
    upper = any(c.isupper() for c in chars)
    lower = {c for c in chars if c.islower()}
    digits = any(c.isdigit() for c in chars)
    if lower and digits and not upper and lower <= _HEX_LETTERS:
        parts = ["0-9a-f"]
    else:
        parts = [p for p, present in (("A-Z", upper), ("a-z", bool(lower)), ("0-9", digits)) if present]
    parts += [c for c in "_-" if c in chars]
    return f"[{''.join(parts)}]"

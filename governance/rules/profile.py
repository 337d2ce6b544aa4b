"""What a sample of records says about each field: pure, one pass, no Kafka.

Fields are the dotted paths the sentinel's rules name (`validate.flatten`): a nested
record's field is `outer.inner`. A field a record lacks counts as null there, as it
does for Great Expectations. Strings keep their distinct values only while they are
few, and the shapes (`shapes.py`) all their values still fit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from governance.rules.shapes import ShapeTracker
from governance.sentinel.validate import flatten

DISTINCT_CAP = 64
"""Distinct string values kept per field; past it the field is not low-cardinality."""


@dataclass
class FieldProfile:
    path: str
    values: int = 0
    """Non-null values seen."""
    kinds: dict[str, int] = field(default_factory=dict)
    """Type of value -> how many: int, float, decimal, str, bool, else the type's name (list, bytes, datetime)."""
    low: int | float | Decimal | None = None
    high: int | float | Decimal | None = None
    not_finite: int = 0
    """NaN and infinities: a range cannot hold them."""
    distinct: dict[str, int] | None = field(default_factory=dict)
    """String value -> count, None once more than DISTINCT_CAP distinct values were seen."""
    shortest: int | None = None
    longest: int | None = None
    shapes: ShapeTracker = field(default_factory=ShapeTracker)

    @property
    def kind(self) -> str | None:
        """The one kind of every value (`int`, `float`, `decimal`, `str`, ...), `number` for a mix of
        numbers, `mixed` for anything else; None when no value was seen."""
        if not self.kinds:
            return None
        if len(self.kinds) == 1:
            return next(iter(self.kinds))
        return "number" if set(self.kinds) <= {"int", "float", "decimal"} else "mixed"

    def add(self, value: Any) -> None:
        self.values += 1
        kind = _kind(value)
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if kind in ("int", "float", "decimal"):
            if kind != "int" and not math.isfinite(value):
                self.not_finite += 1
                return
            self.low = value if self.low is None or value < self.low else self.low
            self.high = value if self.high is None or value > self.high else self.high
        elif kind == "str":
            n = len(value)
            self.shortest = n if self.shortest is None or n < self.shortest else self.shortest
            self.longest = n if self.longest is None or n > self.longest else self.longest
            if self.distinct is not None:
                self.distinct[value] = self.distinct.get(value, 0) + 1
                if len(self.distinct) > DISTINCT_CAP:
                    self.distinct = None
            self.shapes.add(value)


@dataclass
class Profile:
    records: int = 0
    fields: dict[str, FieldProfile] = field(default_factory=dict)

    def add(self, record: Mapping[str, Any]) -> None:
        self.records += 1
        for path, value in flatten(record).items():
            profile = self.fields.get(path)
            if profile is None:
                profile = self.fields[path] = FieldProfile(path)
            if value is not None:
                profile.add(value)

    def nulls(self, path: str) -> int:
        """Records where the field is null or absent."""
        return self.records - self.fields[path].values

    def paths(self) -> list[str]:
        return sorted(self.fields)


def profile_records(records: Iterable[Mapping[str, Any]]) -> Profile:
    profile = Profile()
    for record in records:
        profile.add(record)
    return profile


def _kind(value: Any) -> str:
    t = type(value)
    if t is bool:
        return "bool"
    if t is int:
        return "int"
    if t is float:
        return "float"
    if t is Decimal:
        return "decimal"
    if t is str:
        return "str"
    return t.__name__

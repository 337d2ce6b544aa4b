"""Can a reader schema read what a writer schema wrote? (spec, "Schema Resolution")

The rules, finding names, locations and additional info follow Avro Java's
`SchemaCompatibility` (1.12). On 12,000 generated schema pairs our finding
types and locations equal Avro Java's except in the choices below, where
Avro Java and the specification leave room:

- A named type matches when the reader's unqualified name, or the
  unqualified part of one of its aliases, equals the writer's unqualified
  name. Avro Java compares the alias's full name (resolved in the reader
  type's namespace) with the writer's full name, so for it an alias "Old" in
  namespace "org.new" does not match a writer "com.old.Old"; the
  specification matches type names without their namespace, and we apply
  that to aliases too.
- A reader field is matched to the writer field of the same name first, then
  of its aliases in order (Avro Java throws when several match).
- A reader-only enum field without a field default is reported as
  READER_FIELD_MISSING_DEFAULT_VALUE even when the enum has a default (Avro
  Java compares the enum with the whole writer record there and reports a
  TYPE_MISMATCH).
- A reader union reads a writer type when any branch can (Avro Java); the
  specification picks the first branch that matches.

A (reader, writer) pair already being checked higher up counts as
compatible, so recursive types terminate, as in Avro Java. Results are
memoized per pair, and subtrees with equal structural keys are skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from governance.avro import findings as F
from governance.avro.model import Named, Node, branch_key, describe
from governance.avro.names import PRIMITIVES, short

if TYPE_CHECKING:
    from governance.avro.schema import ParsedSchema

# reader kind -> writer kinds it can read besides its own
PROMOTIONS: dict[str, frozenset[str]] = {
    "long": frozenset({"int"}),
    "float": frozenset({"int", "long"}),
    "double": frozenset({"int", "long", "float"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}

Raw = tuple[str, tuple[str, ...], tuple[str, ...], str, dict[str, str]]
"""A finding relative to the pair being checked: (type, location, field path, additional info, details)."""

_IN_PROGRESS: tuple[Raw, ...] = ()
_NONE: tuple[Raw, ...] = ()


def _under(raws: tuple[Raw, ...], location: tuple[str, ...], path: tuple[str, ...]) -> list[Raw]:
    return [(t, location + loc, path + p, info, d) for t, loc, p, info, d in raws]


class Checker:
    """Checks pairs; one instance may be reused for many pairs of the same schemas."""

    def __init__(self) -> None:
        self._memo: dict[tuple[Any, Any], tuple[Raw, ...]] = {}
        self._busy: set[tuple[Any, Any]] = set()

    def findings(self, reader: Node, writer: Node) -> list[F.Finding]:
        return [F.make(*raw) for raw in self.check(reader, writer)]

    def check(self, reader: Node, writer: Node) -> tuple[Raw, ...]:
        if reader is writer:
            return _NONE
        rk, wk = reader.key, writer.key
        if rk is not None and rk == wk:
            return _NONE
        pair = (rk, wk) if rk is not None and wk is not None else (id(reader), id(writer))
        done = self._memo.get(pair)
        if done is not None:
            return done
        if pair in self._busy:
            return _IN_PROGRESS
        self._busy.add(pair)
        try:
            result = tuple(self._compute(reader, writer))
        finally:
            self._busy.discard(pair)
        self._memo[pair] = result
        return result

    def _compute(self, r: Any, w: Any) -> list[Raw]:
        kind = r.kind
        if kind == w.kind:
            if kind in PRIMITIVES:
                return []
            if kind == "record":
                return self._name(r, w) + self._fields(r, w)
            if kind == "enum":
                return self._name(r, w) + self._symbols(r, w)
            if kind == "fixed":
                return self._name(r, w) + self._size(r, w)
            if kind == "array":
                return _under(self.check(r.items, w.items), ("items",), ())
            if kind == "map":
                return _under(self.check(r.values, w.values), ("values",), ())
            return self._union_from_union(r, w)
        if w.kind == "union":
            return self._from_writer_union(r, w)
        if w.kind in PROMOTIONS.get(kind, ()):
            return []
        if kind == "union":
            if self._union_reads(r, w):
                return []
            return [(F.MISSING_UNION_BRANCH, (), (), f"reader union lacking writer type: {w.kind.upper()}",
                     {"reader": describe(r), "writer": describe(w)})]
        return [(F.TYPE_MISMATCH, (), (), f"reader type: {kind.upper()} not compatible with writer type: {w.kind.upper()}",
                 {"reader": describe(r), "writer": describe(w)})]

    def _union_reads(self, union: Any, writer: Node) -> bool:
        wanted = branch_key(writer)
        likely = sorted(union.branches, key=lambda b: branch_key(b) != wanted)
        return any(not self.check(branch, writer) for branch in likely)

    def _union_from_union(self, r: Any, w: Any) -> list[Raw]:
        out: list[Raw] = []
        for i, branch in enumerate(w.branches):
            if self._union_reads(r, branch):
                continue
            details = {"reader": describe(r), "writer": describe(w), "writer_branch": describe(branch)}
            if any(branch_key(b) == branch_key(branch) for b in r.branches):
                details["branch_changed"] = "yes"
            out.append((F.MISSING_UNION_BRANCH, (str(i),), (), f"reader union lacking writer type: {branch.kind.upper()}", details))
        return out

    def _from_writer_union(self, r: Node, w: Any) -> list[Raw]:
        """Every branch of the writer union must be readable by the (non-union) reader."""
        out: list[Raw] = []
        for i, branch in enumerate(w.branches):
            for t, loc, path, info, d in self.check(r, branch):
                if t == F.TYPE_MISMATCH and not loc and "writer_union" not in d:
                    d = {**d, "writer_union": describe(w), "writer_branch": describe(branch)}
                out.append((t, (str(i), *loc), path, info, d))
        return out

    @staticmethod
    def _name(r: Named, w: Named) -> list[Raw]:
        if r.name == w.name or any(short(alias) == w.name for alias in r.aliases):
            return []
        return [(F.NAME_MISMATCH, ("name",), (), f"expected: {w.fullname}",
                 {"kind": r.kind, "reader_name": r.fullname, "writer_name": w.fullname})]

    def _fields(self, r: Any, w: Any) -> list[Raw]:
        out: list[Raw] = []
        writer_fields = w.by_name
        for rf in r.fields:
            wf = writer_fields.get(rf.name)
            if wf is None:
                for alias in rf.aliases:
                    wf = writer_fields.get(alias)
                    if wf is not None:
                        break
                else:
                    if not rf.has_default:
                        out.append((F.READER_FIELD_MISSING_DEFAULT_VALUE, ("fields", str(rf.pos)), (rf.name,), rf.name,
                                    {"field": rf.name}))
                    continue
            rt, wt = rf.type, wf.type
            if rt is wt or (rt.key is not None and rt.key == wt.key):
                continue
            inner = self.check(rt, wt)
            if inner:
                out += _under(inner, ("fields", str(rf.pos), "type"), (rf.name,))
        return out

    @staticmethod
    def _symbols(r: Any, w: Any) -> list[Raw]:
        missing = sorted(s for s in w.symbols if s not in r.symbol_set)
        if not missing or r.default is not None:
            return []
        return [(F.MISSING_ENUM_SYMBOLS, ("symbols",), (), "[" + ", ".join(missing) + "]",
                 {"name": r.fullname, "symbols": ", ".join(missing)})]

    @staticmethod
    def _size(r: Any, w: Any) -> list[Raw]:
        if r.size == w.size:
            return []
        return [(F.FIXED_SIZE_MISMATCH, ("size",), (), f"expected: {w.size}, found: {r.size}",
                 {"name": r.fullname, "reader_size": str(r.size), "writer_size": str(w.size)})]


def reader_writer_findings(reader: ParsedSchema, writer: ParsedSchema) -> list[F.Finding]:
    """Why `reader` cannot read data written with `writer` (empty when it can); version None, direction "backward"."""
    return Checker().findings(reader._tree, writer._tree)

"""Confluent's JSON Schema `SchemaDiff`: the differences from an original (writer's) schema to an update (reader's).

Follows io.confluent.kafka.schemaregistry.json.diff: `$ref`s are compared by their targets (a pair
met again while it is being compared is a cycle and compares equal), combinators branch by
branch through a maximum matching of compatible branches, objects and arrays by content model
(in `shapes`). Where Confluent's code has a slip we do what it means: an exclusive maximum that
went down is EXCLUSIVE_MAXIMUM_DECREASED, and `multipleOf` is compared exactly, not as integers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from governance.json_schema import drafts
from governance.json_schema.findings import COMPATIBLE, KEYWORD_NOT_COMPARED, STRICT, Difference
from governance.json_schema.model import Node, build
from governance.json_schema.schema import Document, JsonSchema, canonical_json, subschemas


class Context:
    """The path being compared, the differences found, and the pairs in progress (shared with subcontexts)."""

    def __init__(self, policy: str = STRICT, path: tuple[str, ...] = (),
                 in_progress: set[tuple[Any, Any]] | None = None, checked: set[Any] | None = None) -> None:
        self.policy = policy
        self.path = list(path)
        self.in_progress = in_progress if in_progress is not None else set()
        self.checked = checked if checked is not None else set()
        self.differences: list[Difference] = []

    def sub(self) -> Context:
        return Context(self.policy, tuple(self.path), self.in_progress, self.checked)

    @contextmanager
    def at(self, *tokens: str) -> Iterator[None]:
        tokens = tuple(t for t in tokens if t != "")
        self.path.extend(tokens)
        try:
            yield
        finally:
            del self.path[len(self.path) - len(tokens):]

    def add(self, kind: str, keyword: str = "", old: Any = "", new: Any = "", not_compared: str = "") -> None:
        tokens = [*self.path, keyword] if keyword else self.path
        location = "#/" + "/".join(t.replace("~", "~0").replace("/", "~1") for t in tokens)
        self.differences.append(Difference(kind, location, _show(old), _show(new), not_compared))

    def extend(self, differences: list[Difference]) -> None:
        self.differences.extend(differences)

    @property
    def compatible(self) -> bool:
        """Whether the differences so far are all allowed. A keyword not compared does not make a branch or a
        covering schema fail to match (the comparison goes on as if it were equal); it is reported with
        the differences kept, and refuses the change at the end."""
        allowed = COMPATIBLE[self.policy] | {KEYWORD_NOT_COMPARED}
        return all(d.type in allowed for d in self.differences)


def _show(value: Any) -> str:
    if value is None or value == "":
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def schema_diff(original: JsonSchema, update: JsonSchema, policy: str = STRICT) -> list[Difference]:
    """Every difference from `original` to `update`, compatible ones included."""
    ctx = Context(policy)
    compare(ctx, build(original, original.main, original.document), build(update, update.main, update.document))
    return ctx.differences


def compare(ctx: Context, original: Node | None, update: Node | None) -> None:
    if original is None and update is None:
        return
    if original is None:
        ctx.add("SCHEMA_ADDED")
        return
    if update is None:
        ctx.add("SCHEMA_REMOVED")
        return
    original, update = _deref(original), _deref(update)
    pair = (original.key, update.key)
    if pair in ctx.in_progress:
        return
    ctx.in_progress.add(pair)
    try:
        checked = (id(original.raw), id(update.raw), tuple(ctx.path))
        if checked not in ctx.checked and (original.whole or update.whole):
            ctx.checked.add(checked)
            _not_compared(ctx, original, update)
        if _combined_against_plain(ctx, original, update):
            return
        if original.kind != update.kind:
            if original.kind != "false" and update.kind != "empty":
                ctx.add("TYPE_CHANGED", "", _describe(original), _describe(update))
            return
        _compare_same(ctx, original, update)
    finally:
        ctx.in_progress.discard(pair)


_KINDS = {"empty": "any value", "false": "no value at all", "combined": "a value matching {criterion}",
          "not": "a value not matching `not`", "enum": "one of the values of `enum`", "const": "the `const` value",
          "number": "a number", "string": "a string", "boolean": "a boolean", "null": "null", "object": "an object",
          "array": "an array"}


def _describe(node: Node) -> str:
    if node.kind == "number" and node.integer:
        return "an integer"
    if node.kind == "combined" and node.tag == "type":
        return "a value of type " + " or ".join(sub.tag for sub in node.subs)
    return _KINDS[node.kind].format(criterion=node.criterion)


def child(node: Node, raw: Any) -> Node | None:
    """The node of a subschema `raw` of `node` (None when absent)."""
    return None if raw is None else build(node.owner, node.doc, raw)


def _deref(node: Node, hops: int = 0) -> Node:
    """The node a `$ref` node stands for (a chain of `$ref`s followed; one that loops on itself is empty)."""
    while node.kind == "ref" and hops < 64:
        doc, raw, _ = node.owner.resolve(node.doc, node.raw["$ref"])
        node, hops = build(node.owner, doc, raw), hops + 1
    return Node("empty", {}, node.doc, whole=True) if node.kind == "ref" else node


def _combined_against_plain(ctx: Context, original: Node, update: Node) -> bool:
    """Confluent's special cases of a combinator on one side only; True when they settled the comparison."""
    if original.kind != "combined" and update.kind == "combined":
        if len(update.subs) == 1:
            return _try(ctx, original, update.subs[0])
        if update.criterion in ("anyOf", "oneOf"):
            return any(_try(ctx, original, sub, "SUM_TYPE_EXTENDED") for sub in update.subs)
    elif original.kind == "combined" and update.kind != "combined":
        if len(original.subs) == 1 and _try(ctx, original.subs[0], update):
            return True
        if original.criterion == "allOf":
            return any(_try(ctx, sub, update, "PRODUCT_TYPE_NARROWED") for sub in original.subs)
    return False


def _try(ctx: Context, original: Node, update: Node, then: str = "") -> bool:
    sub = ctx.sub()
    compare(sub, original, update)
    if not sub.compatible:
        return False
    ctx.extend(sub.differences)
    if then:
        ctx.add(then)
    return True


def _compare_same(ctx: Context, original: Node, update: Node) -> None:
    from governance.json_schema import shapes  # noqa: PLC0415 - shapes builds on this module's compare()

    if original.whole and update.whole:
        _annotations(ctx, original, update)
    kind = original.kind
    if kind == "string":
        bounds(ctx, original, update, "maxLength", "MAX_LENGTH")
        bounds(ctx, original, update, "minLength", "MIN_LENGTH")
        _pattern(ctx, original, update)
    elif kind == "number":
        _number(ctx, original, update)
    elif kind == "enum":
        _enum(ctx, original, update)
    elif kind == "const":
        if canonical_json(original.get("const")) != canonical_json(update.get("const")):
            ctx.add("ENUM_ARRAY_CHANGED", "const", original.get("const"), update.get("const"))
    elif kind == "combined":
        _combined(ctx, original, update)
    elif kind == "not":
        with ctx.at("not"):
            sub = ctx.sub()
            compare(sub, child(update, update.get("not")), child(original, original.get("not")))
            ctx.add("NOT_TYPE_NARROWED" if sub.compatible else "NOT_TYPE_EXTENDED")
    elif kind == "object":
        shapes.compare_objects(ctx, original, update)
    elif kind == "array":
        shapes.compare_arrays(ctx, original, update)


def _annotations(ctx: Context, original: Node, update: Node) -> None:
    id_key = "id" if original.draft == drafts.DRAFT4 else "$id"
    for keyword, kind in ((id_key, "ID_CHANGED"), ("title", "TITLE_CHANGED"), ("description", "DESCRIPTION_CHANGED"),
                          ("default", "DEFAULT_CHANGED")):
        if canonical_json(original.get(keyword)) != canonical_json(update.get(keyword)):
            ctx.add(kind)


def _not_compared(ctx: Context, original: Node, update: Node) -> None:
    """KEYWORD_NOT_COMPARED for each validation keyword this checker does not compare that differs."""
    keywords = drafts.uncompared(original.draft) | drafts.uncompared(update.draft)
    for keyword in sorted(keywords):
        a = signature(original.owner, original.doc, original.get(keyword))
        b = signature(update.owner, update.doc, update.get(keyword))
        if a != b:
            ctx.add(KEYWORD_NOT_COMPARED, keyword, not_compared=keyword)


def signature(schema: JsonSchema, doc: Document, raw: Any) -> str:
    """A keyword's value with every `$ref` in it replaced by what it names, so a change behind a `$ref` shows."""
    return canonical_json(_expanded(schema, doc, raw, frozenset()))


def _expanded(schema: JsonSchema, doc: Document, raw: Any, seen: frozenset[int]) -> Any:
    if not isinstance(raw, dict):
        return raw
    out = dict(raw)
    if isinstance(raw.get("$ref"), str):
        target_doc, target, _ = schema.resolve(doc, raw["$ref"])
        out["$ref"] = {"(recursive)": raw["$ref"]} if id(target) in seen else \
            _expanded(schema, target_doc, target, seen | {id(target)})
    for tokens, sub in subschemas(raw):
        if len(tokens) == 1:
            out[tokens[0]] = _expanded(schema, doc, sub, seen)
            continue
        key, item = tokens
        if out[key] is raw[key]:
            out[key] = list(raw[key]) if isinstance(raw[key], list) else dict(raw[key])
        out[key][int(item) if isinstance(out[key], list) else item] = _expanded(schema, doc, sub, seen)
    return out


def bounds(ctx: Context, original: Node, update: Node, keyword: str, prefix: str) -> None:
    """{prefix}_ADDED/_REMOVED/_INCREASED/_DECREASED for a numeric keyword (`maxLength`, `minItems`, ...)."""
    a, b = _num(original.get(keyword)), _num(update.get(keyword))
    if a == b:
        return
    if a is None:
        ctx.add(f"{prefix}_ADDED", keyword, None, b)
    elif b is None:
        ctx.add(f"{prefix}_REMOVED", keyword, a, None)
    elif a < b:
        ctx.add(f"{prefix}_INCREASED", keyword, a, b)
    else:
        ctx.add(f"{prefix}_DECREASED", keyword, a, b)


def _num(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _pattern(ctx: Context, original: Node, update: Node) -> None:
    a, b = original.get("pattern"), update.get("pattern")
    if a is None and b is not None:
        ctx.add("PATTERN_ADDED", "pattern", None, b)
    elif a is not None and b is None:
        ctx.add("PATTERN_REMOVED", "pattern", a, None)
    elif a != b:
        ctx.add("PATTERN_CHANGED", "pattern", a, b)


def _number(ctx: Context, original: Node, update: Node) -> None:
    o, u = _limits(original), _limits(update)
    for keyword, prefix in (("maximum", "MAXIMUM"), ("minimum", "MINIMUM"), ("exclusiveMaximum", "EXCLUSIVE_MAXIMUM"),
                            ("exclusiveMinimum", "EXCLUSIVE_MINIMUM")):
        a, b = o[keyword], u[keyword]
        if a == b:
            continue
        if a is None:
            ctx.add(f"{prefix}_ADDED", keyword, None, b)
        elif b is None:
            ctx.add(f"{prefix}_REMOVED", keyword, a, None)
        else:
            ctx.add(f"{prefix}_{'INCREASED' if a < b else 'DECREASED'}", keyword, a, b)
    a, b = _decimal(original.get("multipleOf")), _decimal(update.get("multipleOf"))
    if a != b:
        if a is None:
            ctx.add("MULTIPLE_OF_ADDED", "multipleOf", None, update.get("multipleOf"))
        elif b is None:
            ctx.add("MULTIPLE_OF_REMOVED", "multipleOf", original.get("multipleOf"), None)
        else:
            kind = "EXPANDED" if b % a == 0 else "REDUCED" if a % b == 0 else "CHANGED"
            ctx.add(f"MULTIPLE_OF_{kind}", "multipleOf", original.get("multipleOf"), update.get("multipleOf"))
    if original.integer != update.integer:
        ctx.add("TYPE_EXTENDED" if original.integer else "TYPE_NARROWED")


def _limits(node: Node) -> dict[str, Any]:
    """Inclusive and exclusive bounds; draft 4's boolean `exclusiveMaximum` makes `maximum` exclusive."""
    out = {k: _num(node.get(k)) for k in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum")}
    if node.draft == drafts.DRAFT4:
        for bound, flag in (("maximum", "exclusiveMaximum"), ("minimum", "exclusiveMinimum")):
            out[flag] = out[bound] if node.get(flag) is True else None
            if node.get(flag) is True:
                out[bound] = None
    return out


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _enum(ctx: Context, original: Node, update: Node) -> None:
    a = {canonical_json(_norm(v)) for v in original.get("enum", [])}
    b = {canonical_json(_norm(v)) for v in update.get("enum", [])}
    if a == b:
        return
    kind = "EXTENDED" if a <= b else "NARROWED" if b <= a else "CHANGED"
    ctx.add(f"ENUM_ARRAY_{kind}", "enum", ", ".join(sorted(a - b)), ", ".join(sorted(b - a)))


def _norm(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def _combined(ctx: Context, original: Node, update: Node) -> None:
    changed = _criteria(ctx, original, update)
    if changed:
        return
    o_subs, o_paths = _distinct(original)
    u_subs, _ = _distinct(update)
    if len(o_subs) < len(u_subs):
        ctx.add("PRODUCT_TYPE_EXTENDED" if update.criterion == "allOf" else "SUM_TYPE_EXTENDED")
    elif len(o_subs) > len(u_subs):
        ctx.add("PRODUCT_TYPE_NARROWED" if update.criterion == "allOf" else "SUM_TYPE_NARROWED")
    edges: dict[int, dict[int, list[Difference]]] = {}
    for i, (o, path) in enumerate(zip(o_subs, o_paths)):
        with ctx.at(*path.split("/")):
            for j, u in enumerate(u_subs):
                sub = ctx.sub()
                compare(sub, o, u)
                if sub.compatible:
                    edges.setdefault(i, {})[j] = sub.differences
    matching = _max_matching(edges)
    for i, j in sorted(matching.items()):
        ctx.extend(edges[i][j])
    if len(matching) < min(len(o_subs), len(u_subs)):
        ctx.add("COMBINED_TYPE_SUBSCHEMAS_CHANGED")


def _criteria(ctx: Context, original: Node, update: Node) -> bool:
    """Confluent's compareCriteria; True when the criterion changed incompatibly (COMBINED_TYPE_CHANGED)."""
    a, b = original.criterion, update.criterion
    if a == b:
        return False
    single = len(original.subs) == 1
    if b == "anyOf" or (b == "oneOf" and single) or (b == "allOf" and single and len(update.subs) == 1):
        ctx.add("COMBINED_TYPE_EXTENDED", "", a, b)
        return False
    ctx.add("COMBINED_TYPE_CHANGED", "", a, b)
    return True


def _distinct(node: Node) -> tuple[list[Node], list[str]]:
    """A combined node's branches, duplicates (same canonical text) collapsed, with their paths."""
    seen: set[tuple[str, str]] = set()
    subs: list[Node] = []
    paths: list[str] = []
    for sub, path in zip(node.subs, node.sub_paths):
        key = (sub.tag, canonical_json(sub.raw))
        if key not in seen:
            seen.add(key)
            subs.append(sub)
            paths.append(path)
    return subs, paths


def _max_matching(edges: dict[int, dict[int, Any]]) -> dict[int, int]:
    """A maximum matching of the bipartite graph `edges` (original branch -> compatible update branches)."""
    owner: dict[int, int] = {}

    def augment(i: int, visited: set[int]) -> bool:
        for j in edges.get(i, {}):
            if j in visited:
                continue
            visited.add(j)
            if j not in owner or augment(owner[j], visited):
                owner[j] = i
                return True
        return False

    for i in edges:
        augment(i, set())
    return {i: j for j, i in owner.items()}

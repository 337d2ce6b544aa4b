"""Objects and arrays in Confluent's JSON Schema diff: properties and tuple items by content model.

An object's content model is open when nothing constrains its unlisted properties
(no `patternProperties`, `additionalProperties` absent or true and no `unevaluatedProperties`
schema), closed when they are forbidden, and partially open when a pattern or an
`additionalProperties`/`unevaluatedProperties` schema decides them. Tuple items (`items` as a list,
`prefixItems` in 2020-12) follow the same three models through `additionalItems`/`items`/
`unevaluatedItems`. An added `patternProperties` pattern is judged only where it plainly widens
(a closed object with no pattern gains one) and a removed one where the update is open; any
other change to the pattern set is a KEYWORD_NOT_COMPARED.
"""

from __future__ import annotations

import re
from typing import Any

from governance.json_schema import drafts
from governance.json_schema.diff import Context, bounds, child, compare
from governance.json_schema.findings import KEYWORD_NOT_COMPARED
from governance.json_schema.model import Node


def _empty(raw: Any) -> bool:
    return raw is True or raw == {}


def _props(node: Node) -> dict[str, Any]:
    props = node.get("properties")
    return props if isinstance(props, dict) else {}


def _required(node: Node) -> set[str]:
    req = node.get("required")
    return {r for r in req if isinstance(r, str)} if isinstance(req, list) else set()


def _has_default(raw: Any) -> bool:
    return isinstance(raw, dict) and "default" in raw


def _extra(node: Node, keyword: str) -> tuple[bool, Any, bool]:
    """(permits, schema, present) of `additionalProperties`/`additionalItems`-like keyword: schema is None
    for absent, true and {}."""
    value = node.get(keyword)
    return value is not False, (value if isinstance(value, dict) and value else None), value is not None


def _open(node: Node, keyword: str, patterns: bool) -> bool:
    if patterns and node.get("patternProperties"):
        return False
    permits, schema, present = _extra(node, keyword)
    if not permits or schema is not None:
        return False
    uneval = node.get("unevaluatedProperties" if patterns else "unevaluatedItems")
    return present or uneval is None or _empty(uneval)


def _partial(node: Node, keyword: str, name: str | None) -> Any:
    """The schema a partially open model gives an unlisted property `name` (or tuple item: `name` None)."""
    if name is not None:
        for pattern, sub in (node.get("patternProperties") or {}).items():
            try:
                if re.search(pattern, name):
                    return sub
            except re.error:
                continue
    _, schema, present = _extra(node, keyword)
    if schema is not None:
        return schema
    uneval = node.get("unevaluatedProperties" if name is not None else "unevaluatedItems")
    if not present and isinstance(uneval, dict) and uneval:
        return uneval
    return None


def compare_objects(ctx: Context, original: Node, update: Node) -> None:
    o_props, u_props = _props(original), _props(update)
    o_req, u_req = _required(original), _required(update)
    with ctx.at("required"):
        for name in o_props:
            if name in u_props and (name in o_req) != (name in u_req):
                with ctx.at(name):
                    if name in o_req:
                        ctx.add("REQUIRED_ATTRIBUTE_REMOVED")
                    else:
                        ctx.add("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED" if _has_default(u_props[name])
                                else "REQUIRED_ATTRIBUTE_ADDED")
    with ctx.at("properties"):
        for name in [*o_props, *(n for n in u_props if n not in o_props)]:
            with ctx.at(name):
                if name not in u_props:
                    _property_removed(ctx, original, update, name)
                elif name not in o_props:
                    _property_added(ctx, original, update, name)
                else:
                    compare(ctx, child(original, o_props[name]), child(update, u_props[name]))
    _dependencies(ctx, original, update)
    _pattern_properties(ctx, original, update)
    _extra_diff(ctx, original, update, "additionalProperties", "ADDITIONAL_PROPERTIES")
    _unevaluated(ctx, original, update, "unevaluatedProperties", "UNEVALUATED_PROPERTIES")
    bounds(ctx, original, update, "maxProperties", "MAX_PROPERTIES")
    bounds(ctx, original, update, "minProperties", "MIN_PROPERTIES")


def _property_removed(ctx: Context, original: Node, update: Node, name: str) -> None:
    if _open(update, "additionalProperties", patterns=True):
        ctx.add("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL")
        return
    partial = _partial(update, "additionalProperties", name)
    if partial is not None:
        sub = ctx.sub()
        compare(sub, child(original, _props(original)[name]), child(update, partial))
        ctx.extend(sub.differences)
        ctx.add(f"PROPERTY_REMOVED_{'IS' if sub.compatible else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
    elif _props(original)[name] is False:
        ctx.add("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
    else:
        ctx.add("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL")


def _property_added(ctx: Context, original: Node, update: Node, name: str) -> None:
    raw = _props(update)[name]
    required = name in _required(update)
    if _open(original, "additionalProperties", patterns=True):
        added = child(update, raw)
        if added is not None and added.kind == "empty":
            ctx.add("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL")
        elif required:
            ctx.add("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL" if _has_default(raw)
                    else "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
        else:
            ctx.add("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
        return
    partial = _partial(original, "additionalProperties", name)
    if partial is not None:
        sub = ctx.sub()
        compare(sub, child(original, partial), child(update, raw))
        ctx.extend(sub.differences)
        ctx.add(f"PROPERTY_ADDED_{'IS' if sub.compatible else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
    if required:
        ctx.add("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL" if _has_default(raw)
                else "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
    else:
        ctx.add("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")


def _dependency_maps(node: Node) -> tuple[str, dict[str, list[str]], str, dict[str, Any]]:
    if node.draft in (drafts.DRAFT2019, drafts.DRAFT2020):
        arrays, schemas = node.get("dependentRequired") or {}, node.get("dependentSchemas") or {}
        return "dependentRequired", dict(arrays), "dependentSchemas", dict(schemas)
    deps = node.get("dependencies") or {}
    return ("dependencies", {k: v for k, v in deps.items() if isinstance(v, list)},
            "dependencies", {k: v for k, v in deps.items() if not isinstance(v, list)})


def _dependencies(ctx: Context, original: Node, update: Node) -> None:
    array_key, o_arrays, schema_key, o_schemas = _dependency_maps(original)
    _, u_arrays, _, u_schemas = _dependency_maps(update)
    for name in sorted(o_arrays.keys() | u_arrays.keys()):
        with ctx.at(array_key, name):
            a, b = o_arrays.get(name), u_arrays.get(name)
            if b is None:
                ctx.add("DEPENDENCY_ARRAY_REMOVED")
            elif a is None:
                ctx.add("DEPENDENCY_ARRAY_ADDED", "", None, b)
            elif set(a) != set(b):
                kind = "EXTENDED" if set(b) >= set(a) else "NARROWED" if set(a) >= set(b) else "CHANGED"
                ctx.add(f"DEPENDENCY_ARRAY_{kind}", "", a, b)
    for name in sorted(o_schemas.keys() | u_schemas.keys()):
        with ctx.at(schema_key, name):
            if name not in u_schemas:
                ctx.add("DEPENDENCY_SCHEMA_REMOVED")
            elif name not in o_schemas:
                ctx.add("DEPENDENCY_SCHEMA_ADDED")
            else:
                compare(ctx, child(original, o_schemas[name]), child(update, u_schemas[name]))


def _pattern_properties(ctx: Context, original: Node, update: Node) -> None:
    o = original.get("patternProperties") or {}
    u = update.get("patternProperties") or {}
    with ctx.at("patternProperties"):
        for pattern in o.keys() & u.keys():
            with ctx.at(pattern):
                compare(ctx, child(original, o[pattern]), child(update, u[pattern]))
    added, removed = u.keys() - o.keys(), o.keys() - u.keys()
    widens_closed = not o and original.get("additionalProperties") is False
    if (added and not widens_closed) or (removed and not _open(update, "additionalProperties", patterns=True)):
        ctx.add(KEYWORD_NOT_COMPARED, "patternProperties", not_compared="patternProperties")


def _extra_diff(ctx: Context, original: Node, update: Node, keyword: str, prefix: str, path: str = "") -> None:
    o_permits, o_schema, _ = _extra(original, keyword)
    u_permits, u_schema, _ = _extra(update, keyword)
    with ctx.at(path or keyword):
        if o_permits != u_permits:
            ctx.add(f"{prefix}_{'ADDED' if u_permits else 'REMOVED'}")
        elif o_schema is None and u_schema is not None:
            ctx.add(f"{prefix}_NARROWED")
        elif u_schema is None and o_schema is not None:
            ctx.add(f"{prefix}_EXTENDED")
        elif o_schema is not None:
            compare(ctx, child(original, o_schema), child(update, u_schema))


def _unevaluated(ctx: Context, original: Node, update: Node, keyword: str, prefix: str) -> None:
    a, b = original.get(keyword), update.get(keyword)
    if a is None and b is None:
        return
    with ctx.at(keyword):
        if a is None:
            ctx.add(f"{prefix}_{'REMOVED' if b is False else 'NARROWED'}")
        elif b is None:
            ctx.add(f"{prefix}_{'ADDED' if a is False else 'EXTENDED'}")
        elif a is False and b is not False:
            ctx.add(f"{prefix}_ADDED")
        elif a is not False and b is False:
            ctx.add(f"{prefix}_REMOVED")
        elif _empty(a) and not _empty(b):
            ctx.add(f"{prefix}_NARROWED")
        elif not _empty(a) and _empty(b):
            ctx.add(f"{prefix}_EXTENDED")
        else:
            compare(ctx, child(original, a), child(update, b))


def _array_parts(node: Node) -> tuple[str, Any, str, list[Any], str]:
    """(all-items keyword, all-items schema, tuple keyword, tuple schemas, further-items keyword)."""
    if node.draft == drafts.DRAFT2020:
        prefix = node.get("prefixItems")
        if isinstance(prefix, list):
            return "items", None, "prefixItems", prefix, "items"
        return "items", node.get("items"), "prefixItems", [], "items"
    items = node.get("items")
    if isinstance(items, list):
        return "items", None, "items", items, "additionalItems"
    return "items", items, "items", [], "additionalItems"


def compare_arrays(ctx: Context, original: Node, update: Node) -> None:
    all_key, o_all, tuple_key, o_tuple, o_extra = _array_parts(original)
    _, u_all, _, u_tuple, u_extra = _array_parts(update)
    with ctx.at(all_key):
        compare(ctx, child(original, o_all), child(update, u_all))
    for i in range(max(len(o_tuple), len(u_tuple))):
        with ctx.at(tuple_key, str(i)):
            if i < len(o_tuple) and i < len(u_tuple):
                compare(ctx, child(original, o_tuple[i]), child(update, u_tuple[i]))
            elif i < len(o_tuple):
                _item_removed(ctx, original, update, o_tuple[i], u_extra)
            else:
                _item_added(ctx, original, update, u_tuple[i], o_extra)
    o_node = _Extra(original, o_extra if o_tuple or original.draft != drafts.DRAFT2020 else "-")
    u_node = _Extra(update, u_extra if u_tuple or update.draft != drafts.DRAFT2020 else "-")
    _extra_diff(ctx, o_node, u_node, "additionalItems", "ADDITIONAL_ITEMS", o_extra)
    _unevaluated(ctx, original, update, "unevaluatedItems", "UNEVALUATED_ITEMS")
    bounds(ctx, original, update, "maxItems", "MAX_ITEMS")
    bounds(ctx, original, update, "minItems", "MIN_ITEMS")
    if bool(original.get("uniqueItems")) != bool(update.get("uniqueItems")):
        ctx.add("UNIQUE_ITEMS_REMOVED" if original.get("uniqueItems") else "UNIQUE_ITEMS_ADDED", "uniqueItems")
    bounds(ctx, original, update, "maxContains", "MAX_CONTAINS")
    bounds(ctx, original, update, "minContains", "MIN_CONTAINS")


class _Extra(Node):
    """An array node seen through the keyword that holds its further items, named `additionalItems`."""

    def __init__(self, node: Node, keyword: str) -> None:
        super().__init__(node.kind, node.raw, node.doc, node.tag, node.whole, owner=node.owner)
        self._keyword = keyword

    def get(self, keyword: str, default: Any = None) -> Any:
        if keyword == "additionalItems":
            return super().get(self._keyword, default)
        return super().get(keyword, default)


def _item_removed(ctx: Context, original: Node, update: Node, raw: Any, extra: str) -> None:
    if _open(_Extra(update, extra), "additionalItems", patterns=False):
        ctx.add("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL")
        return
    partial = _partial(_Extra(update, extra), "additionalItems", None)
    if partial is not None:
        sub = ctx.sub()
        compare(sub, child(original, raw), child(update, partial))
        ctx.extend(sub.differences)
        ctx.add(f"ITEM_REMOVED_{'IS' if sub.compatible else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
    elif raw is False:
        ctx.add("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
    else:
        ctx.add("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL")


def _item_added(ctx: Context, original: Node, update: Node, raw: Any, extra: str) -> None:
    if _open(_Extra(original, extra), "additionalItems", patterns=False):
        added = child(update, raw)
        ctx.add("ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL" if added is not None and added.kind == "empty"
                else "ITEM_ADDED_TO_OPEN_CONTENT_MODEL")
        return
    partial = _partial(_Extra(original, extra), "additionalItems", None)
    if partial is not None:
        sub = ctx.sub()
        compare(sub, child(original, partial), child(update, raw))
        ctx.extend(sub.differences)
        ctx.add(f"ITEM_ADDED_{'IS' if sub.compatible else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
    else:
        ctx.add("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL")

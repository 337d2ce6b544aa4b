"""A schema's subschemas as the kinds Confluent's checker compares (everit's schema classes).

A JSON object becomes one node, or an `allOf` of several when it holds several parts: its
type (a `type` list is an `anyOf` of one node per type), `enum`, `const`, each combinator, `not`,
and in 2019-09 and later a `$ref` beside them (before 2019-09 a `$ref` hides its siblings).
Numbers keep whether they must be integers; `{}` and `true` are the empty schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from governance.json_schema import drafts
from governance.json_schema.schema import Document, JsonSchema

OBJECT_KEYWORDS = frozenset({"properties", "required", "additionalProperties", "patternProperties", "minProperties",
                             "maxProperties", "dependencies", "dependentRequired", "dependentSchemas",
                             "unevaluatedProperties", "propertyNames"})
ARRAY_KEYWORDS = frozenset({"items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems",
                            "unevaluatedItems", "contains", "minContains", "maxContains"})
STRING_KEYWORDS = frozenset({"minLength", "maxLength", "pattern"})
NUMBER_KEYWORDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})
_GROUPS = (("object", OBJECT_KEYWORDS), ("array", ARRAY_KEYWORDS), ("string", STRING_KEYWORDS),
           ("number", NUMBER_KEYWORDS))
COMBINATORS = ("allOf", "anyOf", "oneOf")
_BEFORE_2019 = (drafts.DRAFT4, drafts.DRAFT6, drafts.DRAFT7)


@dataclass(eq=False)
class Node:
    """`kind` is empty, false, ref, combined, not, enum, const, string, number, boolean, null, object or array.

    `raw` is the JSON object the node reads its keywords from; `whole` marks the node that stands
    for all of it (the one whose annotations are compared); `criterion` and `subs` are a combined
    node's; `integer` a number node's.
    """

    kind: str
    raw: Any
    doc: Document
    tag: str = ""
    whole: bool = False
    criterion: str = ""
    subs: tuple[Node, ...] = ()
    sub_paths: tuple[str, ...] = ()
    integer: bool = False
    owner: JsonSchema | None = None

    @property
    def key(self) -> tuple[int, str]:
        return id(self.raw), self.tag

    @property
    def draft(self) -> str:
        return self.doc.draft

    def get(self, keyword: str, default: Any = None) -> Any:
        """The keyword's value, as the node's draft reads it (a keyword the draft lacks is absent)."""
        if not isinstance(self.raw, dict) or (keyword in drafts.SINCE_2019 and self.draft in _BEFORE_2019):
            return default
        return self.raw.get(keyword, default)


def build(schema: JsonSchema, doc: Document, raw: Any) -> Node:
    """The node of the subschema `raw` of `doc`, a document of `schema`."""
    node = _build(schema, doc, raw)
    _own(node, schema)
    return node


def _own(node: Node, schema: JsonSchema) -> None:
    node.owner = schema
    for sub in node.subs:
        if sub.owner is None:
            _own(sub, schema)


def _build(schema: JsonSchema, doc: Document, raw: Any) -> Node:
    if raw is False:
        return Node("false", raw, doc, whole=True)
    if not isinstance(raw, dict):
        return Node("empty", raw, doc, whole=True)
    draft = doc.draft
    if "$ref" in raw and draft in (drafts.DRAFT4, drafts.DRAFT6, drafts.DRAFT7):
        return Node("ref", raw, doc, "ref", whole=True)
    parts: list[Node] = []
    paths: list[str] = []
    if "$ref" in raw:
        parts.append(Node("ref", raw, doc, "ref"))
        paths.append("$ref")
    typed = _typed(raw, doc)
    if typed is not None:
        parts.append(typed)
        paths.append("")
    if "enum" in raw:
        parts.append(Node("enum", raw, doc, "enum"))
        paths.append("")
    if "const" in raw and draft != drafts.DRAFT4:
        parts.append(Node("const", raw, doc, "const"))
        paths.append("")
    for criterion in COMBINATORS:
        if isinstance(raw.get(criterion), list):
            subs = tuple(build(schema, doc, sub) for sub in raw[criterion])
            parts.append(Node("combined", raw, doc, criterion, criterion=criterion, subs=subs,
                              sub_paths=tuple(f"{criterion}/{i}" for i in range(len(subs)))))
            paths.append("")
    if "not" in raw:
        parts.append(Node("not", raw, doc, "not"))
        paths.append("")
    if not parts:
        return Node("empty", raw, doc, whole=True)
    if len(parts) == 1:
        parts[0].whole = True
        return parts[0]
    return Node("combined", raw, doc, "parts", whole=True, criterion="allOf", subs=tuple(parts),
                sub_paths=tuple(paths))


def _typed(raw: dict[str, Any], doc: Document) -> Node | None:
    kinds = raw.get("type")
    if isinstance(kinds, str):
        kinds = [kinds]
    if isinstance(kinds, list):
        names = list(dict.fromkeys(k for k in kinds if isinstance(k, str)))
        if "number" in names and "integer" in names:
            names.remove("integer")
        nodes = [_of_type(name, raw, doc) for name in names]
        if len(nodes) == 1:
            return nodes[0]
        return Node("combined", raw, doc, "type", criterion="anyOf", subs=tuple(nodes), sub_paths=("",) * len(nodes))
    inferred = [Node(kind, raw, doc, kind) for kind, words in _GROUPS if words & raw.keys()]
    if not inferred:
        return None
    if len(inferred) == 1:
        return inferred[0]
    return Node("combined", raw, doc, "inferred", criterion="allOf", subs=tuple(inferred),
                sub_paths=("",) * len(inferred))


def _of_type(name: str, raw: dict[str, Any], doc: Document) -> Node:
    if name == "integer":
        return Node("number", raw, doc, "integer", integer=True)
    return Node(name, raw, doc, name)

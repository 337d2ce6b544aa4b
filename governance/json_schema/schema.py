"""A parsed JSON Schema: its document, its draft, the documents its `$ref`s name, canonical text and fingerprint.

References follow Confluent: a reference's name is the URI a `$ref` uses ("address.json",
"https://example.com/address.json"), optionally with a `#/...` fragment; a relative name also
matches once resolved against the referring document's `$id`. Every `$ref` must resolve when
the schema is parsed, so later steps (compatibility, paths, validation) never meet a dangling one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import unquote, urljoin

from governance.json_schema import drafts
from governance.json_schema.errors import InvalidJsonSchemaError
from governance.json_schema.text import join_pointer, load, pointer_line, split_pointer

_ONE = ("additionalProperties", "additionalItems", "not", "contains", "propertyNames", "if", "then", "else",
        "unevaluatedProperties", "unevaluatedItems", "contentSchema")
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_MAP = ("properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "dependencies")


def subschemas(raw: Any) -> Iterator[tuple[tuple[str, ...], Any]]:
    """The schemas directly inside a schema, each with the pointer tokens leading to it."""
    if not isinstance(raw, dict):
        return
    for key in _ONE:
        if isinstance(raw.get(key), (dict, bool)):
            yield (key,), raw[key]
    items = raw.get("items")
    if isinstance(items, (dict, bool)):
        yield ("items",), items
    for key in (*_LIST, "items"):
        if isinstance(raw.get(key), list):
            for i, sub in enumerate(raw[key]):
                yield (key, str(i)), sub
    for key in _MAP:
        if isinstance(raw.get(key), dict):
            for name, sub in raw[key].items():
                if isinstance(sub, (dict, bool)):
                    yield (key, name), sub


@dataclass(frozen=True, eq=False)
class Document:
    """One schema document: the subject's own (`name` "") or a reference's (`name` its reference name)."""

    name: str
    root: Any
    draft: str
    text: str = field(repr=False, default="")

    @property
    def id(self) -> str:
        if not isinstance(self.root, dict):
            return ""
        value = self.root.get("id" if self.draft == drafts.DRAFT4 else "$id")
        return value if isinstance(value, str) else ""


@dataclass(frozen=True, eq=False)
class JsonSchema:
    """A valid JSON Schema. Two are the same schema when their canonical texts are equal."""

    main: Document
    references: Mapping[str, Document] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.main.text

    @property
    def document(self) -> Any:
        return self.main.root

    @property
    def draft(self) -> str:
        return self.main.draft

    @cached_property
    def canonical(self) -> str:
        """Sorted keys, no insignificant whitespace: what Confluent's normalization makes of a JSON Schema."""
        return canonical_json(self.main.root)

    @property
    def normalized(self) -> str:
        return self.canonical

    @cached_property
    def fingerprint(self) -> str:
        """Hex SHA-256 of the canonical text (the references are the registry's to pin, by subject and version)."""
        return hashlib.sha256(self.canonical.encode("utf-8")).hexdigest()

    def documents(self) -> Iterator[Document]:
        yield self.main
        yield from self.references.values()

    def resolve(self, doc: Document, ref: str) -> tuple[Document, Any, str]:
        """The document and schema a `$ref` in `doc` names, and its pointer there; KeyError when it names none."""
        uri, _, fragment = ref.partition("#")
        fragment = unquote(fragment)
        target = doc if uri == "" else self._document(doc, uri)
        if target is None:
            raise KeyError(f"no schema or reference is named {uri!r}")
        if fragment == "" or fragment.startswith("/"):
            node: Any = target.root
            for token in split_pointer("#" + fragment):
                if isinstance(node, dict) and token in node:
                    node = node[token]
                elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                    node = node[int(token)]
                else:
                    raise KeyError(f"{'#' + fragment!r} names nothing in {target.name or 'the schema'}")
            return target, node, "#" + fragment
        for tokens, node in _walk(target.root, ()):
            if isinstance(node, dict) and (node.get("$anchor") == fragment or node.get("$id") == "#" + fragment):
                return target, node, join_pointer(tokens)
        raise KeyError(f"anchor {fragment!r} is not defined in {target.name or 'the schema'}")

    def _document(self, doc: Document, uri: str) -> Document | None:
        wanted = {uri, urljoin(doc.id, uri)} if doc.id else {uri}
        for candidate in self.documents():
            names = {candidate.name, candidate.id} - {""}
            names |= {urljoin(base, candidate.name) for base in (doc.id, self.main.id) if base and candidate.name}
            if wanted & names:
                return candidate
        return None


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_schema(text: str, references: Mapping[str, str] | None = None) -> JsonSchema:
    """The JSON Schema in `text`; `references` maps each reference name (transitively) to its schema text.

    The draft is the one `$schema` names (draft 7 when absent). Raises InvalidJsonSchemaError
    with the line and column of the fault when the text is not JSON, is not a schema of its
    draft, or has a `$ref` that resolves to nothing.
    """
    return _parse(text, tuple(sorted((references or {}).items())))


@lru_cache(maxsize=256)
def _parse(text: str, references: tuple[tuple[str, str], ...]) -> JsonSchema:
    try:
        return _parse_documents(text, references)
    except RecursionError:
        raise InvalidJsonSchemaError("the schema nests too deeply to be read") from None


def _parse_documents(text: str, references: tuple[tuple[str, str], ...]) -> JsonSchema:
    docs = {name: _document(body, name) for name, body in references}
    schema = JsonSchema(_document(text, ""), docs)
    for doc in schema.documents():
        for tokens, node in _walk(doc.root, ()):
            ref = node.get("$ref") if isinstance(node, dict) else None
            if isinstance(ref, str):
                try:
                    schema.resolve(doc, ref)
                except KeyError as exc:
                    _fail(doc, f"$ref {ref!r} cannot be resolved: {exc.args[0]}", join_pointer((*tokens, "$ref")))
    return schema


def _document(text: str, name: str) -> Document:
    if not isinstance(text, str):
        raise InvalidJsonSchemaError(f"a schema is JSON text, not {type(text).__name__}", file=name)
    root = load(text, name)
    doc = Document(name, root, drafts.DEFAULT, text)
    try:
        draft = drafts.draft_of(root, name)
        drafts.check(root, draft, name)
    except InvalidJsonSchemaError as exc:
        _fail(doc, exc.reason, exc.pointer or "#")
    return Document(name, root, draft, text)


def _fail(doc: Document, reason: str, pointer: str) -> None:
    line = pointer_line(doc.text, pointer) if doc.text else None
    raise InvalidJsonSchemaError(reason, line=line, pointer=pointer, file=doc.name)


def _walk(raw: Any, tokens: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield tokens, raw
    for sub_tokens, sub in subschemas(raw):
        yield from _walk(sub, tokens + sub_tokens)

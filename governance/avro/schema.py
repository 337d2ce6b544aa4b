"""Parsing schema text into a ParsedSchema: validated, with its canonical forms."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from governance.avro import canonical as forms
from governance.avro import jsontext, normalize
from governance.avro.digest import assign_keys
from governance.errors import InvalidSchemaError
from governance.avro.model import Named, Node
from governance.avro.parser import Parser, UnknownTypeError


@dataclass(frozen=True)
class ParsedSchema:
    """A valid Avro schema. Two ParsedSchemas are equal when their canonical forms and fingerprints are.

    `canonical`: Avro Java's Schema.toString() (see governance.avro.canonical);
    it decides "same schema" and is what gets stored.
    `normalized`: what Confluent stores for `normalize=true` (governance.avro.normalize),
    worked out when first asked for; InvalidSchemaError if Confluent's normalizer would fail.
    `fingerprint`: hex SHA-256 of the Parsing Canonical Form (UTF-8), with
    referenced types written out, so it identifies the shape of the data.
    `raw` is the JSON value as given; parsed schemas are cached and shared, so
    treat it as read-only.
    """

    raw: object = field(compare=False)
    canonical: str
    fingerprint: str
    _tree: Node = field(repr=False, compare=False)
    _defined: frozenset[str] = field(repr=False, compare=False)
    _references: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)
    _normalized: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def normalized(self) -> str:
        if self._normalized is None:
            known = _referenced_types(self._references)
            again = Parser(known).parse_root(jsontext.load(normalize.intermediate(self._tree, known)))
            object.__setattr__(self, "_normalized", forms.canonical(again, known, sort_props=False))
        assert self._normalized is not None
        return self._normalized

    def names(self) -> set[str]:
        """Full names of the named types this schema defines (not those it takes from references)."""
        return set(self._defined)

    @property
    def root(self) -> Node:
        """The schema's type graph (governance.avro.model): named types are shared nodes."""
        return self._tree

    @property
    def parsing_canonical_form(self) -> str:
        return forms.parsing_canonical_form(self._tree)


def parse_schema(text: str, references: Mapping[str, str] | None = None) -> ParsedSchema:
    """Parse and validate Avro schema JSON text; InvalidSchemaError says what is wrong.

    `references` maps a reference name to the text of another schema whose
    named types this one may use (Confluent schema references). They may
    depend on each other in any order. Results are cached by text.
    """
    return _parse(text, tuple((references or {}).items()))


@lru_cache(maxsize=256)
def _parse(text: str, references: tuple[tuple[str, str], ...]) -> ParsedSchema:
    try:
        known = _referenced_types(references)
        raw = jsontext.load(text)
        parser = Parser(known)
        root = parser.parse_root(raw)
        assign_keys(root)
        pcf = forms.parsing_canonical_form(root)
        return ParsedSchema(
            raw=raw,
            canonical=forms.canonical(root, known),
            fingerprint=hashlib.sha256(pcf.encode()).hexdigest(),
            _tree=root,
            _defined=frozenset(parser.defined),
            _references=references,
        )
    except RecursionError:
        raise InvalidSchemaError("schema is nested too deeply to process") from None


def _referenced_types(references: tuple[tuple[str, str], ...]) -> dict[str, Named]:
    """All named types the references define, parsing each once the types it uses are known."""
    known: dict[str, Named] = {}
    pending = list(references)
    while pending:
        waiting: list[tuple[str, str]] = []
        first_error: UnknownTypeError | None = None
        for name, text in pending:
            if not isinstance(text, str):
                raise InvalidSchemaError(f'reference "{name}": schema must be JSON text, not {type(text).__name__}')
            parser = Parser(known)
            try:
                parser.parse_root(jsontext.load(text))
            except UnknownTypeError as e:
                waiting.append((name, text))
                first_error = first_error or _in_reference(name, e)
                continue
            except InvalidSchemaError as e:
                raise _in_reference(name, e) from None
            known.update((full, parser.known[full]) for full in parser.defined)
        if len(waiting) == len(pending):
            assert first_error is not None
            raise first_error
        pending = waiting
    return known


def _in_reference(name: str, error: InvalidSchemaError) -> InvalidSchemaError:
    # No position: it would be one in the reference's text, not in the schema that uses it.
    return type(error)(f'reference "{name}": {error.message}')

"""What every schema format answers: the seam between the capabilities and Avro, Protobuf and
JSON Schema.

A capability asks `format_for(schema_type)` for the format of a schema and calls only the
methods below; it never looks inside a parsed schema. Parsing raises
`governance.errors.InvalidSchemaError`; everything else is lenient where the callers are
(a text that does not parse has no columns, no description), and strict where the
registry and the gate are (compatibility of parsed schemas).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, TypeVar

from governance.errors import InvalidSchemaError

if TYPE_CHECKING:
    from governance.avro import Level

POLICIES = ("STRICT", "LENIENT")
"""Confluent's `compatibilityPolicy` values (JSON Schema's; STRICT is the default): a subject's config."""


class UnsupportedSchemaType(InvalidSchemaError):
    """A schema type (Confluent's `schemaType`) that no format here serves: as Confluent says
    (42201), a schema of that type is not a valid schema here."""

    def __init__(self, schema_type: object, supported: Sequence[str]) -> None:
        super().__init__(f"unsupported schema type {schema_type!r}: supported are {', '.join(supported)}")
        self.schema_type = schema_type


class ParsedSchema(Protocol):
    """A valid schema. Two are the same schema when their canonical texts are equal."""

    @property
    def canonical(self) -> str:
        """The text that is stored and decides "same schema"."""

    @property
    def normalized(self) -> str:
        """What Confluent stores for `normalize=true`; InvalidSchemaError when it cannot be made."""

    @property
    def fingerprint(self) -> str:
        """Hex SHA-256 identifying the shape of the data."""


class Finding(Protocol):
    """One reason a new schema cannot follow an old one at a level."""

    @property
    def type(self) -> str:
        """Confluent's errorType (`READER_FIELD_MISSING_DEFAULT_VALUE`, ...)."""

    @property
    def location(self) -> str:
        """Where in the reader's schema, as Confluent's `path` (a JSON pointer for Avro)."""

    @property
    def field_path(self) -> str:
        """The dotted field path (`address.zip`); "" for the whole schema."""

    @property
    def version(self) -> int | None: ...

    @property
    def direction(self) -> str:
        """BACKWARD or FORWARD."""

    @property
    def message(self) -> str:
        """A plain sentence: the field, what changed, the consequence."""

    @property
    def additional_info(self) -> str: ...

    def confluent_message(self) -> str:
        """Confluent's `{errorType:'...', description:'...', additionalInfo:'...'}` entry."""


class Locator(Protocol):
    """One schema file's text, asked where things are in it (1-based lines and columns)."""

    def field_line(self, field_path: str) -> int:
        """The line defining the deepest existing field of `field_path` (1 if none)."""

    def error_position(self, error: InvalidSchemaError) -> tuple[int, int]:
        """Line and column of what an InvalidSchemaError without a line, from parsing this text, is about."""

    def finding_path(self, finding_type: str, location: str, info: str, schema: ParsedSchema | None) -> str:
        """The dotted field path a registry finding (its errorType, path and additionalInfo) names, in
        this text or in `schema` (this text parsed with its references); "" when it names none."""


@dataclass
class FieldPaths:
    """The column paths records of some schemas can have (what a sentinel rule may name)."""

    paths: set[str] = field(default_factory=set)
    """Every field path, nested records included."""
    values: set[str] = field(default_factory=set)
    """Paths that hold a value in some schema (a nested record is flattened away; a
    nullable one is a column when it is null)."""
    open_prefixes: set[str] = field(default_factory=set)
    """`path.` prefixes of maps: any key may follow."""

    def knows(self, column: str) -> bool:
        return column in self.values or any(column.startswith(p) for p in self.open_prefixes)

    def merge(self, other: FieldPaths) -> None:
        self.paths |= other.paths
        self.values |= other.values
        self.open_prefixes |= other.open_prefixes


@dataclass(frozen=True)
class Description:
    """What a schema says about itself, for the console and the lineage model."""

    doc: str | None
    """The schema's own documentation."""
    leaf_fields: tuple[str, ...]
    """Dotted paths of the fields that hold values (nested records walked), in order."""
    tags: Mapping[str, tuple[str, ...]]
    """Dotted field path -> the field's tags (`"tags": ["PII"]` in Avro)."""
    pretty: str
    """The schema laid out for people to read."""
    types: Mapping[str, str] = field(default_factory=dict)
    """Leaf field path -> its type as the format writes it (`repeated string`); empty where not given."""
    numbers: Mapping[str, str] = field(default_factory=dict)
    """Leaf field path -> the field numbers along it (Protobuf: `2.1` for `to.zip`); empty where fields have none."""
    required: frozenset[str] | None = None
    """Field paths whose object requires them (JSON Schema's `required`); None where the format has no such word."""


Fetch = Callable[[str, str], Mapping[str, Any]]
"""(subject, version) -> the registry's answer for that version (`schema`, `references`)."""


def fetched_texts(references: Sequence[Mapping[str, Any]], fetch: Fetch) -> dict[str, str]:
    """Reference name -> schema text, through references of references (for `datahub_document`)."""
    out: dict[str, str] = {}
    pending = list(references)
    while pending:
        ref = pending.pop()
        name = str(ref.get("name"))
        if name in out:
            continue
        answer = fetch(str(ref.get("subject")), str(ref.get("version", "latest")))
        out[name] = answer["schema"]
        pending += answer.get("references") or []
    return out


S = TypeVar("S")


def parsed_or_none(parse: Callable[[str, Mapping[str, str] | None], S], text: str,
                   references: Mapping[str, str] | None) -> S | None:
    """`parse(text, references)`, or None where the text does not parse: what the lenient methods start from."""
    try:
        return parse(text, references)
    except InvalidSchemaError:
        return None


class SchemaFormat(Protocol):
    schema_type: str
    """Confluent's name: AVRO, PROTOBUF or JSON."""
    label: str
    """The name people read in messages: "Avro"."""
    suffixes: tuple[str, ...]
    """The file suffixes of this format's schemas in schemas/, the first the usual one."""

    def parse(self, text: str, references: Mapping[str, str] | None = None) -> ParsedSchema:
        """A valid schema; `references` maps a reference name to the text it names."""

    def compatibility(self, new: ParsedSchema, previous: Sequence[tuple[int, ParsedSchema]],
                      level: Level, policy: str | None = None) -> list[Finding]:
        """Why `new` cannot follow the live versions `previous` (oldest first) at `level`; [] if it can.
        `policy` is a subject's `compatibilityPolicy` (JSON Schema's STRICT or LENIENT; None the default),
        which the other formats do not have and ignore."""

    def locator(self, text: str) -> Locator: ...

    def imports(self, text: str) -> tuple[str, ...]:
        """The files the text imports by name (Protobuf's `import "customer.proto";`), read without parsing,
        the well-known types left out; () for a format whose references are only declared (Avro)."""

    def formatted(self, schema: ParsedSchema, fmt: str) -> str | None:
        """The schema in one of Confluent's `?format=` forms (`serialized`: Protobuf's base64 descriptor);
        None when the format has no such form (the stored text is answered)."""

    def diff(self, old_text: str, new_text: str, references: Mapping[str, str] | None = None) -> list[str]:
        """What changed, field by field, one line each (`+ field a: int (no default)`)."""

    def describe(self, text: str, references: Mapping[str, str] | None = None) -> Description:
        """Never raises: a text that does not parse describes nothing."""

    def columns(self, text: str, references: Mapping[str, str] | None = None) -> FieldPaths:
        """The column paths of records written with the schema; lenient, for checking rules."""

    def decoder(self, text: str, references: Mapping[str, str] | None = None) -> Callable[[BinaryIO], Any]:
        """A reader of one value body (after Confluent's magic byte and id) written with the schema.
        Raises on a schema it cannot use; the reader raises EOFError on a truncated body (Avro),
        ProtobufDecodeError (a ValueError naming its stage) on a body that is not a message of the file, or
        JsonBodyError / JsonSchemaViolation (ValueErrors naming theirs) on one that is not JSON or that the
        JSON Schema refuses."""

    def datahub_document(self, text: str, references: Sequence[Mapping[str, Any]], fetch: Fetch) -> str:
        """The text DataHub reads for the schema, its registry references made part of it."""

    def datahub_fields(self, text: str, references: Mapping[str, str] | None = None) -> list[Any]:
        """DataHub's SchemaField list for the schema (acryl-datahub is imported here, not before)."""

    def datahub_columns(self, text: str, fields: Sequence[Any], references: Mapping[str, str] | None = None
                        ) -> dict[str, str]:
        """Column path as rules and `describe` name it (`shippingAddress.zip`) -> the v2 field path of
        the DataHub field among `fields` (`datahub_fields(text)`) that holds it."""

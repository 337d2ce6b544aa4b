"""What a Protobuf schema says about itself (its first message's fields with their types, the `.proto`
text), what changed between two versions, and what DataHub reads for it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from governance.errors import InvalidSchemaError
from governance.formats.base import Description, Fetch, fetched_texts
from governance.formats.protobuf import fields

if TYPE_CHECKING:
    from governance.protobuf.schema import ProtoSchema


def describe(schema: ProtoSchema | None, text: str) -> Description:
    """`schema` None (a text that does not parse) describes nothing but the text."""
    if schema is None or not schema.file.message_type:
        return Description(None, (), {}, text)
    from governance.protobuf import find_message

    walked = list(fields.walk(find_message(schema)))
    types = {path: fields.type_name(f) for path, f, leaf in walked if leaf}
    return Description(None, tuple(types), {}, schema.canonical, types)


def diff(old: ProtoSchema, new: ProtoSchema) -> list[str]:
    """One line per difference Confluent's SchemaDiff finds, `+` added, `-` removed, `~` changed:
    `+ field `amount` (number 3) of message `shop.Order` was added`."""
    from governance.protobuf import compare

    lines = []
    for d in compare(old, new):
        sign = "+" if d.type.endswith("_ADDED") else "-" if d.type.endswith("_REMOVED") else "~"
        lines.append(f"{sign} {d.describe()}")
    return lines


def datahub_fields(schema: ProtoSchema) -> list[Any]:
    """DataHub's own reading of the file (protobuf_util, which compiles it with its imports)."""
    from datahub.ingestion.extractor.protobuf_util import ProtobufSchema, protobuf_schema_to_mce_fields

    sources = schema.sources()
    main = ProtobufSchema(schema.name, sources.pop(schema.name))
    return list(protobuf_schema_to_mce_fields(main, [ProtobufSchema(n, t) for n, t in sources.items()]))


def datahub_document(text: str, references: Sequence[Mapping[str, Any]], fetch: Fetch,
                     parse: Callable[[str, Mapping[str, str]], ProtoSchema]) -> str:
    """The `.proto` text (DataHub's KafkaSchema holds the file itself; imported files stay files): a
    schema stored as a base64 descriptor is printed, its references fetched to resolve it."""
    from governance.protobuf import is_descriptor_text

    if not is_descriptor_text(text):
        return text
    try:
        return parse(text, fetched_texts(references, fetch)).canonical
    except InvalidSchemaError:
        return text

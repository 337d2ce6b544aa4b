"""What a Protobuf schema says about itself (its first message's fields with their types, the `.proto`
text), what changed between two versions, and what DataHub reads for it."""

from __future__ import annotations

import re
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
    numbers: dict[str, str] = {}
    for path, f, _ in walked:
        parent = numbers.get(path.rpartition(".")[0]) if "." in path else None
        numbers[path] = f"{parent}.{f.number}" if parent else str(f.number)
    return Description(None, tuple(types), {}, schema.canonical, types, {p: numbers[p] for p in types})


def diff(old: ProtoSchema, new: ProtoSchema) -> list[str]:
    """One line per difference Confluent's SchemaDiff finds, `+` added, `-` removed, `~` changed:
    `+ field `amount` (number 3) of message `shop.Order` was added`; then each type change SchemaDiff
    does not record (within a wire-compatible group: `int32` to `int64`), which a reader wants to see too."""
    from governance.protobuf import compare

    lines, told = [], set()
    for d in compare(old, new):
        sign = "+" if d.type.endswith("_ADDED") else "-" if d.type.endswith("_REMOVED") else "~"
        lines.append(f"{sign} {d.describe()}")
        told.add((d.message, d.number))
    before = _typed_fields(old.descriptor.message_types_by_name.values())
    for key, (name, now) in _typed_fields(new.descriptor.message_types_by_name.values()).items():
        if key in before and before[key][1] != now and key not in told:
            lines.append(f"~ field `{name}` (number {key[1]}) of message `{key[0]}` changed type from "
                         f"{before[key][1]} to {now} (wire-compatible)")
    return lines


def _typed_fields(messages: Any) -> dict[tuple[str, int], tuple[str, str]]:
    """(message full name, field number) -> (field name, type as `.proto` writes it), nested messages too."""
    out: dict[tuple[str, int], tuple[str, str]] = {}
    pending = list(messages)
    while pending:
        message = pending.pop()
        if message.GetOptions().map_entry:
            continue
        out.update({(message.full_name, f.number): (f.name, fields.type_name(f)) for f in message.fields})
        pending += message.nested_types
    return out


def datahub_fields(schema: ProtoSchema) -> list[Any]:
    """DataHub's own fields for the file: protobuf_util's graph of it and its fields from that graph (v2
    paths, types, nullability), as `protobuf_schema_to_mce_fields` makes them, but on our descriptor.

    That public function compiles the text with protoc into the process's one descriptor pool and
    imports it as a module named after the file: a second subject defining the same message (the
    next version, another topic sharing it) gets no fields, and a file name met before gets the
    first file's fields. A recursive message gets none, as in DataHub (its walk needs a DAG).
    """
    import networkx
    from datahub.ingestion.extractor.protobuf_util import _populate_graph, _schema_fields_from_dag

    graph = _populate_graph(schema.descriptor)
    if not networkx.is_directed_acyclic_graph(graph):
        return []
    return list(_schema_fields_from_dag(graph, False))


_V2_TOKEN = re.compile(r"\[[^\]]*\]|[^.\[\]]+")


def datahub_columns(schema: ProtoSchema, mce_fields: Sequence[Any]) -> dict[str, str]:
    """Column (`to.zip`, `card`) -> v2 path of DataHub's field for it, in the file's first message.

    DataHub names a oneof (`[type=union].payment`, proto3 `optional` as `_n`) where the decoded record
    and the rules have none, and puts the message's name first when the file has several messages:
    both are left out of the column."""
    from governance.protobuf import find_message

    if not schema.file.message_type:
        return {}
    first = find_message(schema)
    root = f"[type={first.full_name.replace('.', '_')}]"
    out: dict[str, str] = {}
    for f in mce_fields:
        tokens = _V2_TOKEN.findall(f.fieldPath)
        if tokens[1:2] != [root]:
            continue
        rest = tokens[2:]
        if rest[:1] == [first.name]:
            rest = rest[1:]
        names: list[str] = []
        after_union = False
        for token in rest:
            if token.startswith("["):
                after_union = token == "[type=union]"
            elif after_union:
                after_union = False
            else:
                names.append(token)
        if names:
            out.setdefault(".".join(names), f.fieldPath)
    return out


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

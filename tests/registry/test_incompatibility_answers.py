"""A refused schema, as Confluent's own Python client receives it: Confluent's entries exactly, our sentences beside them.

Confluent Schema Registry 7.6+/8.x answers with `{errorType:...}` entries for the newest
failing version, then `{oldSchemaVersion: N}` and `{oldSchema: '...'}` (not after FULL's
forward half), then `{validateFields: 'false', compatibility: 'LEVEL'}`; the 409 on
registration carries the same list. Our sentences come first, one per errorType entry.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError


def record(*fields: dict[str, Any]) -> Schema:
    return Schema(json.dumps({"type": "record", "name": "V", "namespace": "com.example", "fields": list(fields)}), "AVRO")


def canonical(*fields: str) -> str:
    return '{"type":"record","name":"V","namespace":"com.example","fields":[' + ",".join(fields) + "]}"


ID, ID_TEXT = {"name": "id", "type": "string"}, '{"name":"id","type":"string"}'
EMAIL = {"name": "email", "type": "string"}
N_INT, N_INT_TEXT = {"name": "n", "type": "int"}, '{"name":"n","type":"int"}'
N_STRING = {"name": "n", "type": "string"}
X_TEXT = '{"name":"x","type":"int","default":0}'


def missing_default(field: str, path: str, reader: str, writer: str) -> str:
    return (f"{{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field '{field}' at path '{path}' in the "
            f"{reader} schema has no default value and is missing in the {writer} schema', additionalInfo:'{field}'}}")


def type_mismatch(path: str, reader: str, writer: str, reader_type: str, writer_type: str) -> str:
    return (f"{{errorType:'TYPE_MISMATCH', description:'The type (path '{path}') of a field in the {reader} schema does "
            f"not match with the {writer} schema', additionalInfo:'reader type: {reader_type} not compatible with writer "
            f"type: {writer_type}'}}")


CASES = {
    "backward-added-without-default": (
        "BACKWARD", [[ID]], [ID, EMAIL],
        ["field `email` was added without a default, so records written with version 1 cannot be read by the new schema",
         missing_default("email", "/fields/1", "new", "old"),
         "{oldSchemaVersion: 1}", f"{{oldSchema: '{canonical(ID_TEXT)}'}}",
         "{validateFields: 'false', compatibility: 'BACKWARD'}"]),
    "forward-removed": (
        "FORWARD", [[ID, EMAIL]], [ID],
        ["field `email` was removed, and version 1 has no default for it, so records written with the new schema "
         "cannot be read by consumers using version 1",
         missing_default("email", "/fields/1", "old", "new"),
         "{oldSchemaVersion: 1}", f"{{oldSchema: '{canonical(ID_TEXT, json.dumps(EMAIL, separators=(',', ':')))}'}}",
         "{validateFields: 'false', compatibility: 'FORWARD'}"]),
    # FULL: the forward findings first; the version and schema only after the backward ones.
    "full-both-directions": (
        "FULL", [[ID, N_INT]], [ID, N_STRING],
        ["field `n` changed type from int to string, so records written with the new schema cannot be read by "
         "consumers using version 1",
         "field `n` changed type from int to string, so records written with version 1 cannot be read by the new schema",
         type_mismatch("/fields/1/type", "old", "new", "INT", "STRING"),
         type_mismatch("/fields/1/type", "new", "old", "STRING", "INT"),
         "{oldSchemaVersion: 1}", f"{{oldSchema: '{canonical(ID_TEXT, N_INT_TEXT)}'}}",
         "{validateFields: 'false', compatibility: 'FULL'}"]),
    "full-forward-only-names-no-version": (
        "FULL", [[ID, EMAIL]], [ID],
        ["field `email` was removed, and version 1 has no default for it, so records written with the new schema "
         "cannot be read by consumers using version 1",
         missing_default("email", "/fields/1", "old", "new"),
         "{validateFields: 'false', compatibility: 'FULL'}"]),
    # Transitive: Confluent stops at the newest version that fails (v2 here), and so do we.
    "backward-transitive-newest-failing-version": (
        "BACKWARD_TRANSITIVE", [[ID, N_INT], [ID, N_INT, {"name": "x", "type": "int", "default": 0}]], [ID, N_STRING],
        ["field `n` changed type from int to string, so records written with version 2 cannot be read by the new schema",
         type_mismatch("/fields/1/type", "new", "old", "STRING", "INT"),
         "{oldSchemaVersion: 2}",
         f"{{oldSchema: '{canonical(ID_TEXT, N_INT_TEXT, X_TEXT)}'}}",
         "{validateFields: 'false', compatibility: 'BACKWARD_TRANSITIVE'}"]),
}


@pytest.mark.parametrize("case", CASES)
def test_verbose_messages_and_409_are_confluents_entries_with_our_sentences(
    registry_url: str, unique_name: str, case: str
) -> None:
    level, history, new, expected = CASES[case]
    client = SchemaRegistryClient({"url": registry_url})
    subject = f"{unique_name}-value"
    client.set_compatibility(subject, "NONE")
    for fields in history:
        client.register_schema(subject, record(*fields))
    client.set_compatibility(subject, level)

    answer = client._rest_client.post(f"compatibility/subjects/{subject}/versions?verbose=true", record(*new).to_dict())
    assert answer == {"is_compatible": False, "messages": expected}
    latest = client._rest_client.post(f"compatibility/subjects/{subject}/versions/latest?verbose=true",
                                      record(*new).to_dict())
    assert latest["is_compatible"] is False and latest["messages"][-1] == expected[-1]

    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(subject, record(*new))
    assert (refused.value.http_status_code, refused.value.error_code) == (409, 409)
    assert refused.value.error_message == (
        f"Schema being registered is incompatible with an earlier schema for subject \"{subject}\", "
        f"details: [{', '.join(expected)}]"
    )


def test_a_compatible_schema_has_no_messages(registry_url: str, unique_name: str) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    subject = f"{unique_name}-value"
    client.register_schema(subject, record(ID))
    answer = client._rest_client.post(f"compatibility/subjects/{subject}/versions/latest?verbose=true",
                                      record(ID, {**EMAIL, "default": ""}).to_dict())
    assert answer == {"is_compatible": True, "messages": []}


def test_an_old_schema_over_10_kib_is_cut_as_confluent_cuts_it() -> None:
    from governance.avro import Level, check_compatibility, parse_schema
    from governance.registry.answers import OLD_SCHEMA_LOG_LIMIT, incompatibility_messages

    fields = [{"name": f"f{i}", "type": "string", "doc": "x" * 40} for i in range(300)]
    old = parse_schema(json.dumps({"type": "record", "name": "Big", "fields": fields}))
    new = parse_schema(json.dumps({"type": "record", "name": "Big", "fields": [*fields, EMAIL]}))
    findings = check_compatibility(new, [(5, old)], Level.BACKWARD)
    messages = incompatibility_messages(findings, {5: old.canonical}, "BACKWARD")
    assert len(old.canonical) > OLD_SCHEMA_LOG_LIMIT
    assert messages[-2] == f"{{oldSchema: <truncated> '{old.canonical[:OLD_SCHEMA_LOG_LIMIT]}...'}}"
    assert messages[-3] == "{oldSchemaVersion: 5}"

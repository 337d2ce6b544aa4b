"""`schemaType: JSON` through the REST API: one schema laid out two ways is one id, references through `$ref`
by reference name, a malformed schema's line and reason, Confluent's verbose messages with our sentence
naming the JSON path, a change the checker cannot judge refused with its keyword named, the seven levels,
`compatibilityPolicy` as a subject's config, and Confluent's verdicts per rule family under both policies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from json_schema.cases import CASES
from registry_helpers import http

from governance.registry import records
from governance.registry.state import RegistryState

ADDRESS = {"type": "object", "properties": {"zip": {"type": "string", "maxLength": 10}}}
ORDER = '''{
  "type": "object",
  "properties": {
    "id": {"type": "string"},
    "amount": {"type": "integer"},
    "to": {"$ref": "address.json"}
  },
  "required": ["id"]
}
'''
SIMPLE = {"type": "object", "properties": {"id": {"type": "string"}, "amount": {"type": "integer"}}}


def js(schema: Any, references: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    text = schema if isinstance(schema, str) else json.dumps(schema)
    return {"schema": text, "schemaType": "JSON", **({"references": references} if references else {})}


def register(url: str, subject: str, schema: Any, references: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    status, body = http("POST", f"{url}/subjects/{subject}/versions", js(schema, references))
    assert status == 200, body
    return body


def verbose_check(url: str, subject: str, schema: Any, version: str = "latest") -> dict[str, Any]:
    status, body = http("POST", f"{url}/compatibility/subjects/{subject}/versions/{version}?verbose=true", js(schema))
    assert status == 200, body
    return body


@pytest.fixture
def subject(unique_name: str) -> str:
    return unique_name + "-value"


def test_schema_types_lists_avro_protobuf_and_json(registry_url: str) -> None:
    assert http("GET", f"{registry_url}/schemas/types") == (200, ["AVRO", "PROTOBUF", "JSON"])


def test_one_schema_laid_out_two_ways_is_one_id_stored_canonical_and_found_by_lookup(
        registry_url: str, subject: str) -> None:
    pretty = json.dumps(SIMPLE, indent=4)
    schema_id = register(registry_url, subject, pretty)["id"]
    compact = json.dumps(dict(reversed(list(SIMPLE.items()))), separators=(",", ":"))
    assert register(registry_url, subject, compact)["id"] == schema_id
    assert http("GET", f"{registry_url}/subjects/{subject}/versions")[1] == [1]
    stored = http("GET", f"{registry_url}/schemas/ids/{schema_id}")[1]
    assert stored == {"schemaType": "JSON", "schema": json.dumps(SIMPLE, sort_keys=True, separators=(",", ":"))}
    assert http("GET", f"{registry_url}/schemas/ids/{schema_id}/schema")[1] == SIMPLE
    assert http("GET", f"{registry_url}/subjects/{subject}/versions/1/schema")[1] == SIMPLE
    status, found = http("POST", f"{registry_url}/subjects/{subject}", js(compact))
    assert status == 200 and (found["id"], found["version"], found["schemaType"]) == (schema_id, 1, "JSON")
    status, missing = http("POST", f"{registry_url}/subjects/{subject}", js({**SIMPLE, "required": ["id"]}))
    assert (status, missing["error_code"]) == (404, 40403)


def test_a_ref_names_another_subjects_schema_by_its_reference_name(registry_url: str, subject: str) -> None:
    address_subject = subject.replace("-value", "-address")
    register(registry_url, address_subject, ADDRESS)
    reference = [{"name": "address.json", "subject": address_subject, "version": 1}]
    registered = register(registry_url, subject, ORDER, reference)
    latest = http("GET", f"{registry_url}/subjects/{subject}/versions/latest")[1]
    assert latest["references"] == reference and json.loads(latest["schema"]) == json.loads(ORDER)
    assert http("GET", f"{registry_url}/subjects/{address_subject}/versions/1/referencedby")[1] == [registered["id"]]
    status, found = http("POST", f"{registry_url}/subjects/{subject}", js(ORDER, reference))
    assert status == 200 and found["id"] == registered["id"]

    status, refused = http("POST", f"{registry_url}/subjects/{subject}-2/versions", js(ORDER))
    assert (status, refused["error_code"]) == (422, 42201)
    assert refused["message"] == ("Invalid schema: the schema line 6: $ref 'address.json' cannot be resolved: "
                                  "no schema or reference is named 'address.json'.")


def test_a_malformed_schema_is_42201_with_its_line_and_reason(registry_url: str, subject: str) -> None:
    cases = [
        (ORDER.replace('"id": {', '"id" {'), "Invalid schema: the schema line 4 column 10: the text is not JSON: "
                                             "Expecting ':' delimiter."),
        (ORDER.replace('"type": "integer"', '"type": "int"'), "Invalid schema: the schema line 5: not a valid draft-07 "
                                                              "schema at #/properties/amount/type: "),
        (ORDER.replace("{\n", '{\n  "$schema": "http://example.com/schema",\n', 1),
         "Invalid schema: the schema line 2: $schema 'http://example.com/schema' names no JSON Schema draft served "
         "here: "),
    ]
    for text, message in cases:
        status, body = http("POST", f"{registry_url}/subjects/{subject}/versions", js(text))
        assert (status, body["error_code"]) == (422, 42201)
        assert body["message"].startswith(message), body["message"]


def test_the_draft_is_the_one_schema_names(registry_url: str, subject: str) -> None:
    d2020 = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "array", "prefixItems": [{"type": "string"}]}
    register(registry_url, subject, d2020)
    d4 = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "number", "maximum": 3, "exclusiveMaximum": True}
    register(registry_url, subject + "-4", d4)
    status, body = http("POST", f"{registry_url}/subjects/{subject}-4b/versions",
                        js({**d4, "exclusiveMaximum": 3}))
    assert (status, body["error_code"]) == (422, 42201), "draft 4's exclusiveMaximum is a boolean"


def test_an_incompatible_schema_has_confluents_entries_after_our_sentence_naming_the_json_path(
        registry_url: str, subject: str) -> None:
    register(registry_url, subject, SIMPLE)
    changed = {**SIMPLE, "properties": {**SIMPLE["properties"], "amount": {"type": "string"}}}
    body = verbose_check(registry_url, subject, changed)
    assert body["is_compatible"] is False
    old = json.dumps(SIMPLE, sort_keys=True, separators=(",", ":"))
    assert body["messages"] == [
        "at property `amount` (#/properties/amount): the new schema expects a string where version 1 allows an "
        "integer, so records written with version 1 may be refused by consumers using the new schema",
        "{errorType:\"TYPE_CHANGED\", description:\"A type at path '#/properties/amount' is different between the "
        "new schema and the old schema\"}",
        "{oldSchemaVersion: 1}", f"{{oldSchema: '{old}'}}", "{validateFields: 'false', compatibility: 'BACKWARD'}"]
    status, refused = http("POST", f"{registry_url}/subjects/{subject}/versions", js(changed))
    assert (status, refused["error_code"]) == (409, 409)
    assert refused["message"].startswith(f'Schema being registered is incompatible with an earlier schema for subject '
                                         f'"{subject}", details: [at property `amount` (#/properties/amount): ')


@pytest.mark.parametrize("policy", ["STRICT", "LENIENT"])
def test_a_change_the_checker_cannot_judge_is_refused_naming_the_keyword(
        registry_url: str, subject: str, policy: str) -> None:
    old = {"type": "object", "properties": {"tags": {"type": "array", "contains": {"type": "integer"}}}}
    new = {"type": "object", "properties": {"tags": {"type": "array", "contains": {"type": "string"}}}}
    register(registry_url, subject, old)
    assert http("PUT", f"{registry_url}/config/{subject}", {"compatibilityPolicy": policy})[0] == 200
    body = verbose_check(registry_url, subject, new)
    assert body["is_compatible"] is False
    assert body["messages"][0].startswith("at property `tags` (#/properties/tags/contains): `contains` changed, and "
                                          "this checker does not compare `contains`: it cannot tell whether ")
    assert body["messages"][1] == ("{errorType:\"KEYWORD_NOT_COMPARED\", description:\"The keyword 'contains' at path "
                                   "'#/properties/tags/contains' changed and is not compared\"}")
    status, refused = http("POST", f"{registry_url}/subjects/{subject}/versions", js(new))
    assert (status, refused["error_code"]) == (409, 409) and "`contains`" in refused["message"]


@pytest.mark.parametrize("level, compatible", [
    ("BACKWARD", True), ("BACKWARD_TRANSITIVE", False), ("FORWARD", True), ("FORWARD_TRANSITIVE", False),
    ("FULL", True), ("FULL_TRANSITIVE", False), ("NONE", True),
])
def test_each_of_the_seven_levels_checks_the_versions_it_names(registry_url: str, subject: str, level: str,
                                                               compatible: bool) -> None:
    """v1 requires the pattern ^a, v2 ^b; the candidate is v2 retitled: only the transitive levels see v1."""
    assert http("PUT", f"{registry_url}/config/{subject}", {"compatibility": "NONE"})[0] == 200
    for pattern in ("^a", "^b"):
        register(registry_url, subject, {"type": "string", "pattern": pattern})
    assert http("PUT", f"{registry_url}/config/{subject}", {"compatibility": level})[0] == 200
    status, body = http("POST", f"{registry_url}/compatibility/subjects/{subject}/versions?verbose=true",
                        js({"type": "string", "pattern": "^b", "title": "B"}))
    assert status == 200 and body["is_compatible"] is compatible, body
    if not compatible:
        assert any(m.startswith('{errorType:"PATTERN_CHANGED"') for m in body["messages"])
        assert "{oldSchemaVersion: 1}" in body["messages"]
        assert body["messages"][-1] == f"{{validateFields: 'false', compatibility: '{level}'}}"


# -- compatibilityPolicy: a subject's config ------------------------------------------------------


def test_the_policy_is_a_subjects_config_kept_beside_its_level(registry_url: str, subject: str) -> None:
    url = f"{registry_url}/config/{subject}"
    register(registry_url, subject, SIMPLE)
    added = {**SIMPLE, "properties": {**SIMPLE["properties"], "note": {"type": "string"}}}
    body = verbose_check(registry_url, subject, added)
    assert body["is_compatible"] is False, "Confluent's default (STRICT): an optional property added to an open model"
    assert '{errorType:"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"' in body["messages"][1]

    assert http("PUT", url, {"compatibilityPolicy": "lenient"}) == (200, {"compatibilityPolicy": "LENIENT"})
    assert http("GET", url) == (200, {"compatibilityPolicy": "LENIENT"})
    assert http("GET", url + "?defaultToGlobal=true")[1] == {
        "compatibilityLevel": http("GET", f"{registry_url}/config")[1]["compatibilityLevel"],
        "compatibilityPolicy": "LENIENT"}
    assert verbose_check(registry_url, subject, added) == {"is_compatible": True, "messages": []}
    assert register(registry_url, subject, added)["id"] > 0

    assert http("PUT", url, {"compatibility": "FULL"}) == (200, {"compatibility": "FULL"})
    assert http("GET", url) == (200, {"compatibilityLevel": "FULL", "compatibilityPolicy": "LENIENT"}), "the policy kept"
    status, wrong = http("PUT", url, {"compatibilityPolicy": "RELAXED"})
    assert (status, wrong["error_code"]) == (422, 42203) and "STRICT, LENIENT" in wrong["message"]
    status, empty = http("PUT", url, {})
    assert (status, empty["error_code"]) == (422, 42203)

    assert http("DELETE", url) == (200, {"compatibilityLevel": "FULL", "compatibilityPolicy": "LENIENT"})
    assert http("GET", url)[1]["error_code"] == 40408
    assert verbose_check(registry_url, subject, {**added, "properties": {**added["properties"], "more": {}}}
                         )["is_compatible"] is True, "an empty schema added to an open model is compatible in both"


def test_the_policy_is_stored_in_the_schemas_topic_as_a_config_field() -> None:
    value = records.config_value("FULL", "LENIENT")
    assert value == b'{"compatibilityLevel":"FULL","compatibilityPolicy":"LENIENT"}'
    assert records.config_value("NONE") == b'{"compatibilityLevel":"NONE"}'
    state = RegistryState()
    state.apply(0, records.config_key("s"), value)
    assert (state.config, state.policy) == ({"s": "FULL"}, {"s": "LENIENT"})
    state.apply(1, records.config_key("s"), records.config_value(None, "STRICT"))
    assert (state.config, state.policy) == ({}, {"s": "STRICT"})
    state.apply(2, records.config_key("s"), None)
    assert (state.config, state.policy) == ({}, {})


# -- Confluent's verdicts per rule family, both policies, through the API --------------------------

FAMILIES = list(dict.fromkeys(c.family for c in CASES))


@pytest.mark.parametrize("family", FAMILIES)
def test_confluents_verdicts_per_rule_family_under_both_policies(registry_url: str, unique_name: str,
                                                                 family: str) -> None:
    """Each case of tests/json_schema/cases.py: its old schema registered, its new one checked at BACKWARD and
    FORWARD under STRICT and LENIENT; "BF/bf" as the table writes it, and the refusal names the table's type."""
    wrong = []
    for i, case in enumerate(c for c in CASES if c.family == family):
        subject = f"{unique_name}-{i}"
        register(registry_url, subject, case.old)
        got, refusals = "", []
        for policy in ("STRICT", "LENIENT"):
            for level in ("BACKWARD", "FORWARD"):
                assert http("PUT", f"{registry_url}/config/{subject}",
                            {"compatibility": level, "compatibilityPolicy": policy})[0] == 200
                body = verbose_check(registry_url, subject, case.new)
                got += "y" if body["is_compatible"] else "n"
                refusals += [m for m in body.get("messages", []) if m.startswith("{errorType:")]
            got += "/" if policy == "STRICT" else ""
        if got != case.verdicts:
            wrong.append((case.name, case.verdicts, got))
        if case.breaks and not any(f'errorType:"{case.breaks}"' in m for m in refusals):
            wrong.append((case.name, case.breaks, refusals))
    assert wrong == []

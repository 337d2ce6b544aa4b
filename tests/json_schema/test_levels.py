"""The seven levels, transitivity, the policies, what a finding says, and refusing to judge."""

from __future__ import annotations

import json
from typing import Any

import pytest

from governance.avro.levels import Level
from governance.json_schema import KEYWORD_NOT_COMPARED, LENIENT, check_compatibility, parse_schema, policy_of


def js(value: Any) -> Any:
    return parse_schema(json.dumps(value))


CLOSED_A = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
CLOSED_AB = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
             "additionalProperties": False}


@pytest.mark.parametrize(("level", "refused"), [
    ("BACKWARD", False), ("BACKWARD_TRANSITIVE", False), ("FORWARD", True), ("FORWARD_TRANSITIVE", True),
    ("FULL", True), ("FULL_TRANSITIVE", True), ("NONE", False),
])
def test_each_level_checks_its_directions(level: str, refused: bool) -> None:
    findings = check_compatibility(js(CLOSED_AB), [(1, js(CLOSED_A))], level)
    assert bool(findings) is refused
    assert all(f.direction == "forward" for f in findings)


def test_transitive_levels_check_every_version_newest_first() -> None:
    v1 = {"type": "string", "maxLength": 10}
    v2 = {"type": "string", "maxLength": 20}
    new = {"type": "string", "maxLength": 15}
    previous = [(1, js(v1)), (2, js(v2))]
    assert [f.version for f in check_compatibility(js(new), previous, "FORWARD")] == []
    assert [f.version for f in check_compatibility(js(new), previous, "BACKWARD")] == [2]
    assert [f.version for f in check_compatibility(js(new), previous, Level.BACKWARD_TRANSITIVE)] == [2]
    assert [f.version for f in check_compatibility(js(new), previous, "FORWARD_TRANSITIVE")] == [1]


def test_no_history_is_compatible() -> None:
    assert check_compatibility(js({"type": "string"}), [], "FULL_TRANSITIVE") == []


def test_the_finding_names_the_path_the_rule_and_who_breaks() -> None:
    old = {"type": "object", "properties": {"shippingAddress": {"type": "object", "properties": {"zip": {"type": "string"}}}}}
    new = json.loads(json.dumps(old))
    new["properties"]["shippingAddress"]["properties"]["zip"]["maxLength"] = 5
    [finding] = check_compatibility(js(new), [(4, js(old))], "BACKWARD")
    assert finding.type == "MAX_LENGTH_ADDED"
    assert finding.location == "#/properties/shippingAddress/properties/zip/maxLength"
    assert finding.field_path == "shippingAddress.zip"
    assert finding.version == 4 and finding.direction == "backward"
    assert "the new schema allows at most 5 characters where version 4 sets no limit" in finding.message
    assert "records written with version 4 may be refused by consumers using the new schema" in finding.message
    assert finding.confluent_message() == (
        '{errorType:"MAX_LENGTH_ADDED", description:"The keyword at path '
        "'#/properties/shippingAddress/properties/zip/maxLength' in the new schema is not present in the old schema\"}")


def test_a_forward_finding_says_old_consumers_refuse_new_records() -> None:
    [finding] = check_compatibility(js({"enum": ["a", "b"]}), [(2, js({"enum": ["a"]}))], "FORWARD")
    assert finding.type == "ENUM_ARRAY_NARROWED"
    assert "records written with the new schema may be refused by consumers using version 2" in finding.message


def test_a_change_to_a_keyword_not_compared_is_refused_naming_it_under_every_policy() -> None:
    old = {"type": "object", "if": {"required": ["a"]}, "then": {"required": ["b"]}}
    new = {"type": "object", "if": {"required": ["a"]}, "then": {"required": ["b", "c"]}}
    for policy in ("STRICT", "LENIENT"):
        findings = check_compatibility(js(new), [(1, js(old))], "FULL", policy)
        assert {f.type for f in findings} == {KEYWORD_NOT_COMPARED}
        assert all(f.cannot_judge and f.keyword == "then" for f in findings)
        assert "`then` changed, and this checker does not compare `then`" in findings[0].message
        assert "refuses to judge rather than answer compatible" in findings[0].message


def test_a_change_behind_a_ref_inside_a_keyword_not_compared_is_seen() -> None:
    def schema(n: int) -> dict[str, Any]:
        return {"definitions": {"p": {"maxLength": n}}, "type": "object", "propertyNames": {"$ref": "#/definitions/p"}}

    findings = check_compatibility(js(schema(5)), [(1, js(schema(9)))], "BACKWARD")
    assert [f.keyword for f in findings] == ["propertyNames"]


def test_lenient_lets_an_optional_property_join_an_open_model() -> None:
    old = {"type": "object", "properties": {"a": {"type": "string"}}}
    new = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}
    [finding] = check_compatibility(js(new), [(1, js(old))], "BACKWARD")
    assert finding.type == "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
    assert "open content model" in finding.message
    assert check_compatibility(js(new), [(1, js(old))], "FULL", compatibility_policy=LENIENT) == []


def test_policy_names() -> None:
    assert policy_of(None) == "STRICT" and policy_of("lenient") == "LENIENT"
    with pytest.raises(ValueError, match="STRICT or LENIENT"):
        policy_of("loose")


def test_recursive_schemas_compare_without_looping_and_find_a_deep_change() -> None:
    def tree(extra: dict[str, Any]) -> dict[str, Any]:
        return {"$ref": "#/definitions/node", "definitions": {"node": {"type": "object", "properties": {
            "value": {"type": "string", **extra}, "children": {"type": "array", "items": {"$ref": "#/definitions/node"}}}}}}

    assert check_compatibility(js(tree({})), [(1, js(tree({})))], "FULL") == []
    [finding] = check_compatibility(js(tree({"maxLength": 3})), [(1, js(tree({})))], "BACKWARD")
    assert finding.location == "#/properties/value/maxLength"


def test_mutually_recursive_references_across_subjects() -> None:
    refs = {"b.json": json.dumps({"type": "object", "properties": {"a": {"$ref": "a.json"}}}),
            "a.json": json.dumps({"type": "object", "properties": {"b": {"$ref": "b.json"}, "n": {"type": "integer"}}})}
    schema = parse_schema(json.dumps({"$ref": "a.json"}), refs)
    assert check_compatibility(schema, [(1, schema)], "FULL_TRANSITIVE") == []


def test_a_referenced_subjects_change_is_compared() -> None:
    main = json.dumps({"type": "object", "properties": {"address": {"$ref": "address.json"}}})
    v1 = parse_schema(main, {"address.json": json.dumps({"type": "object", "properties": {"zip": {"type": "string"}}})})
    v2 = parse_schema(main, {"address.json": json.dumps(
        {"type": "object", "properties": {"zip": {"type": "string", "pattern": "^[0-9]+$"}}})})
    [finding] = check_compatibility(v2, [(1, v1)], "BACKWARD")
    assert (finding.type, finding.field_path) == ("PATTERN_ADDED", "address.zip")


def test_a_union_that_refers_to_itself_compares_without_looping() -> None:
    def loop(extra: dict[str, Any]) -> dict[str, Any]:
        return {"$ref": "#/definitions/v", "definitions": {"v": {"anyOf": [
            {"$ref": "#/definitions/v"}, {"type": "string", **extra}, {"type": "array", "items": {"$ref": "#/definitions/v"}}]}}}

    for level in ("BACKWARD", "FORWARD"):
        check_compatibility(js(loop({"maxLength": 2})), [(1, js(loop({})))], level)
    assert check_compatibility(js({"type": "string"}), [(1, js(loop({})))], "FORWARD") == []


def test_names_with_slashes_and_tildes_are_escaped_in_paths() -> None:
    old = {"type": "object", "properties": {"a/b~c": {"type": "string"}}}
    new = {"type": "object", "properties": {"a/b~c": {"type": "string"}}, "required": ["a/b~c"]}
    [finding] = check_compatibility(js(new), [(1, js(old))], "BACKWARD")
    assert finding.location == "#/required/a~1b~0c"
    assert finding.field_path == "a/b~c"


def test_a_change_behind_a_ref_deep_inside_a_keyword_not_compared_is_seen() -> None:
    def schema(n: int) -> dict[str, Any]:
        return {"definitions": {"b": {"type": "string", "maxLength": n}, "self": {"$ref": "#/definitions/self"}},
                "type": "object", "if": {"properties": {"a": {"allOf": [{"$ref": "#/definitions/b"}]}}},
                "then": {"$ref": "#/definitions/self"}}

    assert check_compatibility(js(schema(5)), [(1, js(schema(5)))], "FULL") == []
    assert [f.keyword for f in check_compatibility(js(schema(5)), [(1, js(schema(9)))], "BACKWARD")] == ["if"]


def test_a_type_change_names_both_types() -> None:
    [finding] = check_compatibility(js({"type": "integer"}), [(2, js({"type": ["string", "null"]}))], "BACKWARD")
    assert finding.message.startswith("at the root of the schema: the new schema expects an integer where version 2 "
                                      "allows a value of type string or null")

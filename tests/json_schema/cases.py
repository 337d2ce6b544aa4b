"""Compatibility cases per rule family: (old, new) with Confluent's verdicts.

Each case gives the verdicts as "BF/bf": B and F are BACKWARD and FORWARD under Confluent's default
(STRICT) policy, b and f under its LENIENT policy; "y" compatible, "n" not. `breaks` is the
difference type a refused BACKWARD check reports (or FORWARD, when BACKWARD passes). Verdicts follow
Confluent's SchemaDiff (its COMPATIBLE_CHANGES sets, 8.x difference names, its diff-schema examples)
and its documented content-model table (open / closed / partially open, strict / lenient). As in
Confluent, a property that a partially open model does not cover stays refused under LENIENT: the
differences of the covering comparison (a TYPE_CHANGED) are reported with it.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Case(NamedTuple):
    family: str
    name: str
    old: Any
    new: Any
    verdicts: str
    breaks: str = ""


def obj(props: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, **more}


S, N, I = {"type": "string"}, {"type": "number"}, {"type": "integer"}
D2019 = "https://json-schema.org/draft/2019-09/schema"
D2020 = "https://json-schema.org/draft/2020-12/schema"
D4 = "http://json-schema.org/draft-04/schema#"

CASES = [
    # type
    Case("type", "string to integer", S, I, "nn/nn", "TYPE_CHANGED"),
    Case("type", "number narrowed to integer", N, I, "ny/ny", "TYPE_NARROWED"),
    Case("type", "null added to a type list", S, {"type": ["string", "null"]}, "yn/yn", "TYPE_CHANGED"),
    Case("type", "a type list widened", {"type": ["object"]}, {"type": ["object", "array"]}, "yn/yn", "TYPE_CHANGED"),
    Case("type", "empty schema to string", {}, S, "ny/ny", "TYPE_CHANGED"),
    Case("type", "boolean false to anything", False, S, "yn/yn", "TYPE_CHANGED"),
    # strings
    Case("string", "maxLength decreased", {**S, "maxLength": 10}, {**S, "maxLength": 5}, "ny/ny", "MAX_LENGTH_DECREASED"),
    Case("string", "maxLength added", S, {**S, "maxLength": 5}, "ny/ny", "MAX_LENGTH_ADDED"),
    Case("string", "minLength increased", {**S, "minLength": 1}, {**S, "minLength": 3}, "ny/ny", "MIN_LENGTH_INCREASED"),
    Case("string", "minLength removed", {**S, "minLength": 3}, S, "yn/yn", "MIN_LENGTH_ADDED"),
    Case("string", "pattern added", S, {**S, "pattern": "^a"}, "ny/ny", "PATTERN_ADDED"),
    Case("string", "pattern changed", {**S, "pattern": "^a"}, {**S, "pattern": "^b"}, "nn/nn", "PATTERN_CHANGED"),
    Case("string", "format changed (an annotation: formats are not asserted)", {**S, "format": "email"},
         {**S, "format": "uri"}, "yy/yy"),
    # numbers
    Case("number", "maximum decreased", {**N, "maximum": 100}, {**N, "maximum": 50}, "ny/ny", "MAXIMUM_DECREASED"),
    Case("number", "minimum added", N, {**N, "minimum": 0}, "ny/ny", "MINIMUM_ADDED"),
    Case("number", "minimum decreased", {**N, "minimum": 5}, {**N, "minimum": 0}, "yn/yn", "MINIMUM_INCREASED"),
    Case("number", "exclusiveMaximum decreased", {**N, "exclusiveMaximum": 10}, {**N, "exclusiveMaximum": 5},
         "ny/ny", "EXCLUSIVE_MAXIMUM_DECREASED"),
    Case("number", "exclusiveMinimum added", N, {**N, "exclusiveMinimum": 0}, "ny/ny", "EXCLUSIVE_MINIMUM_ADDED"),
    Case("number", "draft 4 maximum made exclusive", {"$schema": D4, **N, "maximum": 10},
         {"$schema": D4, **N, "maximum": 10, "exclusiveMaximum": True}, "nn/nn", "EXCLUSIVE_MAXIMUM_ADDED"),
    Case("number", "multipleOf reduced", {**N, "multipleOf": 10}, {**N, "multipleOf": 2}, "yn/yn", "MULTIPLE_OF_EXPANDED"),
    Case("number", "multipleOf fraction reduced", {**N, "multipleOf": 0.5}, {**N, "multipleOf": 0.25}, "yn/yn",
         "MULTIPLE_OF_EXPANDED"),
    Case("number", "multipleOf changed", {**N, "multipleOf": 10}, {**N, "multipleOf": 11}, "nn/nn", "MULTIPLE_OF_CHANGED"),
    # enum and const
    Case("enum", "value removed", {"enum": ["a", "b"]}, {"enum": ["a"]}, "ny/ny", "ENUM_ARRAY_NARROWED"),
    Case("enum", "value replaced", {"enum": ["a"]}, {"enum": ["b"]}, "nn/nn", "ENUM_ARRAY_CHANGED"),
    Case("enum", "enum added to a string", S, {**S, "enum": ["a"]}, "ny/ny", "TYPE_CHANGED"),
    Case("enum", "const changed", {"const": "a"}, {"const": "b"}, "nn/nn", "ENUM_ARRAY_CHANGED"),
    # open content model (no additionalProperties)
    Case("open", "optional property added", obj({"a": S}), obj({"a": S, "b": S}), "ny/yy",
         "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"),
    Case("open", "property with an empty schema added", obj({"a": S}), obj({"a": S, "b": {}}), "yy/yy"),
    Case("open", "property removed", obj({"a": S, "b": S}), obj({"a": S}), "yn/yy",
         "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"),
    Case("open", "required property added", obj({"a": S}), obj({"a": S, "b": S}, required=["b"]), "ny/ny",
         "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"),
    Case("open", "required property with a default added", obj({"a": S}),
         obj({"a": S, "b": {**S, "default": "x"}}, required=["b"]), "ny/yy",
         "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"),
    Case("open", "model closed (additionalProperties true to false)", obj({"a": S}, additionalProperties=True),
         obj({"a": S}, additionalProperties=False), "ny/yy", "ADDITIONAL_PROPERTIES_REMOVED"),
    Case("open", "unlisted properties given a schema", obj({"a": S}), obj({"a": S}, additionalProperties=S),
         "ny/yy", "ADDITIONAL_PROPERTIES_NARROWED"),
    # closed content model
    Case("closed", "optional property added", obj({"a": S}, additionalProperties=False),
         obj({"a": S, "b": S}, additionalProperties=False), "yn/yy", "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
    Case("closed", "property removed", obj({"a": S, "b": S}, additionalProperties=False),
         obj({"a": S}, additionalProperties=False), "ny/yy", "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
    Case("closed", "required property added", obj({"a": S}, additionalProperties=False),
         obj({"a": S, "b": S}, additionalProperties=False, required=["b"]), "nn/ny",
         "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"),
    Case("closed", "required property with a default added", obj({"a": S}, additionalProperties=False),
         obj({"a": S, "b": {**S, "default": ""}}, additionalProperties=False, required=["b"]), "yn/yy",
         "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
    Case("closed", "property that was false removed", obj({"a": S, "b": False}, additionalProperties=False),
         obj({"a": S}, additionalProperties=False), "yy/yy"),
    Case("closed", "model opened", obj({"a": S}, additionalProperties=False), obj({"a": S}), "yn/yy",
         "ADDITIONAL_PROPERTIES_REMOVED"),
    Case("closed", "2020-12 unevaluatedProperties false added", {"$schema": D2020, **obj({"a": S})},
         {"$schema": D2020, **obj({"a": S}, unevaluatedProperties=False)}, "ny/yy", "UNEVALUATED_PROPERTIES_REMOVED"),
    # partially open content model
    Case("partial", "property added, covered by additionalProperties", obj({"a": S}, additionalProperties=S),
         obj({"a": S, "b": S}, additionalProperties=S), "yy/yy"),
    Case("partial", "property added, not covered", obj({"a": S}, additionalProperties=S),
         obj({"a": S, "b": N}, additionalProperties=S), "nn/nn",
         "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"),
    Case("partial", "property added, covered by a pattern",
         obj({"a": S}, additionalProperties=False, patternProperties={"^I_": I}),
         obj({"a": S, "I_1": N}, additionalProperties=False, patternProperties={"^I_": I}), "yn/yn",
         "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"),
    Case("partial", "pattern added to an open model", obj({"a": S}), obj({"a": S}, patternProperties={"^I_": I}),
         "ny/ny", "KEYWORD_NOT_COMPARED"),
    # other object keywords
    Case("object", "existing property made required", obj({"a": S}), obj({"a": S}, required=["a"]), "ny/ny",
         "REQUIRED_ATTRIBUTE_ADDED"),
    Case("object", "existing property made required with a default", obj({"a": {**S, "default": ""}}),
         obj({"a": {**S, "default": ""}}, required=["a"]), "yy/yy"),
    Case("object", "maxProperties added", obj({}), obj({}, maxProperties=3), "ny/ny", "MAX_PROPERTIES_ADDED"),
    Case("object", "minProperties decreased", obj({}, minProperties=2), obj({}, minProperties=1), "yn/yn",
         "MIN_PROPERTIES_INCREASED"),
    Case("object", "draft 7 dependency array added", obj({"a": S, "b": S}),
         obj({"a": S, "b": S}, dependencies={"a": ["b"]}), "ny/ny", "DEPENDENCY_ARRAY_ADDED"),
    Case("object", "2019-09 dependentRequired extended", {"$schema": D2019, **obj({"a": S}, dependentRequired={"a": ["b"]})},
         {"$schema": D2019, **obj({"a": S}, dependentRequired={"a": ["b", "c"]})}, "ny/ny", "DEPENDENCY_ARRAY_EXTENDED"),
    Case("object", "dependency schema added", obj({"a": S}), obj({"a": S}, dependencies={"a": {"required": ["b"]}}),
         "ny/ny", "DEPENDENCY_SCHEMA_ADDED"),
    Case("object", "nested property narrowed", obj({"address": obj({"zip": S})}),
         obj({"address": obj({"zip": {**S, "maxLength": 5}})}), "ny/ny", "MAX_LENGTH_ADDED"),
    # arrays
    Case("array", "items type changed", {"type": "array", "items": S}, {"type": "array", "items": I}, "nn/nn",
         "TYPE_CHANGED"),
    Case("array", "minItems added", {"type": "array"}, {"type": "array", "minItems": 1}, "ny/ny", "MIN_ITEMS_ADDED"),
    Case("array", "maxItems increased", {"type": "array", "maxItems": 5}, {"type": "array", "maxItems": 9}, "yn/yn",
         "MAX_ITEMS_DECREASED"),
    Case("array", "uniqueItems added", {"type": "array"}, {"type": "array", "uniqueItems": True}, "ny/ny",
         "UNIQUE_ITEMS_ADDED"),
    Case("array", "tuple item added to an open tuple", {"type": "array", "items": [S]},
         {"type": "array", "items": [S, I]}, "ny/ny", "ITEM_ADDED_TO_OPEN_CONTENT_MODEL"),
    Case("array", "tuple item added to a closed tuple", {"type": "array", "items": [S], "additionalItems": False},
         {"type": "array", "items": [S, I], "additionalItems": False}, "yn/yn", "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
    Case("array", "2020-12 prefixItems added to a closed tuple",
         {"$schema": D2020, "type": "array", "prefixItems": [S], "items": False},
         {"$schema": D2020, "type": "array", "prefixItems": [S, I], "items": False}, "yn/yn",
         "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
    Case("array", "2019-09 maxContains added", {"$schema": D2019, "type": "array", "contains": S},
         {"$schema": D2019, "type": "array", "contains": S, "maxContains": 2}, "ny/ny", "MAX_CONTAINS_ADDED"),
    Case("array", "contains changed (not compared)", {"type": "array", "contains": S}, {"type": "array", "contains": I},
         "nn/nn", "KEYWORD_NOT_COMPARED"),
    # combinators
    Case("combinator", "anyOf branch added", {"anyOf": [S]}, {"anyOf": [S, I]}, "yn/yn", "SUM_TYPE_NARROWED"),
    Case("combinator", "oneOf branch changed", {"oneOf": [S]}, {"oneOf": [N]}, "nn/nn",
         "COMBINED_TYPE_SUBSCHEMAS_CHANGED"),
    Case("combinator", "allOf branch added", {"allOf": [obj({"a": S})]},
         {"allOf": [obj({"a": S}), {"required": ["a"]}]}, "ny/ny", "PRODUCT_TYPE_EXTENDED"),
    Case("combinator", "anyOf made oneOf", {"anyOf": [S, I]}, {"oneOf": [S, I]}, "ny/ny", "COMBINED_TYPE_CHANGED"),
    Case("combinator", "not widened", {"not": I}, {"not": N}, "ny/ny", "NOT_TYPE_EXTENDED"),
    Case("combinator", "branches reordered", {"oneOf": [S, I]}, {"oneOf": [I, S]}, "yy/yy"),
    Case("combinator", "same branches with a keyword not compared", {"oneOf": [{**S, "if": {"minLength": 1}}, I]},
         {"oneOf": [I, {**S, "if": {"minLength": 1}}]}, "yy/yy"),
    # $ref
    Case("ref", "definition narrowed behind a $ref",
         {"definitions": {"zip": S}, **obj({"zip": {"$ref": "#/definitions/zip"}})},
         {"definitions": {"zip": {**S, "maxLength": 5}}, **obj({"zip": {"$ref": "#/definitions/zip"}})}, "ny/ny",
         "MAX_LENGTH_ADDED"),
    Case("ref", "draft 7 ignores the siblings of a $ref", {"definitions": {"s": S}, "$ref": "#/definitions/s"},
         {"definitions": {"s": S}, "$ref": "#/definitions/s", "maxLength": 3}, "yy/yy"),
    Case("ref", "2019-09 applies the siblings of a $ref", {"$schema": D2019, "$defs": {"s": S}, "$ref": "#/$defs/s"},
         {"$schema": D2019, "$defs": {"s": S}, "$ref": "#/$defs/s", "maxLength": 3}, "ny/ny", "TYPE_CHANGED"),
    Case("ref", "inline schema moved behind a $ref", obj({"zip": S}),
         {"$defs": {"zip": S}, **obj({"zip": {"$ref": "#/$defs/zip"}})}, "yy/yy"),
    # keywords the checker does not compare
    Case("not compared", "if changed", obj({"a": S}, **{"if": obj({"a": {"const": "x"}}), "then": {"required": ["b"]}}),
         obj({"a": S}, **{"if": obj({"a": {"const": "y"}}), "then": {"required": ["b"]}}), "nn/nn",
         "KEYWORD_NOT_COMPARED"),
    Case("not compared", "propertyNames added", obj({}), obj({}, propertyNames={"maxLength": 3}), "nn/nn",
         "KEYWORD_NOT_COMPARED"),
    Case("not compared", "if changed beside an enum that was dropped", {**S, "enum": ["a"], "if": {"minLength": 1}},
         {**S, "if": {"minLength": 2}}, "nn/nn", "KEYWORD_NOT_COMPARED"),
    Case("not compared", "then changed in one oneOf branch",
         {"oneOf": [{**S, "if": {"minLength": 1}, "then": {"maxLength": 5}}, I]},
         {"oneOf": [I, {**S, "if": {"minLength": 1}, "then": {"maxLength": 3}}]}, "nn/nn", "KEYWORD_NOT_COMPARED"),
    Case("not compared", "draft 7 has no unevaluatedProperties: it constrains nothing there", obj({"a": S}),
         obj({"a": S}, unevaluatedProperties=False), "yy/yy"),
    Case("not compared", "annotations and unknown keywords changed", {**S, "title": "a", "x-owner": "team-a"},
         {**S, "title": "b", "description": "d", "x-owner": "team-b", "examples": ["e"]}, "yy/yy"),
]

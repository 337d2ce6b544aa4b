"""Property paths for rules and the lines of properties and findings in a schema file."""

from __future__ import annotations

import json

from governance.json_schema import field_paths, line_of, parse_schema
from governance.json_schema.paths import location_line

ORDER = """{
  "type": "object",
  "properties": {
    "order_id": {"type": "string"},
    "shipping_address": {"$ref": "#/definitions/address"},
    "billing": {"allOf": [{"$ref": "address.json"}]},
    "lines": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}},
    "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
    "note": {"type": ["object", "null"], "properties": {"text": {"type": "string"}}}
  },
  "definitions": {
    "address": {
      "type": "object",
      "properties": {
        "zip": {"type": "string"},
        "geo": {"type": "object", "properties": {"lat": {"type": "number"}}}
      }
    }
  }
}"""
ADDRESS = json.dumps({"type": "object", "properties": {"street": {"type": "string"}}})


def test_paths_follow_refs_to_definitions_and_other_subjects_and_combinators() -> None:
    paths = field_paths(parse_schema(ORDER, {"address.json": ADDRESS}))
    assert paths.values == {"order_id", "shipping_address.zip", "shipping_address.geo.lat", "billing.street",
                            "lines", "note", "note.text"}
    assert {"shipping_address", "shipping_address.geo", "billing", "attributes"} <= paths.paths
    assert paths.open_prefixes == {"attributes."}
    assert paths.knows("attributes.color") and not paths.knows("shipping_address.city")


def test_recursive_schemas_have_finite_paths() -> None:
    tree = {"$ref": "#/definitions/n", "definitions": {"n": {"type": "object", "properties": {
        "v": {"type": "integer"}, "next": {"$ref": "#/definitions/n"}}}}}
    paths = field_paths(parse_schema(json.dumps(tree)))
    assert "v" in paths.values and "next.next.v" in paths.values
    assert len(paths.paths) < 100


def test_the_line_of_a_property_follows_local_refs() -> None:
    assert line_of(ORDER, "order_id") == 4
    assert line_of(ORDER, "shipping_address") == 5
    assert line_of(ORDER, "shipping_address.zip") == 15
    assert line_of(ORDER, "shipping_address.geo.lat") == 16
    assert line_of(ORDER, "shipping_address.nope") == 5
    assert line_of(ORDER, "") == 1
    assert line_of("not json", "a") == 1


def test_the_line_of_a_finding_location() -> None:
    assert location_line(ORDER, "#/properties/shipping_address/properties/zip/maxLength") == 15
    assert location_line(ORDER, "#/properties/lines/items/properties/sku") == 7
    assert location_line(ORDER, "#/required/x") == 1

"""The Avro format's diff (`schemas diff`, the console): fields added and removed, type and
default changes, enum symbols, types taken from references."""

from __future__ import annotations

import json

from gate_cases import DIFF_EXPECTED, DIFF_V1, DIFF_V2

from governance.formats import format_for

diff = format_for("AVRO").diff


def test_the_diff_names_each_change() -> None:
    assert diff(DIFF_V1, DIFF_V2) == DIFF_EXPECTED


def test_same_schema_has_no_changes() -> None:
    assert diff(DIFF_V1, DIFF_V1) == []


def test_a_version_using_another_subjects_type_is_diffed_with_that_type_resolved() -> None:
    address = json.dumps({"type": "record", "name": "Address", "namespace": "com.example.shared",
                          "fields": [{"name": "zip", "type": "string"}]})
    before = json.dumps({"type": "record", "name": "Order", "namespace": "com.example",
                         "fields": [{"name": "ship_to", "type": "com.example.shared.Address"}]})
    after = json.dumps({"type": "record", "name": "Order", "namespace": "com.example",
                        "fields": [{"name": "ship_to", "type": "com.example.shared.Address"},
                                   {"name": "bill_to", "type": ["null", "com.example.shared.Address"], "default": None}]})
    references = {"com.example.shared.Address": address}
    assert diff(before, after, references) == [
        "+ field bill_to: [null, com.example.shared.Address] (default null)"]

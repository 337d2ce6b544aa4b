"""Histories that break (or do not) at each level and with each finding type, shared by git and registry mode."""

from __future__ import annotations

from dataclasses import dataclass, field

from gate_helpers import record

ID = {"name": "id", "type": "string"}


def enum(symbols: list[str]) -> dict[str, object]:
    return {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": symbols}}


def nested(fields: list[dict[str, object]], name: str = "Address") -> dict[str, object]:
    return {"name": "address", "type": {"type": "record", "name": name, "fields": fields}}


# Two versions of a subject, and what `schemas diff` says changed between them.
DIFF_V1 = record([ID, {"name": "amount", "type": "int"}, {"name": "country", "type": "string", "default": "DE"},
                  enum(["NEW", "PAID", "SHIPPED"]), nested([{"name": "zip", "type": "int"}]), {"name": "gone", "type": "long"}])
DIFF_V2 = record([ID, {"name": "amount", "type": "long"}, {"name": "country", "type": "string", "default": "FR"},
                  enum(["NEW", "PAID", "CANCELLED"]), nested([{"name": "zip", "type": "string"}, {"name": "city", "type": "string"}]),
                  {"name": "email", "type": ["null", "string"], "default": None}])
DIFF_EXPECTED = [
    "+ field email: [null, string] (default null)",
    "- field gone: long",
    "~ field amount: type int -> long",
    "~ field country: default \"DE\" -> \"FR\"",
    "- enum com.example.Status in field status: symbol SHIPPED",
    "+ enum com.example.Status in field status: symbol CANCELLED",
    "+ field address.city: string (no default)",
    "~ field address.zip: type int -> string",
]


@dataclass
class Case:
    id: str
    level: str
    history: list[str]  # committed versions, oldest first
    new: str
    exit_code: int
    # (type, field path, version, text in the new file whose line the finding must point at)
    expected: list[tuple[str, str, int, str]] = field(default_factory=list)


CASES = [
    Case("added-without-default", "BACKWARD",
         [record([ID])], record([ID, {"name": "email", "type": "string"}]), 1,
         [("READER_FIELD_MISSING_DEFAULT_VALUE", "email", 1, '"email"')]),
    Case("added-with-default-passes", "BACKWARD",
         [record([ID])], record([ID, {"name": "email", "type": "string", "default": ""}]), 0),
    Case("type-change", "BACKWARD",
         [record([ID, {"name": "amount", "type": "string"}])], record([ID, {"name": "amount", "type": "int"}]), 1,
         [("TYPE_MISMATCH", "amount", 1, '"amount"')]),
    Case("promotion-passes", "BACKWARD",
         [record([ID, {"name": "amount", "type": "int"}])], record([ID, {"name": "amount", "type": "long"}]), 0),
    Case("union-branch-dropped", "BACKWARD",
         [record([ID, {"name": "ref", "type": ["null", "string", "int"]}])],
         record([ID, {"name": "ref", "type": ["null", "string"]}]), 1,
         [("MISSING_UNION_BRANCH", "ref", 1, '"ref"')]),
    Case("union-branches-dropped", "BACKWARD_TRANSITIVE",  # two breaks against each version, each told
         [record([ID, {"name": "ref", "type": ["null", "string", "int", "boolean"]}]),
          record([ID, {"name": "ref", "type": ["null", "boolean", "int", "string"]}])],
         record([ID, {"name": "ref", "type": ["null", "int"]}]), 1,
         [("MISSING_UNION_BRANCH", "ref", 1, '"ref"'), ("MISSING_UNION_BRANCH", "ref", 1, '"ref"')]),
    Case("enum-symbol-dropped", "BACKWARD",
         [record([ID, enum(["NEW", "PAID", "SHIPPED"])])], record([ID, enum(["NEW", "PAID"])]), 1,
         [("MISSING_ENUM_SYMBOLS", "status", 1, '"status"')]),
    Case("nested-record-renamed", "BACKWARD",
         [record([ID, nested([{"name": "zip", "type": "string"}])])],
         record([ID, nested([{"name": "zip", "type": "string"}], name="PostalAddress")]), 1,
         [("NAME_MISMATCH", "address", 1, '"address"')]),
    Case("fixed-resized", "BACKWARD",
         [record([ID, {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 16}}])],
         record([ID, {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 32}}]), 1,
         [("FIXED_SIZE_MISMATCH", "hash", 1, '"hash"')]),
    Case("nested-field-type", "BACKWARD",
         [record([ID, nested([{"name": "zip", "type": "int"}])])],
         record([ID, nested([{"name": "zip", "type": "string"}])]), 1,
         [("TYPE_MISMATCH", "address.zip", 1, '"zip"')]),
    # Transitive levels reach past the latest version; the plain ones do not.
    Case("backward-latest-only-passes", "BACKWARD",
         [record([ID]), record([ID, {"name": "b", "type": "string", "default": "x"}])],
         record([ID, {"name": "b", "type": "string"}]), 0),
    Case("backward-transitive", "BACKWARD_TRANSITIVE",
         [record([ID]), record([ID, {"name": "b", "type": "string", "default": "x"}])],
         record([ID, {"name": "b", "type": "string"}]), 1,
         [("READER_FIELD_MISSING_DEFAULT_VALUE", "b", 1, '"b"')]),
    Case("forward-removed-field", "FORWARD",
         [record([ID, {"name": "b", "type": "string"}])], record([ID]), 1,
         [("READER_FIELD_MISSING_DEFAULT_VALUE", "b", 1, '"fields"')]),
    Case("forward-added-field-passes", "FORWARD",
         [record([ID])], record([ID, {"name": "b", "type": "string"}]), 0),
    Case("forward-latest-only-passes", "FORWARD",
         [record([ID, {"name": "b", "type": "string"}]), record([ID, {"name": "b", "type": "string", "default": "x"}])],
         record([ID]), 0),
    Case("forward-transitive", "FORWARD_TRANSITIVE",
         [record([ID, {"name": "b", "type": "string"}]), record([ID, {"name": "b", "type": "string", "default": "x"}])],
         record([ID]), 1,
         [("READER_FIELD_MISSING_DEFAULT_VALUE", "b", 1, '"fields"')]),
    Case("full-both-directions", "FULL",
         [record([ID, {"name": "n", "type": "int"}])], record([ID, {"name": "n", "type": "string"}]), 1,
         [("TYPE_MISMATCH", "n", 1, '"n"'), ("TYPE_MISMATCH", "n", 1, '"n"')]),
    Case("full-transitive", "FULL_TRANSITIVE",
         [record([ID]), record([ID, {"name": "b", "type": "string", "default": "x"}])],
         record([ID, {"name": "b", "type": "string"}]), 1,
         [("READER_FIELD_MISSING_DEFAULT_VALUE", "b", 1, '"b"')]),
    Case("none-allows-anything", "NONE",
         [record([ID, {"name": "n", "type": "int"}])], record([{"name": "n", "type": "string"}]), 0),
]

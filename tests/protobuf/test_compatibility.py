"""Confluent's Protobuf compatibility: each difference kind in both directions, with Confluent's verdict.

Verdicts and paths follow Confluent's SchemaDiff (protobuf-provider's
diff-schema-examples.json exercises the same kinds); rows marked "ours" are
where we knowingly differ (see governance/protobuf/diff.py).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.avro import Level
from governance.protobuf import COMPATIBLE, check_compatibility, compare, parse_schema

P3 = 'syntax = "proto3";\n'
P2 = 'syntax = "proto2";\n'
MONEY_1 = P3 + "package common;\nmessage Money { string currency = 1; int64 units = 2; }\n"
MONEY_2 = P3 + "package common;\nmessage Money { string currency = 1; string units = 2; }\n"
HOME = P3 + "package dom;\nmessage Home { int32 id = 1; bool on = 2; }\n"

# (case, old, new, compare(old, new), compare(new, old)); a schema is text or (text, imports)
CASES = [
    ("field added", P3 + "message T { string a = 1; }", P3 + "message T { string a = 1; string b = 2; }",
     ["FIELD_ADDED #/T/2"], ["FIELD_REMOVED #/T/2"]),
    ("required field added", P2 + "message T { optional string a = 1; }",
     P2 + "message T { optional string a = 1; required string b = 2; }",
     ["REQUIRED_FIELD_ADDED #/T/2"], ["REQUIRED_FIELD_REMOVED #/T/2"]),
    ("field added to a nested message", P3 + "message W { int32 w = 1; message T { string a = 1; } }",
     P3 + "message W { int32 w = 1; message T { string a = 1; string b = 2; } }",
     ["FIELD_ADDED #/W/T/2"], ["FIELD_REMOVED #/W/T/2"]),
    ("field number changed", P3 + "message T { string a = 1; }", P3 + "message T { string a = 2; }",
     ["FIELD_REMOVED #/T/1", "FIELD_ADDED #/T/2"], ["FIELD_REMOVED #/T/2", "FIELD_ADDED #/T/1"]),
    ("field renamed", P3 + "message T { string a = 1; }", P3 + "message T { string b = 1; }",
     ["FIELD_NAME_CHANGED #/T/1"], ["FIELD_NAME_CHANGED #/T/1"]),
    ("int32 to int64", P3 + "message T { int32 a = 1; }", P3 + "message T { int64 a = 1; }", [], []),
    ("string to bytes", P3 + "message T { string a = 1; }", P3 + "message T { bytes a = 1; }", [], []),
    ("int32 to an enum", P3 + "message T { int32 a = 1; }",
     P3 + "message T { S a = 1; }\nenum S { S0 = 0; S1 = 1; }", ["ENUM_ADDED #/S"], ["ENUM_REMOVED #/S"]),
    ("one enum type for another", P3 + "message T { S a = 1; }\nenum S { S0 = 0; }",
     P3 + "message T { R a = 1; }\nenum S { S0 = 0; }\nenum R { R0 = 0; }", ["ENUM_ADDED #/R"], ["ENUM_REMOVED #/R"]),
    ("int32 to a message", P3 + "message T { int32 a = 1; }",
     P3 + "message T { U a = 1; }\nmessage U { string u = 1; }",
     ["FIELD_KIND_CHANGED #/T/1", "MESSAGE_ADDED #/U"], ["FIELD_KIND_CHANGED #/T/1", "MESSAGE_REMOVED #/U"]),
    ("int32 to string, renamed", P3 + "message T { int32 a = 1; }", P3 + "message T { string b = 1; }",
     ["FIELD_NAME_CHANGED #/T/1", "FIELD_SCALAR_KIND_CHANGED #/T/1"],
     ["FIELD_NAME_CHANGED #/T/1", "FIELD_SCALAR_KIND_CHANGED #/T/1"]),
    ("message field's type changed", P3 + "message T { U a = 1; }\nmessage U { string s = 1; }",
     P3 + "message T { V a = 1; }\nmessage V { string s = 1; }",
     ["MESSAGE_REMOVED #/U", "MESSAGE_ADDED #/V", "FIELD_NAMED_TYPE_CHANGED #/T/1"],
     ["MESSAGE_REMOVED #/V", "MESSAGE_ADDED #/U", "FIELD_NAMED_TYPE_CHANGED #/T/1"]),
    ("map value kind changed", P3 + "message T { map<string, int32> m = 1; }",
     P3 + "message T { map<string, string> n = 1; }",
     ["FIELD_NAME_CHANGED #/T/1", "FIELD_SCALAR_KIND_CHANGED #/T/1"],
     ["FIELD_NAME_CHANGED #/T/1", "FIELD_SCALAR_KIND_CHANGED #/T/1"]),
    ("map value qualified", P3 + "message T { map<string, S> m = 1; message S { string s = 1; } }",
     P3 + "message T { map<string, T.S> m = 1; message S { string s = 1; } }", [], []),
    ("map to scalar", P3 + "message T { map<string, int32> m = 1; }", P3 + "message T { int32 m = 1; }",
     ["FIELD_KIND_CHANGED #/T/1"], ["FIELD_KIND_CHANGED #/T/1"]),
    ("message field to repeated", P3 + "message T { optional S s = 1; message S { string x = 1; } }",
     P3 + "message T { repeated S s = 1; message S { string x = 1; } }", [], []),
    ("string to repeated", P3 + "message T { optional string s = 1; }", P3 + "message T { repeated string s = 1; }",
     ["FIELD_STRING_OR_BYTES_LABEL_CHANGED #/T/1"], ["FIELD_STRING_OR_BYTES_LABEL_CHANGED #/T/1"]),
    ("number to repeated", P3 + "message T { optional int32 s = 1; }", P3 + "message T { repeated int32 s = 1; }",
     ["FIELD_NUMERIC_LABEL_CHANGED #/T/1"], ["FIELD_NUMERIC_LABEL_CHANGED #/T/1"]),
    ("ours: unlabelled proto3 number to repeated", P3 + "message T { int32 s = 1; }",
     P3 + "message T { repeated int32 s = 1; }",
     ["FIELD_NUMERIC_LABEL_CHANGED #/T/1"], ["FIELD_NUMERIC_LABEL_CHANGED #/T/1"]),
    ("required number made optional", P2 + "message T { required int32 s = 1; }", P2 + "message T { optional int32 s = 1; }",
     ["FIELD_NUMERIC_LABEL_CHANGED #/T/1"], ["FIELD_NUMERIC_LABEL_CHANGED #/T/1"]),
    ("message added", P3 + "message T { string a = 1; }", P3 + "message T { string a = 1; }\nmessage U { string a = 1; }",
     ["MESSAGE_ADDED #/U"], ["MESSAGE_REMOVED #/U"]),
    ("messages reordered", P3 + "message T { string a = 1; }\nmessage U { string a = 1; }",
     P3 + "message U { string a = 1; }\nmessage T { string a = 1; }",
     ["MESSAGE_MOVED #/T", "MESSAGE_MOVED #/U"], ["MESSAGE_MOVED #/U", "MESSAGE_MOVED #/T"]),
    ("enum constant renamed", P3 + "enum S { A = 0; B = 1; }", P3 + "enum S { A = 0; C = 1; }",
     ["ENUM_CONST_CHANGED #/S/1"], ["ENUM_CONST_CHANGED #/S/1"]),
    ("enum constant added", P3 + "enum S { A = 0; }", P3 + "enum S { A = 0; B = 1; }",
     ["ENUM_CONST_ADDED #/S/1"], ["ENUM_CONST_REMOVED #/S/1"]),
    ("field moved into a new oneof with a new field", P3 + "message T { string a = 1; string b = 2; }",
     P3 + "message T { string a = 1; oneof o { string b = 2; int32 c = 3; } }",
     ["ONEOF_ADDED #/T/o"], ["ONEOF_REMOVED #/T/o", "FIELD_ADDED #/T/2"]),
    ("several fields moved into a oneof", P3 + "message T { string a = 1; string b = 2; }",
     P3 + "message T { oneof o { string a = 1; string b = 2; int32 c = 3; } }",
     ["MULTIPLE_FIELDS_MOVED_TO_ONEOF #/T/o", "ONEOF_ADDED #/T/o"],
     ["ONEOF_REMOVED #/T/o", "FIELD_ADDED #/T/1", "FIELD_ADDED #/T/2"]),
    ("field added to a oneof", P3 + "message T { oneof o { string a = 1; string b = 2; } }",
     P3 + "message T { oneof o { string a = 1; string b = 2; int32 c = 3; } }",
     ["ONEOF_FIELD_ADDED #/T/o/3"], ["ONEOF_FIELD_REMOVED #/T/o/3"]),
    ("field moved into an existing oneof", P3 + "message T { string a = 1; oneof o { string b = 2; string c = 3; } }",
     P3 + "message T { oneof o { string a = 1; string b = 2; string c = 3; } }",
     ["FIELD_MOVED_TO_EXISTING_ONEOF #/T/o", "ONEOF_FIELD_ADDED #/T/o/1"],
     ["ONEOF_FIELD_REMOVED #/T/o/1", "FIELD_ADDED #/T/1"]),
    ("field moved into a renamed oneof", P3 + "message T { string a = 1; oneof o { string b = 2; string c = 3; } }",
     P3 + "message T { oneof p { string a = 1; string b = 2; string c = 3; } }",
     ["FIELD_MOVED_TO_EXISTING_ONEOF #/T/p", "ONEOF_REMOVED #/T/o", "ONEOF_ADDED #/T/p"],
     ["ONEOF_REMOVED #/T/p", "ONEOF_ADDED #/T/o", "FIELD_ADDED #/T/1"]),
    ("a oneof's single field moved out", P3 + "message T { oneof o { string a = 1; } }", P3 + "message T { string a = 1; }",
     ["ONEOF_REMOVED #/T/o", "FIELD_ADDED #/T/1"], ["ONEOF_ADDED #/T/o"]),
    ("package changed", P3 + "package foo;\nmessage T { string a = 1; }", P3 + "package bar;\nmessage T { string a = 1; }",
     ["PACKAGE_CHANGED #/"], ["PACKAGE_CHANGED #/"]),
    ("imported message changed", (P3 + 'import "m.proto";\nmessage T { common.Money m = 1; }', {"m.proto": MONEY_1}),
     (P3 + 'import "m.proto";\nmessage T { common.Money m = 1; }', {"m.proto": MONEY_2}),
     ["FIELD_SCALAR_KIND_CHANGED #/Money/2", "FIELD_NAMED_TYPE_CHANGED #/T/1"],
     ["FIELD_SCALAR_KIND_CHANGED #/Money/2", "FIELD_NAMED_TYPE_CHANGED #/T/1"]),
    ("imported message unchanged under another file name",
     (P3 + 'import "m.proto";\nmessage T { common.Money m = 1; }', {"m.proto": MONEY_1}),
     (P3 + 'import "n.proto";\nmessage T { common.Money m = 1; }', {"n.proto": MONEY_1}), [], []),
    ("message moved to an import", P3 + "message T { Home h = 1; }\nmessage Home { int32 id = 1; bool on = 2; }",
     (P3 + 'import "h.proto";\nmessage T { dom.Home h = 1; }', {"h.proto": HOME}),
     ["MESSAGE_REMOVED #/Home"], ["MESSAGE_ADDED #/Home"]),
]


def _schema(spec: str | tuple[str, dict[str, str]]) -> object:
    return parse_schema(spec[0], imports=spec[1]) if isinstance(spec, tuple) else parse_schema(spec)


def _types(diffs: list) -> list[str]:
    return sorted(f"{d.type} {d.path}" for d in diffs)


@pytest.mark.parametrize(("case", "old", "new", "forth", "back"), CASES, ids=[c[0] for c in CASES])
def test_confluent_difference_kinds_both_directions(case: str, old: object, new: object, forth: list[str],
                                                    back: list[str]) -> None:
    a, b = _schema(old), _schema(new)  # type: ignore[arg-type]
    assert _types(compare(a, b)) == sorted(forth)
    assert _types(compare(b, a)) == sorted(back)
    breaking_backward = [t for t in forth if t.split()[0] not in COMPATIBLE]
    breaking_forward = [t for t in back if t.split()[0] not in COMPATIBLE]
    backward = check_compatibility(b, [(1, a)], Level.BACKWARD)
    forward = check_compatibility(b, [(1, a)], Level.FORWARD)
    assert _types_of(backward) == sorted(breaking_backward)
    assert _types_of(forward) == sorted(breaking_forward)
    full = check_compatibility(b, [(1, a)], Level.FULL)
    assert sorted(f.message for f in full) == sorted(f.message for f in backward + forward)


def _types_of(findings: list) -> list[str]:
    return sorted(f"{f.type} {f.location}" for f in findings)


def test_the_compatible_set_is_confluents_with_a_package_change_breaking() -> None:
    assert COMPATIBLE == {
        "MESSAGE_ADDED", "MESSAGE_MOVED", "ENUM_ADDED", "ENUM_REMOVED", "ENUM_CONST_ADDED", "ENUM_CONST_CHANGED",
        "ENUM_CONST_REMOVED", "FIELD_ADDED", "FIELD_REMOVED", "FIELD_NAME_CHANGED",
        "FIELD_STRING_OR_BYTES_LABEL_CHANGED", "ONEOF_ADDED", "ONEOF_REMOVED", "ONEOF_FIELD_ADDED"}


SCALARS = ["int32", "int64", "uint32", "uint64", "bool", "sint32", "sint64", "string", "bytes", "fixed32", "sfixed32",
           "fixed64", "sfixed64", "float", "double"]
GROUPS = [{"int32", "int64", "uint32", "uint64", "bool"}, {"sint32", "sint64"}, {"string", "bytes"},
          {"fixed32", "sfixed32"}, {"fixed64", "sfixed64"}, {"float"}, {"double"}]


@pytest.mark.parametrize(("old", "new"), list(itertools.permutations(SCALARS, 2)))
def test_scalar_kinds_are_compatible_exactly_within_confluents_groups(old: str, new: str) -> None:
    a = parse_schema(P3 + f"message T {{ {old} x = 1; }}")
    b = parse_schema(P3 + f"message T {{ {new} x = 1; }}")
    same_group = any(old in g and new in g for g in GROUPS)
    for level in (Level.BACKWARD, Level.FORWARD):
        findings = check_compatibility(b, [(3, a)], level)
        assert (findings == []) == same_group
        if findings:
            assert findings[0].type == "FIELD_SCALAR_KIND_CHANGED" and findings[0].number == 1
            assert f"from {old} to {new}" in findings[0].message


@pytest.mark.parametrize("scalar", SCALARS)
def test_singular_to_repeated_breaks_numbers_only(scalar: str) -> None:
    a = parse_schema(P3 + f"message T {{ optional {scalar} x = 1; }}")
    b = parse_schema(P3 + f"message T {{ repeated {scalar} x = 1; }}")
    broken = check_compatibility(b, [(1, a)], Level.FULL)
    assert (broken == []) == (scalar in ("string", "bytes"))


def test_findings_name_message_field_and_number_in_a_sentence() -> None:
    old = parse_schema(P3 + "package shop;\nmessage Order { message Line { int32 qty = 4; } Line line = 1; }")
    new = parse_schema(P3 + "package shop;\nmessage Order { message Line { string qty = 4; } Line line = 1; }")
    [finding] = check_compatibility(new, [(2, old)], Level.BACKWARD)
    assert (finding.type, finding.location, finding.version, finding.direction) == (
        "FIELD_SCALAR_KIND_CHANGED", "#/Order/Line/4", 2, "backward")
    assert (finding.proto_message, finding.field, finding.number) == ("shop.Order.Line", "qty", 4)
    assert finding.field_path == "shop.Order.Line.qty"
    assert finding.message == ("field `qty` (number 4) of message `shop.Order.Line` changed type from int32 to string "
                               "(the two types are not wire-compatible), so records written with version 2 cannot be "
                               "read by the new schema")
    assert finding.confluent_message() == (
        "{errorType:\"FIELD_SCALAR_KIND_CHANGED\", description:\"The kind of a SCALAR field at path '#/Order/Line/4' "
        "in the new schema does not match its kind in the old schema\"}")
    [forward] = check_compatibility(new, [(2, old)], Level.FORWARD)
    assert forward.message.endswith("so records written with the new schema cannot be read by consumers using version 2")
    assert "in the old schema does not match its kind in the new schema" in forward.confluent_message()


def test_forward_sentences_tell_the_change_from_old_to_new() -> None:
    old = parse_schema(P3 + "message T { string a = 1; }")
    new = parse_schema(P3 + "message T { string a = 1; }\nmessage Added { string x = 1; }")
    [finding] = check_compatibility(new, [(1, old)], Level.FORWARD)
    assert finding.type == "MESSAGE_REMOVED"
    assert finding.message.startswith("message `Added` was added")


def test_transitive_levels_check_every_version_newest_first() -> None:
    v1 = parse_schema(P3 + "message T { int32 a = 1; }")
    v2 = parse_schema(P3 + "message T { int32 a = 1; string b = 2; }")
    v3 = parse_schema(P3 + "message T { string b = 2; }")
    new = parse_schema(P3 + "message T { string a = 1; string b = 2; }")
    history = [(1, v1), (2, v2), (3, v3)]
    assert check_compatibility(new, history, Level.BACKWARD) == []  # v3 has no field 1
    transitive = check_compatibility(new, history, "backward_transitive")
    assert [(f.version, f.type) for f in transitive] == [(2, "FIELD_SCALAR_KIND_CHANGED"), (1, "FIELD_SCALAR_KIND_CHANGED")]
    assert [f.version for f in check_compatibility(new, history, Level.FULL_TRANSITIVE)] == [2, 2, 1, 1]
    assert check_compatibility(new, history, Level.NONE) == []
    assert check_compatibility(new, [], Level.FULL_TRANSITIVE) == []


def test_a_recursive_imported_message_terminates() -> None:
    tree_1 = P3 + "package t;\nmessage Node { repeated Node children = 1; int32 v = 2; }\n"
    tree_2 = P3 + "package t;\nmessage Node { repeated Node children = 1; int64 v = 2; string s = 3; }\n"
    main = P3 + 'import "tree.proto";\nmessage T { t.Node root = 1; }'
    diffs = compare(parse_schema(main, "m.proto", {"tree.proto": tree_1}), parse_schema(main, "m.proto", {"tree.proto": tree_2}))
    assert _types(diffs) == ["FIELD_ADDED #/Node/3"]


_names = st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), min_size=1, max_size=6, unique=True)


@st.composite
def _messages(draw: st.DrawFn) -> str:
    names = draw(_names)
    numbers = draw(st.lists(st.integers(1, 20), min_size=len(names), max_size=len(names), unique=True))
    fields = []
    for name, number in zip(names, numbers):
        label = draw(st.sampled_from(["", "repeated ", "optional "]))
        fields.append(f"{label}{draw(st.sampled_from(SCALARS))} {name} = {number};")
    return P3 + "message T { " + " ".join(fields) + " }\n"


@settings(max_examples=60, deadline=None)
@given(_messages(), _messages())
def test_properties_of_the_levels(old_text: str, new_text: str) -> None:
    old, new = parse_schema(old_text), parse_schema(new_text)
    assert compare(old, old) == []
    backward = check_compatibility(new, [(1, old)], Level.BACKWARD)
    forward = check_compatibility(new, [(1, old)], Level.FORWARD)
    assert check_compatibility(new, [(1, old)], Level.FULL) == backward + forward
    # a field-by-number table decides both directions alike for scalars: what breaks one way breaks the other
    assert sorted(f.location for f in backward) == sorted(f.location for f in forward)
    assert all(f.number is not None and f"(number {f.number})" in f.message for f in backward)

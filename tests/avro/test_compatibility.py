"""Reader/writer compatibility: each finding type, in each direction, with its location, field path and sentence.

Backward: the new schema reads data written with a registered version.
Forward: a registered version reads data written with the new schema.
"""

from __future__ import annotations

import json

import pytest

from governance.avro import Finding, Level, ParsedSchema, check_compatibility, parse_schema, reader_writer_findings


def record(*fields: dict, name: str = "User", **extra: object) -> ParsedSchema:
    return parse_schema(json.dumps({"type": "record", "name": name, "fields": list(fields), **extra}))


def field(name: str, type_: object, **extra: object) -> dict:
    return {"name": name, "type": type_, **extra}


def enum(symbols: list[str], name: str = "Status", **extra: object) -> dict:
    return {"type": "enum", "name": name, "symbols": symbols, **extra}


def backward(new: ParsedSchema, old: ParsedSchema, version: int = 3) -> list[Finding]:
    return check_compatibility(new, [(version, old)], Level.BACKWARD)


def forward(new: ParsedSchema, old: ParsedSchema, version: int = 3) -> list[Finding]:
    return check_compatibility(new, [(version, old)], Level.FORWARD)


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


ID = field("id", "long")


class TestAddedAndRemovedFields:
    def test_adding_a_field_without_a_default_breaks_backward(self) -> None:
        finding = only(backward(record(ID, field("email", "string")), record(ID)))
        assert finding.type == "READER_FIELD_MISSING_DEFAULT_VALUE"
        assert (finding.location, finding.field_path, finding.version, finding.direction) == ("/fields/1", "email", 3, "backward")
        assert finding.message == (
            "field `email` was added without a default, so records written with version 3 cannot be read by the new schema"
        )
        assert finding.additional_info == "email"

    def test_adding_a_field_with_a_default_is_backward_compatible(self) -> None:
        assert backward(record(ID, field("email", ["null", "string"], default=None)), record(ID)) == []

    def test_removing_a_field_without_a_default_breaks_forward(self) -> None:
        finding = only(forward(record(ID), record(ID, field("email", "string"))))
        assert finding.type == "READER_FIELD_MISSING_DEFAULT_VALUE"
        assert (finding.location, finding.field_path, finding.direction) == ("/fields/1", "email", "forward")
        assert finding.message == (
            "field `email` was removed, and version 3 has no default for it, "
            "so records written with the new schema cannot be read by consumers using version 3"
        )

    def test_removing_a_field_is_backward_compatible(self) -> None:
        assert backward(record(ID), record(ID, field("email", "string"))) == []

    def test_a_renamed_field_matches_through_its_alias(self) -> None:
        old = record(ID, field("email", "string"))
        new = record(ID, field("email_address", "string", aliases=["email"]))
        assert backward(new, old) == []
        assert only(forward(new, old)).field_path == "email"

    def test_a_nested_added_field_has_a_dotted_path(self) -> None:
        address = {"type": "record", "name": "Address", "fields": [field("city", "string")]}
        address_v2 = {**address, "fields": [field("city", "string"), field("zip", "string")]}
        finding = only(backward(record(ID, field("address", address_v2)), record(ID, field("address", address))))
        assert (finding.location, finding.field_path) == ("/fields/1/type/fields/1", "address.zip")
        assert finding.message.startswith("field `address.zip` was added without a default")


class TestTypeChanges:
    def test_int_to_string_breaks_backward(self) -> None:
        finding = only(backward(record(field("age", "string")), record(field("age", "int"))))
        assert finding.type == "TYPE_MISMATCH"
        assert (finding.location, finding.field_path) == ("/fields/0/type", "age")
        assert finding.message == (
            "field `age` changed type from int to string, so records written with version 3 cannot be read by the new schema"
        )
        assert finding.additional_info == "reader type: STRING not compatible with writer type: INT"

    def test_string_to_int_breaks_forward(self) -> None:
        finding = only(forward(record(field("age", "int")), record(field("age", "string"))))
        assert finding.type == "TYPE_MISMATCH"
        assert finding.message == (
            "field `age` changed type from string to int, "
            "so records written with the new schema cannot be read by consumers using version 3"
        )

    @pytest.mark.parametrize(
        ("writer", "reader"),
        [("int", "long"), ("int", "float"), ("int", "double"), ("long", "float"), ("long", "double"),
         ("float", "double"), ("string", "bytes"), ("bytes", "string")],
    )
    def test_promotions_are_backward_compatible(self, writer: str, reader: str) -> None:
        assert backward(record(field("n", reader)), record(field("n", writer))) == []

    @pytest.mark.parametrize(("writer", "reader"), [("long", "int"), ("double", "float"), ("float", "long"), ("int", "string")])
    def test_narrowing_is_not(self, writer: str, reader: str) -> None:
        assert only(backward(record(field("n", reader)), record(field("n", writer)))).type == "TYPE_MISMATCH"

    def test_nested_type_change(self) -> None:
        old = record(ID, field("address", {"type": "record", "name": "Address", "fields": [field("zip", "int")]}))
        new = record(ID, field("address", {"type": "record", "name": "Address", "fields": [field("zip", "string")]}))
        finding = only(backward(new, old))
        assert (finding.location, finding.field_path) == ("/fields/1/type/fields/0/type", "address.zip")
        assert finding.message.startswith("field `address.zip` changed type from int to string")

    def test_array_items(self) -> None:
        finding = only(backward(record(field("tags", {"type": "array", "items": "string"})),
                                record(field("tags", {"type": "array", "items": "int"}))))
        assert (finding.location, finding.field_path) == ("/fields/0/type/items", "tags")
        assert finding.message.startswith("the array items of field `tags` changed type from int to string")

    def test_map_values_of_array_items(self) -> None:
        def schema(inner: str) -> ParsedSchema:
            return record(field("m", {"type": "map", "values": {"type": "array", "items": inner}}))

        finding = only(backward(schema("string"), schema("int")))
        assert finding.location == "/fields/0/type/values/items"
        assert finding.message.startswith("the array items of the map values of field `m` changed type")

    def test_record_to_array(self) -> None:
        finding = only(backward(record(field("a", {"type": "array", "items": "int"})),
                                record(field("a", {"type": "record", "name": "A", "fields": []}))))
        assert finding.type == "TYPE_MISMATCH"
        assert "from record A to array of int" in finding.message

    def test_a_change_at_the_top_level(self) -> None:
        finding = only(backward(parse_schema('"string"'), parse_schema('"int"')))
        assert (finding.location, finding.field_path) == ("/", "")
        assert finding.message.startswith("the top-level schema changed type from int to string")

    def test_logical_type_annotations_do_not_matter(self) -> None:
        millis = record(field("at", {"type": "long", "logicalType": "timestamp-millis"}))
        micros = record(field("at", {"type": "long", "logicalType": "timestamp-micros"}))
        plain = record(field("at", "long"))
        assert backward(micros, millis) == backward(plain, millis) == forward(plain, micros) == []

    def test_decimal_precision_changes_are_not_checked(self) -> None:
        def money(precision: int) -> ParsedSchema:
            return record(field("amount", {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": 2}))

        assert backward(money(10), money(12)) == []


class TestNamedTypes:
    def test_renaming_a_record_breaks_backward(self) -> None:
        old = record(field("home", {"type": "record", "name": "Address", "fields": []}), namespace="com.acme")
        new = record(field("home", {"type": "record", "name": "Location", "fields": []}), namespace="com.acme")
        finding = only(backward(new, old))
        assert finding.type == "NAME_MISMATCH"
        assert (finding.location, finding.field_path) == ("/fields/0/type/name", "home")
        assert finding.additional_info == "expected: com.acme.Address"
        assert finding.message == (
            "the record type of field `home` was renamed from com.acme.Address to com.acme.Location without an alias "
            "for com.acme.Address, so records written with version 3 cannot be read by the new schema"
        )

    def test_an_alias_for_the_old_name_makes_it_compatible(self) -> None:
        old = record(field("home", {"type": "record", "name": "Address", "fields": []}), namespace="com.acme")
        new = record(field("home", {"type": "record", "name": "Location", "aliases": ["Address"], "fields": []}),
                      namespace="com.acme")
        assert backward(new, old) == []
        finding = only(forward(new, old))
        assert finding.type == "NAME_MISMATCH"
        assert finding.message == (
            "the record type of field `home` was renamed from com.acme.Address to com.acme.Location, and version 3 has "
            "no alias for com.acme.Location, so records written with the new schema cannot be read by consumers using version 3"
        )

    def test_aliases_are_relative_to_the_type_namespace(self) -> None:
        old = record(name="Old", namespace="com.acme")
        assert backward(record(name="New", namespace="com.acme", aliases=["Old"]), old) == []
        assert backward(record(name="New", namespace="com.acme", aliases=["com.acme.Old"]), old) == []

    def test_names_match_without_their_namespace(self) -> None:
        assert backward(record(name="User", namespace="org.new"), record(name="User", namespace="com.old")) == []

    def test_top_level_rename(self) -> None:
        finding = only(backward(record(name="Customer"), record(name="User")))
        assert (finding.type, finding.location, finding.field_path) == ("NAME_MISMATCH", "/name", "")
        assert finding.message.startswith("the record type of the top-level schema was renamed from User to Customer")

    def test_fixed_size_change(self) -> None:
        def hashed(size: int) -> ParsedSchema:
            return record(field("digest", {"type": "fixed", "name": "Digest", "size": size}))

        finding = only(backward(hashed(32), hashed(16)))
        assert finding.type == "FIXED_SIZE_MISMATCH"
        assert (finding.location, finding.field_path) == ("/fields/0/type/size", "digest")
        assert finding.additional_info == "expected: 16, found: 32"
        assert finding.message == (
            "fixed Digest in field `digest` changed size from 16 to 32 bytes, "
            "so records written with version 3 cannot be read by the new schema"
        )
        assert only(forward(hashed(32), hashed(16))).message.startswith("fixed Digest in field `digest` changed size from 16 to 32")

    def test_renamed_fixed_reports_name_and_size(self) -> None:
        old = record(field("d", {"type": "fixed", "name": "A", "size": 4}))
        new = record(field("d", {"type": "fixed", "name": "B", "size": 8}))
        assert [f.type for f in backward(new, old)] == ["NAME_MISMATCH", "FIXED_SIZE_MISMATCH"]


class TestEnums:
    def test_removing_a_symbol_breaks_backward(self) -> None:
        finding = only(backward(record(field("status", enum(["A", "B"]))), record(field("status", enum(["A", "B", "C"])))))
        assert finding.type == "MISSING_ENUM_SYMBOLS"
        assert (finding.location, finding.field_path, finding.additional_info) == ("/fields/0/type/symbols", "status", "[C]")
        assert finding.message == (
            "enum Status in field `status` dropped symbol C and has no default symbol, "
            "so records written with version 3 cannot be read by the new schema"
        )

    def test_adding_symbols_breaks_forward(self) -> None:
        finding = only(forward(record(field("status", enum(["A", "B", "D", "C"]))), record(field("status", enum(["A", "B"])))))
        assert finding.additional_info == "[C, D]"
        assert finding.message == (
            "enum Status in field `status` added symbols C, D, and version 3 has no default symbol to read them as, "
            "so records written with the new schema cannot be read by consumers using version 3"
        )

    def test_a_reader_default_symbol_absorbs_unknown_symbols(self) -> None:
        old = record(field("status", enum(["A", "UNKNOWN"], default="UNKNOWN")))
        new = record(field("status", enum(["A", "B", "UNKNOWN"], default="UNKNOWN")))
        assert forward(new, old) == []

    def test_a_field_default_does_not_absorb_unknown_symbols(self) -> None:
        old = record(field("status", enum(["A"]), default="A"))
        new = record(field("status", enum(["A", "B"]), default="A"))
        assert only(forward(new, old)).type == "MISSING_ENUM_SYMBOLS"

    def test_a_new_enum_field_needs_a_field_default_even_if_the_enum_has_one(self) -> None:
        finding = only(backward(record(ID, field("status", enum(["A"], default="A"))), record(ID)))
        assert finding.type == "READER_FIELD_MISSING_DEFAULT_VALUE"


class TestUnions:
    def test_dropping_a_branch_breaks_backward(self) -> None:
        finding = only(backward(record(field("x", ["null", "string"])), record(field("x", ["null", "string", "int"]))))
        assert finding.type == "MISSING_UNION_BRANCH"
        assert (finding.location, finding.field_path) == ("/fields/0/type/2", "x")
        assert finding.additional_info == "reader union lacking writer type: INT"
        assert finding.message == (
            "field `x` no longer allows int in its union, so records written with version 3 cannot be read by the new schema"
        )

    def test_adding_a_branch_breaks_forward(self) -> None:
        finding = only(forward(record(field("x", ["null", "string", "int"])), record(field("x", ["null", "string"]))))
        assert finding.type == "MISSING_UNION_BRANCH"
        assert finding.message == (
            "field `x` now allows int in its union, which version 3 does not, "
            "so records written with the new schema cannot be read by consumers using version 3"
        )

    def test_a_branch_that_changed_incompatibly(self) -> None:
        def schema(zip_type: str) -> ParsedSchema:
            address = {"type": "record", "name": "Address", "fields": [field("zip", zip_type)]}
            return record(field("address", ["null", address]))

        finding = only(backward(schema("string"), schema("int")))
        assert (finding.type, finding.location) == ("MISSING_UNION_BRANCH", "/fields/0/type/1")
        assert finding.message.startswith(
            "the record Address branch of the union in field `address` changed so that the new union cannot read it"
        )

    def test_branches_can_be_promoted(self) -> None:
        assert backward(record(field("x", ["null", "long"])), record(field("x", ["null", "int"]))) == []

    def test_making_a_field_optional_is_backward_compatible(self) -> None:
        assert backward(record(field("x", ["null", "string"], default=None)), record(field("x", "string"))) == []

    def test_a_union_that_cannot_read_the_old_type(self) -> None:
        finding = only(backward(record(field("x", ["null", "int"])), record(field("x", "string"))))
        assert (finding.type, finding.location) == ("MISSING_UNION_BRANCH", "/fields/0/type")
        assert finding.additional_info == "reader union lacking writer type: STRING"
        assert finding.message == (
            "field `x` changed type from string to [null, int], and [null, int] has no branch that can read string, "
            "so records written with version 3 cannot be read by the new schema"
        )

    def test_making_a_field_required_breaks_backward_at_the_null_branch(self) -> None:
        finding = only(backward(record(field("x", "string")), record(field("x", ["null", "string"], default=None))))
        assert (finding.type, finding.location) == ("TYPE_MISMATCH", "/fields/0/type/0")
        assert finding.additional_info == "reader type: STRING not compatible with writer type: NULL"
        assert finding.message == (
            "field `x` changed type from [null, string] to string, and the union's null values cannot be read as string, "
            "so records written with version 3 cannot be read by the new schema"
        )

    def test_making_a_field_optional_breaks_forward(self) -> None:
        finding = only(forward(record(field("x", ["null", "string"], default=None)), record(field("x", "string"))))
        assert finding.type == "TYPE_MISMATCH"
        assert finding.message.startswith(
            "field `x` changed type from string to [null, string], and the union's null values cannot be read as string"
        )


class TestRecursiveTypes:
    @staticmethod
    def linked_list(value_type: str) -> ParsedSchema:
        return record(field("value", value_type), field("next", ["null", "Node"], default=None), name="Node")

    def test_recursive_types_terminate(self) -> None:
        assert backward(self.linked_list("long"), self.linked_list("int")) == []

    def test_recursive_types_report_the_first_occurrence(self) -> None:
        finding = only(forward(self.linked_list("long"), self.linked_list("int")))
        assert (finding.type, finding.location, finding.field_path) == ("TYPE_MISMATCH", "/fields/0/type", "value")

    def test_mutually_recursive_types(self) -> None:
        def tree(leaf: str) -> ParsedSchema:
            forest = {"type": "array", "items": "Tree"}
            return record(field("label", leaf), field("children", forest), name="Tree")

        assert backward(tree("double"), tree("float")) == []
        assert only(forward(tree("double"), tree("float"))).field_path == "label"


class TestReaderWriterFindings:
    def test_without_a_version_the_writer_is_the_old_schema(self) -> None:
        finding = only(reader_writer_findings(record(ID, field("email", "string")), record(ID)))
        assert (finding.version, finding.direction) == (None, "backward")
        assert finding.message == (
            "field `email` was added without a default, so records written with the old schema cannot be read by the new schema"
        )

    def test_identical_schemas_are_compatible(self) -> None:
        schema = record(ID, field("tags", {"type": "map", "values": ["null", enum(["A"])]}))
        assert reader_writer_findings(schema, schema) == []

    def test_in_context_rewords_for_a_version_and_direction(self) -> None:
        old_reader, new_writer = record(ID, field("email", "string")), record(ID)
        finding = only(reader_writer_findings(old_reader, new_writer))
        told = finding.in_context(7, "forward")
        assert (told.version, told.direction) == (7, "forward")
        assert told.message == (
            "field `email` was removed, and version 7 has no default for it, "
            "so records written with the new schema cannot be read by consumers using version 7"
        )
        with pytest.raises(ValueError):
            finding.in_context(7, "sideways")


class TestConfluentMessage:
    def test_backward(self) -> None:
        finding = only(backward(record(ID, field("email", "string")), record(ID)))
        assert finding.confluent_message() == (
            "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'email' at path '/fields/1' in the "
            "new schema has no default value and is missing in the old schema', additionalInfo:'email'}"
        )

    def test_forward_swaps_new_and_old(self) -> None:
        finding = only(forward(record(field("age", "int")), record(field("age", "string"))))
        assert finding.confluent_message().startswith(
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the old schema "
            "does not match with the new schema', additionalInfo:'reader type: STRING not compatible with writer type: INT'}"
        )

    @pytest.mark.parametrize(
        ("new", "old", "description"),
        [
            (record(field("s", enum(["A"]))), record(field("s", enum(["A", "B"]))),
             "The new schema is missing enum symbols '[B]' at path '/fields/0/type/symbols' in the old schema"),
            (record(field("x", ["null"])), record(field("x", ["null", "int"])),
             "The new schema is missing a type inside a union field at path '/fields/0/type/1' in the old schema"),
            (record(name="B"), record(name="A"), "The name of the schema has changed (path '/name')"),
            (parse_schema('{"type":"fixed","name":"F","size":2}'), parse_schema('{"type":"fixed","name":"F","size":1}'),
             "The size of FIXED type field at path '/size' in the new schema does not match with the old schema"),
        ],
    )
    def test_descriptions(self, new: ParsedSchema, old: ParsedSchema, description: str) -> None:
        assert f"description:'{description}'" in only(backward(new, old)).confluent_message()

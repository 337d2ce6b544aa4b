"""parse_schema rejects every kind of invalid schema with a sentence saying what is wrong and where."""

from __future__ import annotations

import json

import pytest

from governance.avro import InvalidSchemaError, parse_schema


def record(*fields: dict, name: str = "User", **extra: object) -> str:
    return json.dumps({"type": "record", "name": name, "fields": list(fields), **extra})


def field(name: str, type_: object, **extra: object) -> dict:
    return {"name": name, "type": type_, **extra}


def rejected(text: str, references: dict[str, str] | None = None) -> InvalidSchemaError:
    with pytest.raises(InvalidSchemaError) as caught:
        parse_schema(text, references)
    assert str(caught.value) == caught.value.message
    return caught.value


def test_invalid_schema_error_is_a_value_error() -> None:
    assert issubclass(InvalidSchemaError, ValueError)


class TestMalformedJson:
    def test_reports_line_and_column(self) -> None:
        error = rejected('{\n  "type": "record",\n  "name": "User"\n  "fields": []\n}')
        assert (error.line, error.column) == (4, 3)
        assert "line 4 column 3" in error.message
        assert error.message.startswith("schema is not valid JSON")

    def test_nan_is_not_json(self) -> None:
        assert "NaN" in rejected('{"type": "record", "name": "R", "fields": [{"name": "x", "type": "double", "default": NaN}]}').message

    def test_valid_schemas_have_no_position(self) -> None:
        assert rejected('"nope"').line is None

    @pytest.mark.parametrize("text", ["42", "true", "null"])
    def test_a_json_value_that_is_not_a_schema(self, text: str) -> None:
        assert "is not a schema" in rejected(text).message


class TestTypeNames:
    def test_unknown_primitive_like_name(self) -> None:
        assert rejected(record(field("age", "integer"))).message == (
            'field "age" of record "User": unknown type "integer"'
        )

    def test_unknown_named_type_says_where_it_looked(self) -> None:
        error = rejected(record(field("owner", "Customer"), namespace="com.acme"))
        assert error.message == (
            'field "owner" of record "com.acme.User": unknown type "Customer" (looked for com.acme.Customer and Customer)'
        )

    def test_a_type_used_before_it_is_defined_is_unknown(self) -> None:
        text = record(
            field("a", "Address"),
            field("b", {"type": "record", "name": "Address", "fields": []}),
        )
        assert 'unknown type "Address"' in rejected(text).message

    def test_complex_type_names_need_an_object(self) -> None:
        assert 'type "record" must be written as a JSON object' in rejected('"record"').message

    def test_object_type_must_be_a_name(self) -> None:
        assert '"type" of a schema object must be a type name' in rejected('{"type": {"type": "int"}}').message

    def test_object_without_type(self) -> None:
        assert 'has no "type"' in rejected('{"name": "x"}').message


class TestNames:
    @pytest.mark.parametrize("name", ["1User", "User-Name", "Us er"])
    def test_bad_record_name(self, name: str) -> None:
        assert rejected(record(name=name)).message == (
            f'record name "{name}" is not a valid Avro name: names must start with a letter or underscore '
            "and contain only letters, digits and underscores")

    def test_empty_record_name(self) -> None:
        assert rejected(record(name="")).message == 'record name must be a non-empty string, not ""'

    def test_bad_namespace(self) -> None:
        message = rejected(record(namespace="com.9acme")).message
        assert message.startswith('record "User" has an invalid namespace in "com.9acme.User"')

    def test_dotted_name_is_checked_part_by_part(self) -> None:
        assert "invalid namespace" in rejected(record(name="com..User")).message

    def test_bad_field_name(self) -> None:
        assert rejected(record(field("e-mail", "string"))).message == (
            'record "User": field name "e-mail" is not a valid Avro name: names must start with a letter or '
            "underscore and contain only letters, digits and underscores"
        )

    def test_primitive_names_cannot_be_defined(self) -> None:
        assert 'cannot be named "string"' in rejected(record(name="string", namespace="x")).message

    def test_bad_alias(self) -> None:
        assert 'alias "old-user"' in rejected(record(aliases=["old-user"])).message


class TestRecords:
    def test_record_without_fields(self) -> None:
        assert rejected('{"type": "record", "name": "User"}').message == (
            'record "User": has no "fields" list (a record with no fields has "fields": [])'
        )

    def test_fields_must_be_a_list(self) -> None:
        assert '"fields" must be a list' in rejected('{"type": "record", "name": "User", "fields": {}}').message

    def test_duplicate_field_names(self) -> None:
        message = rejected(record(field("email", "string"), field("email", "int"))).message
        assert message == 'record "User": two fields are named "email"'

    def test_field_without_name(self) -> None:
        assert rejected(record({"type": "int"})).message == 'record "User": field 0 has no "name"'

    def test_field_without_type(self) -> None:
        assert rejected(record({"name": "age"})).message == 'field "age" of record "User": no "type" given'

    def test_field_order_must_be_known(self) -> None:
        assert "order" in rejected(record(field("a", "int", order="up"))).message

    def test_redefined_named_type(self) -> None:
        address = {"type": "record", "name": "Address", "fields": []}
        message = rejected(record(field("home", address), field("work", address), namespace="com.acme")).message
        assert 'named type "com.acme.Address" is defined twice' in message

    def test_redefining_a_referenced_type(self) -> None:
        references = {"address": record(name="Address")}
        assert "defined twice" in rejected(record(name="Address"), references).message


class TestEnums:
    def enum(self, symbols: object, **extra: object) -> str:
        return json.dumps({"type": "enum", "name": "Status", "symbols": symbols, **extra})

    def test_duplicate_symbols(self) -> None:
        assert rejected(self.enum(["A", "B", "A"])).message == 'enum "Status": symbol "A" is listed twice'

    def test_invalid_symbol(self) -> None:
        assert rejected(self.enum(["OK", "NOT-OK"])).message.startswith(
            'enum "Status": symbol "NOT-OK" is not a valid Avro name'
        )

    def test_default_must_be_a_symbol(self) -> None:
        assert rejected(self.enum(["A", "B"], default="C")).message == (
            'enum "Status": default "C" is not one of its symbols (A, B)'
        )

    def test_symbols_required(self) -> None:
        assert 'has no "symbols" list' in rejected('{"type": "enum", "name": "Status"}').message


class TestFixed:
    @pytest.mark.parametrize("size", [0, -1, "16", 1.5, True])
    def test_size_must_be_a_positive_integer(self, size: object) -> None:
        message = rejected(json.dumps({"type": "fixed", "name": "Hash", "size": size})).message
        assert message == f'fixed "Hash": size must be a positive integer, not {json.dumps(size)}'

    def test_size_required(self) -> None:
        assert rejected(json.dumps({"type": "fixed", "name": "Hash"})).message == 'fixed "Hash": has no "size"'


class TestUnions:
    def test_union_directly_in_union(self) -> None:
        message = rejected(record(field("x", ["null", ["int", "string"]]))).message
        assert message == 'field "x" of record "User": a union cannot contain another union directly (branch 1 is a list)'

    def test_two_branches_of_the_same_primitive_type(self) -> None:
        message = rejected(record(field("x", ["null", "string", {"type": "string"}]))).message
        assert message == 'field "x" of record "User": union has two branches of type "string" (branches 1 and 2)'

    def test_a_logical_type_does_not_make_a_branch_distinct(self) -> None:
        assert "two branches" in rejected('["long", {"type": "long", "logicalType": "timestamp-millis"}]').message

    def test_two_arrays(self) -> None:
        text = '[{"type": "array", "items": "int"}, {"type": "array", "items": "string"}]'
        assert 'two branches of type "array"' in rejected(text).message

    def test_same_named_type_twice(self) -> None:
        text = record(field("x", [{"type": "enum", "name": "E", "symbols": ["A"]}, "E"]))
        assert 'two branches of type "E"' in rejected(text).message

    def test_a_type_named_like_a_kind_is_not_that_kind(self) -> None:
        parse_schema('[{"type": "record", "name": "array", "fields": []}, {"type": "array", "items": "int"}]')

    def test_differently_named_types_may_share_a_union(self) -> None:
        parse_schema('[{"type": "enum", "name": "E", "symbols": ["A"]}, {"type": "enum", "name": "F", "symbols": ["A"]}]')


class TestDefaults:
    def test_string_default_for_an_int(self) -> None:
        assert rejected(record(field("email", "int", default="x"))).message == (
            'field "email" of record "User": default "x" does not match type "int"'
        )

    def test_true_is_not_an_int(self) -> None:
        assert 'default true does not match type "int"' in rejected(record(field("n", "int", default=True))).message

    @pytest.mark.parametrize(("type_", "value"), [("int", 2**31), ("int", -(2**31) - 1), ("long", 2**63)])
    def test_integers_must_be_in_range(self, type_: str, value: int) -> None:
        assert "outside the" in rejected(record(field("n", type_, default=value))).message

    def test_int_range_ends_are_valid(self) -> None:
        parse_schema(record(field("a", "int", default=2**31 - 1), field("b", "long", default=-(2**63))))

    def test_a_float_is_not_an_int(self) -> None:
        assert "does not match" in rejected(record(field("n", "long", default=1.0))).message

    def test_numbers_are_valid_for_float_and_double(self) -> None:
        parse_schema(record(field("a", "float", default=1), field("b", "double", default=1.5)))

    def test_bool_is_not_a_double(self) -> None:
        assert "does not match" in rejected(record(field("n", "double", default=False))).message

    def test_null_default(self) -> None:
        assert 'default 0 does not match type "null"' in rejected(record(field("n", "null", default=0))).message

    def test_bytes_default_is_a_string(self) -> None:
        assert "bytes defaults are JSON strings" in rejected(record(field("b", "bytes", default=[1, 2]))).message
        parse_schema(record(field("b", "bytes", default="\u00ff")))

    def test_enum_default_must_be_a_symbol(self) -> None:
        status = {"type": "enum", "name": "Status", "symbols": ["ON", "OFF"]}
        message = rejected(record(field("s", status, default="BROKEN"))).message
        assert message.endswith('"BROKEN" is not one of the symbols ON, OFF')

    def test_array_items_are_checked(self) -> None:
        message = rejected(record(field("tags", {"type": "array", "items": "string"}, default=["a", 1]))).message
        assert message == (
            'field "tags" of record "User": default ["a",1] does not match type "array of string": '
            "item 1 is 1, which does not match string"
        )

    def test_map_values_are_checked(self) -> None:
        message = rejected(record(field("m", {"type": "map", "values": "int"}, default={"a": "x"}))).message
        assert 'value "a" is "x", which does not match int' in message

    def test_map_default_must_be_an_object(self) -> None:
        assert "does not match" in rejected(record(field("m", {"type": "map", "values": "int"}, default=[]))).message

    def test_record_default_needs_fields_without_defaults(self) -> None:
        address = {"type": "record", "name": "Address", "fields": [field("zip", "string"), field("city", "string", default="")]}
        message = rejected(record(field("address", address, default={"city": "Paris"}))).message
        assert message.endswith('field "zip" is missing and has no default of its own')
        parse_schema(record(field("address", address, default={"zip": "75001"})))

    def test_record_default_field_values_are_checked(self) -> None:
        address = {"type": "record", "name": "Address", "fields": [field("zip", "int")]}
        assert 'field "zip" is "x", which does not match int' in rejected(record(field("address", address, default={"zip": "x"}))).message

    def test_union_default_must_match_the_first_branch(self) -> None:
        message = rejected(record(field("email", ["null", "string"], default="x"))).message
        assert message == (
            'field "email" of record "User": default "x" does not match type "[null, string]": '
            "a union's default must match its first branch, null"
        )
        parse_schema(record(field("email", ["string", "null"], default="x")))

    def test_defaults_of_recursive_types(self) -> None:
        node = {
            "type": "record",
            "name": "Node",
            "fields": [field("value", "int"), field("next", ["null", "Node"], default=None)],
        }
        parse_schema(record(field("head", node, default={"value": 1})))

    def test_nested_default_error_names_the_inner_record_field(self) -> None:
        inner = {"type": "record", "name": "Inner", "fields": [field("n", "int", default="one")]}
        message = rejected(record(field("inner", inner))).message
        assert message == 'field "n" of record "Inner": default "one" does not match type "int"'


class TestNamespaces:
    def test_nested_types_inherit_the_enclosing_namespace(self) -> None:
        text = record(field("a", {"type": "record", "name": "Address", "fields": []}), namespace="com.acme")
        assert parse_schema(text).names() == {"com.acme.User", "com.acme.Address"}

    def test_a_dotted_name_is_a_full_name_and_ignores_the_namespace(self) -> None:
        assert parse_schema(record(name="org.other.User", namespace="com.acme")).names() == {"org.other.User"}

    def test_an_empty_namespace_is_the_null_namespace(self) -> None:
        text = record(field("a", {"type": "record", "name": "Address", "namespace": "", "fields": []}), namespace="com.acme")
        assert parse_schema(text).names() == {"com.acme.User", "Address"}

    def test_nested_types_take_the_namespace_of_the_innermost_named_type(self) -> None:
        inner = {"type": "record", "name": "Inner", "namespace": "org.in", "fields": [field("e", {"type": "enum", "name": "E", "symbols": ["A"]})]}
        text = record(field("i", inner), field("e2", "org.in.E"), namespace="com.acme")
        assert parse_schema(text).names() == {"com.acme.User", "org.in.Inner", "org.in.E"}

    def test_short_references_resolve_in_the_enclosing_namespace(self) -> None:
        text = record(field("a", {"type": "enum", "name": "E", "symbols": ["A"]}), field("b", "E"), namespace="com.acme")
        parse_schema(text)

    def test_short_references_fall_back_to_the_null_namespace(self) -> None:
        text = json.dumps({
            "type": "record", "name": "Outer", "fields": [
                field("e", {"type": "enum", "name": "E", "symbols": ["A"]}),
                field("inner", {"type": "record", "name": "Inner", "namespace": "x", "fields": [field("e", "E")]}),
            ],
        })
        parse_schema(text)


class TestReferences:
    def test_referenced_types_are_in_scope_but_not_defined_here(self) -> None:
        address = record(field("zip", "string"), name="Address", namespace="com.acme")
        parsed = parse_schema(record(field("address", "com.acme.Address"), namespace="com.acme"), {"address": address})
        assert parsed.names() == {"com.acme.User"}
        assert '"type":"Address"' in parsed.canonical

    def test_references_may_depend_on_each_other_in_any_order(self) -> None:
        city = record(name="City", namespace="geo")
        address = record(field("city", "geo.City"), name="Address", namespace="geo")
        parse_schema(record(field("a", "geo.Address")), {"address": address, "city": city})

    def test_invalid_reference_is_named(self) -> None:
        error = rejected(record(field("a", "Address")), {"addr": '{"type": "record", "name": "Address"}'})
        assert error.message.startswith('reference "addr": record "Address": has no "fields" list')

    def test_unresolvable_reference(self) -> None:
        error = rejected(record(field("a", "Address")), {"addr": record(field("c", "City"), name="Address")})
        assert error.message == 'reference "addr": field "c" of record "Address": unknown type "City"'


class TestLogicalTypes:
    def test_invalid_logical_types_are_kept_not_rejected(self) -> None:
        parsed = parse_schema('{"type": "bytes", "logicalType": "decimal"}')
        assert parsed.canonical == '{"type":"bytes","logicalType":"decimal"}'

    def test_unknown_logical_types_are_kept(self) -> None:
        assert parse_schema('{"type": "string", "logicalType": "shout"}').canonical == '{"type":"string","logicalType":"shout"}'


class TestPointers:
    """Each error names the JSON value at fault (RFC 6901), so the gate can point at its line."""

    @pytest.mark.parametrize(("text", "pointer"), [
        (record(field("id", "string"), field("id", "int")), "/fields/1/name"),
        (record(field("id", "string"), field("full-name", "string")), "/fields/1/name"),
        (record(field("s", {"type": "enum", "name": "S", "symbols": ["A"], "default": "C"})), "/fields/0/type/default"),
        (record(field("s", ["null", {"type": "enum", "name": "S", "symbols": ["A", "b-c"]}])), "/fields/0/type/1/symbols/1"),
        (record(field("n", "int", default="many")), "/fields/0/default"),
        (record(field("n", {"type": "array", "items": "nope"})), "/fields/0/type/items"),
        (record(field("n", {"type": "map", "values": {"type": "fixed", "name": "F", "size": 0}})), "/fields/0/type/values/size"),
        (record(field("n", "int", order="up")), "/fields/0/order"),
        (record(field("n", ["int", "int"])), "/fields/0/type/1"),
        (record(name="bad-name"), "/name"),
        (record(field("a", {"type": "record", "name": "R", "fields": [{"name": "x"}]})), "/fields/0/type/fields/0"),
        ('{"type": "record", "name": "User"}', ""),
    ])  # fmt: skip
    def test_pointer_to_the_value_at_fault(self, text: str, pointer: str) -> None:
        assert rejected(text).pointer == pointer

    def test_a_reference_error_has_no_position_in_the_schema_using_it(self) -> None:
        error = rejected(record(field("a", "Address")), {"address": '{\n "type": "record", "name": "Address"\n "fields": []}'})
        assert error.message.startswith('reference "address": schema is not valid JSON')
        assert (error.line, error.column, error.pointer) == (None, None, None)

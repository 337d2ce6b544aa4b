"""The canonical, normalized and Parsing Canonical forms, and the fingerprint.

The expected canonical strings below were produced by Avro Java 1.12.0's
Schema.toString() for the same input (except where a test says otherwise).
"""

from __future__ import annotations

import hashlib
import json

import fastavro.schema
import pytest

from governance.avro import ParsedSchema, parse_schema

USER = {
    "type": "record",
    "name": "User",
    "namespace": "com.acme",
    "doc": "A person",
    "fields": [
        {"name": "id", "type": {"type": "long"}},
        {"name": "email", "type": ["null", "string"], "default": None, "doc": "contact"},
        {"name": "home", "type": {"type": "record", "name": "Address", "fields": [{"name": "zip", "type": "string"}]}},
        {"name": "work", "type": "Address"},
        {"name": "status", "type": {"type": "enum", "name": "Status", "namespace": "org.codes", "symbols": ["ON", "OFF"], "default": "ON"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}


def parsed(value: object) -> ParsedSchema:
    return parse_schema(json.dumps(value))


class TestCanonical:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (json.dumps(USER),
             '{"type":"record","name":"User","namespace":"com.acme","doc":"A person","fields":['
             '{"name":"id","type":"long"},'
             '{"name":"email","type":["null","string"],"doc":"contact","default":null},'
             '{"name":"home","type":{"type":"record","name":"Address","fields":[{"name":"zip","type":"string"}]}},'
             '{"name":"work","type":"Address"},'
             '{"name":"status","type":{"type":"enum","name":"Status","namespace":"org.codes","symbols":["ON","OFF"],"default":"ON"}},'
             '{"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}}]}'),
            ('{"type":"record","name":"a.b.C","fields":[{"name":"x","type":{"type":"record","name":"D","namespace":"","fields":[]}},{"name":"y","type":"D"}]}',
             '{"type":"record","name":"C","namespace":"a.b","fields":[{"name":"x","type":{"type":"record","name":"D","namespace":"","fields":[]}},{"name":"y","type":"D"}]}'),
            ('{"type":"enum","name":"E","namespace":"n","symbols":["A","B"],"default":"A","doc":"e","aliases":["F"],"p":true}',
             '{"type":"enum","name":"E","namespace":"n","doc":"e","symbols":["A","B"],"default":"A","p":true,"aliases":["F"]}'),
            ('{"type":"fixed","name":"F","size":16,"doc":"f","aliases":["G"],"logicalType":"decimal","precision":4,"scale":2}',
             '{"type":"fixed","name":"F","doc":"f","size":16,"logicalType":"decimal","precision":4,"scale":2,"aliases":["G"]}'),
            ('{"type":"array","items":{"type":"string"},"doc":"dropped","x":1}', '{"type":"array","items":"string","x":1}'),
            ('["null",{"type":"string","avro.java.string":"String"}]', '["null",{"type":"string","avro.java.string":"String"}]'),
            ('{"type":"record","name":"n.R","aliases":["n.Old","m.Other"],"fields":[]}',
             '{"type":"record","name":"R","namespace":"n","fields":[],"aliases":["Old","m.Other"]}'),
            ('{"type":"record","name":"R","fields":[{"name":"f","type":{"type":"string","default":"x"}}]}',
             '{"type":"record","name":"R","fields":[{"name":"f","type":{"type":"string","default":"x"}}]}'),
            ('{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"int"}},{"name":"b","type":{"type":"R"}}]}',
             '{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"R"}]}'),
            ('{"type":"record","name":"n.R","fields":[{"name":"f","type":{"type":"enum","name":"n.E","symbols":["A"]}},{"name":"g","type":"n.E"},'
             '{"name":"h","type":{"type":"fixed","name":"o.F","size":2}},{"name":"i","type":"o.F"}]}',
             '{"type":"record","name":"R","namespace":"n","fields":[{"name":"f","type":{"type":"enum","name":"E","symbols":["A"]}},{"name":"g","type":"E"},'
             '{"name":"h","type":{"type":"fixed","name":"F","namespace":"o","size":2}},{"name":"i","type":"o.F"}]}'),
        ],
    )
    def test_matches_avro_java(self, text: str, expected: str) -> None:
        assert parse_schema(text).canonical == expected

    def test_field_keys_in_avro_java_order(self) -> None:
        text = '{"type":"record","name":"R","fields":[{"aliases":["b"],"order":"descending","default":1,"doc":"d","type":"int","name":"a"}]}'
        assert parse_schema(text).canonical == (
            '{"type":"record","name":"R","fields":[{"name":"a","type":"int","doc":"d","default":1,"order":"descending","aliases":["b"]}]}'
        )

    def test_doubles_and_escapes_are_written_as_java_does(self) -> None:
        text = json.dumps({"type": "record", "name": "R", "fields": [
            {"name": "big", "type": "double", "default": 1e10},
            {"name": "small", "type": "double", "default": 0.0001},
            {"name": "plain", "type": "float", "default": 1.5},
            {"name": "s", "type": "string", "default": "\u0001\u00e9\n"},
        ]})
        assert parse_schema(text).canonical == (
            '{"type":"record","name":"R","fields":[{"name":"big","type":"double","default":1.0E10},'
            '{"name":"small","type":"double","default":1.0E-4},{"name":"plain","type":"float","default":1.5},'
            '{"name":"s","type":"string","default":"\\u0001é\\n"}]}'
        )

    def test_whitespace_and_key_order_do_not_matter(self) -> None:
        reordered = {k: USER[k] for k in reversed(list(USER))}
        reordered["fields"] = [{k: f[k] for k in reversed(list(f))} for f in USER["fields"]]
        assert parsed(reordered).canonical == parsed(USER).canonical
        assert parse_schema(json.dumps(USER, indent=4)).canonical == parsed(USER).canonical

    def test_extra_properties_are_sorted(self) -> None:
        # Avro Java keeps extra properties in input order; sorting makes the order of input keys irrelevant.
        one = '{"type":"record","name":"R","fields":[],"zeta":1,"alpha":{"b":1,"a":2}}'
        two = '{"alpha":{"a":2,"b":1},"type":"record","zeta":1,"name":"R","fields":[]}'
        assert parse_schema(one).canonical == parse_schema(two).canonical == (
            '{"type":"record","name":"R","fields":[],"alpha":{"a":2,"b":1},"zeta":1}'
        )

    def test_referenced_types_are_written_by_name(self) -> None:
        address = '{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"zip","type":"string"}]}'
        schema = parse_schema(
            '{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"home","type":"Address"}]}',
            {"address.avsc": address},
        )
        assert schema.canonical == '{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"home","type":"Address"}]}'
        assert schema.normalized == schema.canonical
        assert '"zip"' in schema.parsing_canonical_form


class TestNormalized:
    """What Confluent stores for normalize=true: its normalizer's text parsed again and written by Avro Java
    (AvroSchema.normalize().canonicalString()), so Avro Java's key order with sorted properties and aliases."""

    def test_key_order_and_names_are_avro_javas(self) -> None:
        assert parsed(USER).normalized == parsed(USER).canonical

    def test_aliases_are_sorted_by_full_name(self) -> None:
        schema = parse_schema('{"type":"record","name":"R","namespace":"n","aliases":["Old","m.Other"],"fields":['
                              '{"name":"f","type":"int","aliases":["z","b"]}]}')
        assert schema.normalized == ('{"type":"record","name":"R","namespace":"n","fields":['
                                     '{"name":"f","type":"int","aliases":["b","z"]}],"aliases":["m.Other","Old"]}')

    def test_properties_are_sorted_but_a_logical_type_comes_first(self) -> None:
        schema = parsed({"type": "record", "name": "R", "zeta": 1, "alpha": {"b": 1, "a": 2}, "fields": [
            {"name": "amount", "type": {"type": "bytes", "scale": 2, "connect.name": "x", "precision": 4,
                                        "logicalType": "decimal", "a": True}},
            {"name": "at", "type": {"type": "long", "connect.version": 1, "logicalType": "timestamp-millis"}},
            {"name": "odd", "type": {"type": "string", "logicalType": "timestamp-millis", "b": 1}},
        ]})
        assert schema.normalized == (
            '{"type":"record","name":"R","fields":['
            '{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":4,"scale":2,"a":true,'
            '"connect.name":"x"}},'
            '{"name":"at","type":{"type":"long","logicalType":"timestamp-millis","connect.version":1}},'
            # not a logical type Avro Java knows on a string: a property like any other
            '{"name":"odd","type":{"type":"string","b":1,"logicalType":"timestamp-millis"}}],'
            '"alpha":{"a":2,"b":1},"zeta":1}'
        )

    def test_defaults_are_written_as_their_type_reads_them(self) -> None:
        schema = parsed({"type": "record", "name": "R", "fields": [
            {"name": "d", "type": "double", "default": 1},
            {"name": "f", "type": "float", "default": 3.14159265},
            {"name": "u", "type": ["null", "double"], "default": None},
            {"name": "m", "type": {"type": "map", "values": "double"}, "default": {"b": 2, "a": 1}},
            {"name": "l", "type": "long", "default": 7},
        ]})
        assert schema.normalized == (
            '{"type":"record","name":"R","fields":[{"name":"d","type":"double","default":1.0},'
            '{"name":"f","type":"float","default":3.1415927},{"name":"u","type":["null","double"],"default":null},'
            '{"name":"m","type":{"type":"map","values":"double"},"default":{"a":1.0,"b":2.0}},'
            '{"name":"l","type":"long","default":7}]}'
        )
        assert '"default":1}' in schema.canonical

    def test_an_empty_doc_of_a_named_type_goes_an_error_is_a_record_and_order_is_kept(self) -> None:
        schema = parsed({"type": "error", "name": "E", "doc": "", "fields": [
            {"name": "a", "type": "int", "doc": "", "order": "DESCENDING"}]})
        assert schema.canonical == (
            '{"type":"error","name":"E","doc":"","fields":[{"name":"a","type":"int","doc":"","order":"descending"}]}'
        )
        assert schema.normalized == (
            '{"type":"record","name":"E","fields":[{"name":"a","type":"int","doc":"","order":"descending"}]}'
        )

    def test_a_type_in_the_null_namespace_inside_a_namespaced_one_takes_its_namespace(self) -> None:
        """Confluent writes the inner name in full ("X") without a "namespace" key, so parsing it again puts X in n."""
        schema = parse_schema('{"type":"record","name":"R","namespace":"n","fields":['
                              '{"name":"a","type":{"type":"record","name":"X","namespace":"","fields":[]}},'
                              '{"name":"b","type":"X"}]}')
        assert '"name":"X","namespace":"","fields"' in schema.canonical
        assert schema.normalized == ('{"type":"record","name":"R","namespace":"n","fields":['
                                     '{"name":"a","type":{"type":"record","name":"X","fields":[]}},{"name":"b","type":"X"}]}')

    def test_namespace_spellings_normalize_alike(self) -> None:
        short = '{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"a","type":{"type":"enum","name":"E","symbols":["X"]}},{"name":"b","type":"E"}]}'
        full = '{"type":"record","name":"com.acme.User","fields":[{"name":"a","type":{"type":"enum","name":"com.acme.E","symbols":["X"]}},{"name":"b","type":"com.acme.E"}]}'
        assert parse_schema(short).normalized == parse_schema(full).normalized
        assert parse_schema(short).canonical == parse_schema(full).canonical


class TestParsingCanonicalForm:
    @pytest.mark.parametrize(
        "schema",
        [
            USER,
            {"type": "record", "name": "L", "namespace": "n", "fields": [
                {"name": "v", "type": "double", "default": 1e10}, {"name": "next", "type": ["null", "L"], "default": None}]},
            {"type": "fixed", "name": "F", "size": 16, "logicalType": "decimal", "precision": 4, "scale": 2},
            {"type": "map", "values": {"type": "array", "items": ["null", {"type": "bytes", "logicalType": "decimal"}]}},
            "string",
        ],
    )
    def test_matches_fastavro(self, schema: object) -> None:
        assert parsed(schema).parsing_canonical_form == fastavro.schema.to_parsing_canonical_form(schema)

    def test_fingerprint_is_sha256_of_the_parsing_canonical_form(self) -> None:
        schema = parsed(USER)
        assert schema.fingerprint == hashlib.sha256(schema.parsing_canonical_form.encode()).hexdigest()

    def test_docs_defaults_and_logical_types_do_not_change_the_fingerprint(self) -> None:
        bare = {"type": "record", "name": "com.acme.R", "fields": [{"name": "at", "type": "long"}]}
        dressed = {"type": "record", "name": "R", "namespace": "com.acme", "doc": "d", "fields": [
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}, "default": 0}]}
        assert parsed(bare).fingerprint == parsed(dressed).fingerprint
        assert parsed(bare).canonical != parsed(dressed).canonical


class TestParsedSchema:
    def test_raw_is_the_json_as_given(self) -> None:
        assert parsed(USER).raw == USER

    def test_names_are_full_names_of_defined_types(self) -> None:
        assert parsed(USER).names() == {"com.acme.User", "com.acme.Address", "org.codes.Status"}
        assert parse_schema('"int"').names() == set()

    def test_equal_when_canonical_forms_are_equal(self) -> None:
        one, two = parsed(USER), parse_schema(json.dumps(USER, indent=2))
        assert one == two and hash(one) == hash(two)
        assert one != parse_schema('"int"')

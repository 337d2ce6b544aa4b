"""Compatibility levels: which registered versions are checked, in which directions, in which order."""

from __future__ import annotations

import json

import pytest

from governance.avro import Level, ParsedSchema, check_compatibility, parse_schema


def user(*fields: tuple[str, object] | tuple[str, object, object]) -> ParsedSchema:
    def field(spec: tuple) -> dict:
        return {"name": spec[0], "type": spec[1]} | ({"default": spec[2]} if len(spec) == 3 else {})

    return parse_schema(json.dumps({"type": "record", "name": "User", "fields": [field(f) for f in fields]}))


# v1 has age as an int; v2 dropped it; v3 brings it back as a string with a default.
# v3 reads v2's data (age is filled from the default) but not v1's (an int cannot be read as a string).
V1 = user(("id", "long"), ("age", "int"))
V2 = user(("id", "long"))
V3 = user(("id", "long"), ("age", "string", ""))
HISTORY = [(1, V1), (2, V2)]


class TestParse:
    @pytest.mark.parametrize("text", ["backward_transitive", "Backward_Transitive", " BACKWARD_TRANSITIVE "])
    def test_any_case(self, text: str) -> None:
        assert Level.parse(text) is Level.BACKWARD_TRANSITIVE

    def test_unknown_names_list_the_valid_ones(self) -> None:
        with pytest.raises(ValueError, match="unknown compatibility level 'SIDEWAYS': expected one of BACKWARD, "):
            Level.parse("SIDEWAYS")

    def test_levels_are_their_confluent_names(self) -> None:
        assert [level.value for level in Level] == [
            "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE",
        ]
        assert Level.FULL == "FULL"


class TestWhichVersions:
    def test_backward_checks_only_the_latest_version(self) -> None:
        assert check_compatibility(V3, HISTORY, Level.BACKWARD) == []

    def test_backward_transitive_checks_every_version(self) -> None:
        [finding] = check_compatibility(V3, HISTORY, Level.BACKWARD_TRANSITIVE)
        assert (finding.type, finding.version, finding.direction, finding.field_path) == ("TYPE_MISMATCH", 1, "backward", "age")
        assert "version 1" in finding.message

    def test_forward_checks_only_the_latest_version(self) -> None:
        # Old readers of v2 ignore the new age field; v1's readers would need it to be an int.
        assert check_compatibility(V3, HISTORY, Level.FORWARD) == []
        [finding] = check_compatibility(V3, HISTORY, Level.FORWARD_TRANSITIVE)
        assert (finding.version, finding.direction) == (1, "forward")
        assert finding.message.endswith("cannot be read by consumers using version 1")

    def test_full_checks_both_directions(self) -> None:
        assert check_compatibility(V3, HISTORY, Level.FULL) == []
        found = check_compatibility(V3, HISTORY, Level.FULL_TRANSITIVE)
        assert [(f.version, f.direction) for f in found] == [(1, "backward"), (1, "forward")]

    def test_transitive_levels_report_versions_newest_first(self) -> None:
        incompatible_with_all = user(("id", "string"))
        history = [(1, V1), (2, V2), (5, V3)]
        for level in (Level.BACKWARD_TRANSITIVE, Level.FORWARD_TRANSITIVE):
            found = check_compatibility(incompatible_with_all, history, level)
            assert list(dict.fromkeys(f.version for f in found)) == [5, 2, 1]
        full = check_compatibility(incompatible_with_all, history, Level.FULL_TRANSITIVE)
        assert list(dict.fromkeys((f.version, f.direction) for f in full)) == [
            (5, "backward"), (5, "forward"), (2, "backward"), (2, "forward"), (1, "backward"), (1, "forward"),
        ]

    def test_non_transitive_levels_name_the_latest_version(self) -> None:
        [finding] = check_compatibility(user(("id", "string")), [(1, V1), (4, V2)], Level.BACKWARD)
        assert finding.version == 4

    def test_none_checks_nothing(self) -> None:
        assert check_compatibility(user(("id", "string")), HISTORY, Level.NONE) == []

    @pytest.mark.parametrize("level", list(Level))
    def test_a_subject_without_versions_accepts_anything(self, level: Level) -> None:
        assert check_compatibility(V1, [], level) == []

    def test_level_names_are_accepted_as_strings_in_any_case(self) -> None:
        assert len(check_compatibility(V3, HISTORY, "backward_transitive")) == 1  # type: ignore[arg-type]


class TestDirections:
    def test_adding_a_required_field_is_forward_but_not_backward_compatible(self) -> None:
        new = user(("id", "long"), ("age", "int"), ("email", "string"))
        assert check_compatibility(new, [(1, V1)], Level.FORWARD) == []
        [finding] = check_compatibility(new, [(1, V1)], Level.BACKWARD)
        assert finding.type == "READER_FIELD_MISSING_DEFAULT_VALUE"

    def test_removing_a_required_field_is_backward_but_not_forward_compatible(self) -> None:
        assert check_compatibility(V2, [(1, V1)], Level.BACKWARD) == []
        [finding] = check_compatibility(V2, [(1, V1)], Level.FORWARD)
        assert (finding.type, finding.field_path, finding.direction) == ("READER_FIELD_MISSING_DEFAULT_VALUE", "age", "forward")

    def test_full_needs_defaults_both_ways(self) -> None:
        new = user(("id", "long"), ("age", "int"), ("email", "string", ""))
        assert check_compatibility(new, [(1, V1)], Level.FULL) == []
        assert [f.direction for f in check_compatibility(V2, [(1, V1)], Level.FULL)] == ["forward"]


def test_transitive_check_does_not_reuse_a_result_across_versions_that_differ_only_in_a_default() -> None:
    # v1 has no default for b, v2 has one: dropping b breaks FORWARD against v1 only, in either order.
    def schema(*fields: dict) -> ParsedSchema:
        return parse_schema(json.dumps({"type": "record", "name": "R", "fields": [{"name": "id", "type": "string"}, *fields]}))

    v1, v2 = schema({"name": "b", "type": "string"}), schema({"name": "b", "type": "string", "default": "x"})
    new = schema()
    assert [f.version for f in check_compatibility(new, [(1, v1), (2, v2)], Level.FORWARD_TRANSITIVE)] == [1]
    assert [f.version for f in check_compatibility(new, [(1, v2), (2, v1)], Level.FORWARD_TRANSITIVE)] == [2]
